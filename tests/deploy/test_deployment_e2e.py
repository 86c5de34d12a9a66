"""End to end as an operator runs it: a Prefect server, a work pool, `prefect deploy --all`,
a deployment run picked up by a process worker, the warehouse changed, and a screenshot of
the flow run (with its artifacts) in the Prefect UI as evidence.

Everything runs as subprocesses with the real CLIs (``prefect server start``, ``prefect
--no-prompt deploy --all``, ``prefect deployment run``, ``prefect worker start --run-once``)
against a private PREFECT_HOME and MOVIEPIPE_HOME. The screenshot (``tests.browser``) needs
Debian's ``chromium``; without it that last step is skipped with the reason (the rest still runs).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.browser import chromium_or_skip, free_port, keep_evidence, screenshot
from tests.conftest import REPO, warehouse_query

pytestmark = pytest.mark.integration

PREFECT = str(Path(sys.executable).with_name("prefect"))
POOL = "moviepipe-local"


@pytest.fixture
def prefect_server(tmp_path):
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
