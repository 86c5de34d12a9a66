"""The deployment file, checked without a server: what `prefect deploy --all` will create."""

from __future__ import annotations

import importlib

import pytest
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


def test_one_run_at_a_time_and_overdue_scheduled_runs_are_cancelled():
    found = deployments()
    for name in ("daily-incremental", "weekly-full-refresh"):
        assert found[name]["concurrency_limit"] == {"limit": 1, "collision_strategy": "CANCEL_NEW"}, name
    assert found["backfill"]["concurrency_limit"] == {"limit": 1, "collision_strategy": "ENQUEUE"}


def test_automations_file_is_valid_for_prefect():
    from flows.automations import render

    automations = render("00000000-0000-4000-8000-000000000000")
    assert [a["name"] for a in automations] == ["moviepipe-run-failed-or-crashed", "moviepipe-run-stuck",
                                                "moviepipe-daily-not-completed"]
    assert all(a["trigger"]["match_related"] for a in automations), "only moviepipe's runs"
    notified = [action for a in automations for action in a["actions"] if action["type"] == "send-notification"]
    assert len(notified) == 3 and {n["block_document_id"] for n in notified} == {"00000000-0000-4000-8000-000000000000"}


def test_automations_are_never_applied_to_a_temporary_server():
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from flows.automations import AutomationError, apply

    with temporary_settings({PREFECT_API_URL: None}), pytest.raises(AutomationError, match="PREFECT_API_URL is not set"):
        apply("slack-webhook/moviepipe-ops")
