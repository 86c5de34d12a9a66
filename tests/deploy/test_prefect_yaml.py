"""The deployment file, checked without a server: what `prefect deploy --all` will create."""

from __future__ import annotations

import importlib

import yaml

from tests.conftest import REPO


def deployments() -> dict[str, dict]:
    config = yaml.safe_load((REPO / "prefect.yaml").read_text())
    assert config["build"] is None and config["push"] is None, "deploy must not build or push anything"
    return {d["name"]: d for d in config["deployments"]}


def test_daily_weekly_and_backfill_deployments():
    found = deployments()
    assert set(found) == {"daily-incremental", "weekly-full-refresh", "backfill"}
    assert [s["cron"] for s in found["daily-incremental"]["schedules"]] == ["0 3 * * *"]
    assert [s["cron"] for s in found["weekly-full-refresh"]["schedules"]] == ["0 4 * * 0"]
    assert found["weekly-full-refresh"]["parameters"] == {"full_refresh": True}
    assert found["backfill"]["schedules"] == []
    for deployment in found.values():
        assert deployment["work_pool"]["name"] == "moviepipe-local"
        module, _, name = deployment["entrypoint"].partition(":")
        flow = getattr(importlib.import_module(module.removesuffix(".py").replace("/", ".")), name)
        assert hasattr(flow, "fn"), f"{deployment['entrypoint']} is not a Prefect flow"
        assert set(deployment["parameters"]) <= set(flow.parameters.properties)


def test_backfill_takes_a_window_and_a_source():
    from flows.pipeline import backfill_flow

    assert set(backfill_flow.parameters.required) == {"window_from", "window_to"}
    assert "source" in backfill_flow.parameters.properties


def test_ecs_pool_example_carries_no_secret():
    text = (REPO / "prefect.yaml").read_text()
    config = yaml.safe_load(text)
    ecs = config["definitions"]["work_pools"]["ecs_pool"]
    assert ecs["name"] == "moviepipe-ecs" and ecs["job_variables"]["env"]["MOVIEPIPE_RUNTIME"] == "cloud"
    for word in ("PASSWORD:", "SECRET_ACCESS_KEY", "PRIVATE_KEY:"):
        assert word not in text.upper().replace("_BLOCK", "")
