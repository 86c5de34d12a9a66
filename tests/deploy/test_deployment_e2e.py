"""End to end as an operator runs it: a Prefect server, a work pool, `prefect deploy --all`,
a deployment run picked up by a process worker, the warehouse changed, and a screenshot of
the flow run (with its artifacts) in the Prefect UI as evidence.

Everything runs as subprocesses with the real CLIs (``prefect server start``, ``prefect
--no-prompt deploy --all``, ``prefect deployment run``, ``prefect worker start --run-once``)
against a private PREFECT_HOME and MOVIEPIPE_HOME. The screenshot (``tests.browser``) needs
Debian's ``chromium``; without it that last step is skipped with the reason (the rest still runs).
"""

from __future__ import annotations

import http.server
import json
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.browser import chromium_or_skip, free_port, keep_evidence, screenshot
from tests.conftest import REPO, warehouse_query

pytestmark = pytest.mark.integration

PREFECT = str(Path(sys.executable).with_name("prefect"))
POOL = "moviepipe-local"


@pytest.fixture(scope="module")
def prefect_server(tmp_path_factory):
    """One `prefect server start` for this module's tests (each start costs 15-30 s here)."""
    tmp_path = tmp_path_factory.mktemp("prefect-server")
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = {**os.environ, "PREFECT_HOME": str(tmp_path / "prefect-home"), "PREFECT_API_URL": api,
           "PREFECT_UI_API_URL": api, "PREFECT_UI_URL": f"http://127.0.0.1:{port}",
           "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1", "PREFECT_LOGGING_LEVEL": "INFO"}
    for name in ("PREFECT_API_KEY", "PREFECT_PROFILE"):
        env.pop(name, None)
    log = open(tmp_path / "server.log", "w")
    server = subprocess.Popen([PREFECT, "server", "start", "--host", "127.0.0.1", "--port", str(port)],
                              cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{api}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if server.poll() is not None:
                pytest.fail(f"prefect server exited: {(tmp_path / 'server.log').read_text()[-2000:]}")
            time.sleep(1)
        else:
            pytest.fail("prefect server did not answer /api/health within 120 s")
        yield {"api": api, "ui": f"http://127.0.0.1:{port}", "env": env}
    finally:
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


def cli(env: dict, *args: str, timeout: float = 300) -> str:
    done = subprocess.run([PREFECT, *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"prefect {' '.join(args)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout + done.stderr


def test_deploy_run_with_a_worker_and_see_it_in_the_ui(prefect_server, subset_db, tmp_path):
    home = tmp_path / "moviepipe-home"
    env = {**prefect_server["env"], "MOVIEPIPE_HOME": str(home), "MOVIEPIPE_REPO": str(REPO),
           "MOVIEPIPE_RUNTIME": "local"}
    env.pop("MOVIEPIPE_SOURCE", None)

    cli(env, "work-pool", "create", POOL, "--type", "process", "--overwrite")
    deployed = cli(env, "--no-prompt", "deploy", "--all")
    for name in ("moviepipe-run/daily-incremental", "moviepipe-run/weekly-full-refresh", "moviepipe-backfill/backfill"):
        assert name in deployed, deployed
    by_name = {d["name"]: d for d in httpx.post(f"{prefect_server['api']}/deployments/filter", json={},
                                                 timeout=10).json()}
    for name, strategy in (("daily-incremental", "CANCEL_NEW"), ("weekly-full-refresh", "CANCEL_NEW"),
                           ("backfill", "ENQUEUE")):
        assert by_name[name]["global_concurrency_limit"]["limit"] == 1, by_name[name]
        assert by_name[name]["concurrency_options"]["collision_strategy"] == strategy

    started = cli(env, "deployment", "run", "moviepipe-run/daily-incremental", "--param", f"source=sqlite:///{subset_db}")
    flow_run_id = re.search(r"UUID:\s*([0-9a-f-]{36})", started).group(1)
    worker = cli(env, "worker", "start", "--pool", POOL, "--install-policy", "never", "--run-once", timeout=600)

    run = httpx.get(f"{prefect_server['api']}/flow_runs/{flow_run_id}", timeout=10).json()
    assert run["state"]["type"] == "COMPLETED", f"{run['state']}\n{worker[-4000:]}"
    current = warehouse_query(home, "SELECT COUNT(*) AS N FROM ANALYTICS.DIM_MOVIE WHERE IS_CURRENT")[0]["N"]
    assert current > 250
    artifacts = httpx.post(f"{prefect_server['api']}/artifacts/filter", timeout=10,
                           json={"artifacts": {"flow_run_id": {"any_": [flow_run_id]}}}).json()
    by_key = {a["key"]: a for a in artifacts}
    assert set(by_key) >= {"moviepipe-stages", "moviepipe-data-quality", "moviepipe-outputs"}

    assert_a_second_run_is_cancelled_not_queued(prefect_server["api"], by_name["weekly-full-refresh"]["id"])

    browser = chromium_or_skip("the UI screenshot; the deployment run passed")
    evidence = home / "evidence"
    evidence.mkdir(parents=True)
    shots = {"flow-run.png": f"{prefect_server['ui']}/runs/flow-run/{flow_run_id}",
             "artifact-stages.png": f"{prefect_server['ui']}/artifacts/artifact/{by_key['moviepipe-stages']['id']}"}
    for name, url in shots.items():
        screenshot(browser, url, evidence / name, tmp_path / "chromium")
    keep = keep_evidence(*(evidence / name for name in shots))
    print(f"\nUI evidence: {', '.join(str(evidence / name) for name in shots)}"
          + (f" (copied to {keep})" if keep else ""))


def set_state(api: str, flow_run_id: str, state_type: str) -> dict:
    """What the server's orchestration rules answer to a proposed state (as a worker proposes it)."""
    answer = httpx.post(f"{api}/flow_runs/{flow_run_id}/set_state", timeout=10,
                        json={"state": {"type": state_type}})
    assert answer.status_code in (200, 201), answer.text
    return answer.json()


def assert_a_second_run_is_cancelled_not_queued(api: str, deployment_id: str) -> None:
    """concurrency_limit 1 + CANCEL_NEW: while one run holds the slot, the next is cancelled by the server."""
    runs = [httpx.post(f"{api}/deployments/{deployment_id}/create_flow_run", json={}, timeout=10).json()["id"]
            for _ in range(2)]
    first = set_state(api, runs[0], "PENDING")
    assert first["status"] == "ACCEPT", first
    second = set_state(api, runs[1], "PENDING")
    assert second["status"] == "REJECT" and second["state"]["type"] == "CANCELLED", second
    assert "concurrency limit" in second["state"]["message"].lower()
    set_state(api, runs[0], "CANCELLED")  # frees the slot: the next run gets it
    later = httpx.post(f"{api}/deployments/{deployment_id}/create_flow_run", json={}, timeout=10).json()["id"]
    assert set_state(api, later, "PENDING")["status"] == "ACCEPT"
    set_state(api, later, "CANCELLED")


class Receiver(http.server.BaseHTTPRequestHandler):
    """A local webhook: stands in for Slack/Teams/PagerDuty behind a notification block."""

    received: list[dict] = []

    def do_POST(self):  # noqa: N802 (http.server's name)
        length = int(self.headers.get("Content-Length", 0))
        Receiver.received.append(json.loads(self.rfile.read(length) or b"{}"))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_automations_are_accepted_applied_once_and_alert_on_a_crashed_run(prefect_server, tmp_path):
    from prefect.blocks.notifications import CustomWebhookNotificationBlock
    from prefect.settings import PREFECT_API_URL, temporary_settings

    api, env = prefect_server["api"], prefect_server["env"]
    receiver = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{receiver.server_address[1]}/alerts"
        with temporary_settings({PREFECT_API_URL: api}):
            CustomWebhookNotificationBlock(name="moviepipe-ops", url=url, allow_private_urls=True,
                                           json_data={"subject": "{{subject}}", "body": "{{body}}"}
                                           ).save("moviepipe-ops-test", overwrite=True)
        block = "custom-webhook/moviepipe-ops-test"

        missing = subprocess.run([str(Path(sys.executable).with_name("moviepipe")), "automations", "--notify-block",
                                  "custom-webhook/no-such-block"], cwd=REPO, env=env, capture_output=True, text=True)
        assert missing.returncode == 1 and "no custom-webhook block named 'no-such-block'" in missing.stderr

        # The Prefect CLI takes the file (the block's id filled in).
        rendered = tmp_path / "automations.yaml"
        moviepipe(env, "automations", "--notify-block", block, "--out", str(rendered))
        created = cli(env, "automation", "create", "--from-file", str(rendered))
        assert "Created 3 automation(s)" in created, created
        # `moviepipe automations` updates them in place, however often it runs: still three, by name.
        for _ in range(2):
            applied = moviepipe(env, "automations", "--notify-block", block)
            assert applied.split() == ["updated", "moviepipe-run-failed-or-crashed", "updated",
                                       "moviepipe-run-stuck", "updated", "moviepipe-daily-not-completed"], applied
        automations = httpx.post(f"{api}/automations/filter", json={}, timeout=10).json()
        by_name = {a["name"]: a for a in automations}
        assert len(automations) == 3 and set(by_name) == {"moviepipe-run-failed-or-crashed", "moviepipe-run-stuck",
                                                          "moviepipe-daily-not-completed"}
        stuck = by_name["moviepipe-run-stuck"]
        assert stuck["trigger"]["posture"] == "Proactive" and stuck["actions"][0]["type"] == "cancel-flow-run"
        # Longer than every task's time limit together, so a slow but healthy run is never cancelled.
        from flows.pipeline import TASK_LIMITS

        assert stuck["trigger"]["within"] > sum(limit for _, limit in TASK_LIMITS.values())
        daily = by_name["moviepipe-daily-not-completed"]["trigger"]
        assert daily["match_related"]["prefect.resource.name"] == "daily-incremental"
        assert daily["within"] > 24 * 3600

        # A run whose process died: nothing of moviepipe runs, the server still alerts.
        flow_id = httpx.post(f"{api}/flows/", json={"name": "moviepipe-run"}, timeout=10).json()["id"]
        run = httpx.post(f"{api}/flow_runs/", timeout=10, json={"flow_id": flow_id, "name": "crash-test-run",
                                                                "tags": ["moviepipe", "incremental"],
                                                                "state": {"type": "PENDING"}}).json()
        for state in ("RUNNING", "CRASHED"):
            answer = set_state(api, run["id"], state)
            assert answer["status"] == "ACCEPT", answer
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and not Receiver.received:
            time.sleep(1)
        assert Receiver.received, "no notification reached the webhook within 90 s"
        alert = Receiver.received[0]  # notifications are at-least-once: a repeat would be the same alert
        assert "crash-test-run" in alert["subject"] and "Crashed" in alert["subject"], alert
        assert "moviepipe-run" in alert["body"]
        assert all(a == alert for a in Receiver.received), Receiver.received
    finally:
        receiver.shutdown()


def moviepipe(env: dict, *args: str) -> str:
    done = subprocess.run([str(Path(sys.executable).with_name("moviepipe")), *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"moviepipe {' '.join(args)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout
