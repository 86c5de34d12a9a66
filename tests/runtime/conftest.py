"""Fixtures for the cloud runtime: moto (in-process) + fakesnow, wired by ``CloudHarness``."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from moviepipe import pipeline
from moviepipe.sources.sql import SqlSource


@pytest.fixture
def aws_env(monkeypatch):
    """Fake credentials and region; no endpoint override (mock_aws intercepts in-process)."""
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "MOVIEPIPE_RUNTIME"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def harness(aws_env, tmp_path):
    from moto import mock_aws
    from moto.moto_api import state_manager

    from cloud_harness import CloudHarness

    with mock_aws():
        cloud = CloudHarness(tmp_path)
        try:
            yield cloud
        finally:
            cloud.close()
            state_manager.unset_transition("glue::job_run")


@pytest.fixture
def packaged_batch(harness, subset_db):
    """A real batch zip (extract + package of the 300-film subset) and its facts."""
    rt = harness.runtime()
    source = SqlSource(f"sqlite:///{subset_db}")
    try:
        plan = pipeline.plan(rt, source)
        raw = pipeline.extract(rt, source, plan)
        zip_path = pipeline.package(rt, plan, raw)
    finally:
        source.close()
    return {"batch_id": plan.batch_id, "zip": zip_path, "rows": raw.rows,
            "key": pipeline.landing_key("subset", plan.batch_id)}
