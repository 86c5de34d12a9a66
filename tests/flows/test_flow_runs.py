"""The flows on the local runtime: artifacts, hooks (alerts to a webhook), source locks, backfill."""

from __future__ import annotations

import json
import re
import sqlite3
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from flows.locks import SourceBusy, source_lock
from flows.pipeline import backfill_flow, run_flow
from moviepipe.sources.sql import SqlSource

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("prefect_harness")]


@pytest.fixture
def webhook(monkeypatch):
    """A local HTTP server standing in for a webhook target; collects the JSON it receives."""
    received: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("MOVIEPIPE_ALERT_WEBHOOK", f"http://127.0.0.1:{server.server_port}/hook")
    yield received
    server.shutdown()


def artifacts_of(flow_run_id) -> dict[str, object]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

    with get_client(sync_client=True) as client:
        found = client.read_artifacts(artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(
            any_=[flow_run_id])))
    return {artifact.key: artifact for artifact in found}


def source_key(db) -> str:
    source = SqlSource(f"sqlite:///{db}")
    try:
        return source.source_key
    finally:
        source.close()


def test_run_publishes_artifacts_sends_summary_and_backfills_a_window(home, subset_db, webhook, monkeypatch):
    monkeypatch.setenv("MOVIEPIPE_ALERT_ON_SUCCESS", "true")
    url = f"sqlite:///{subset_db}"
    with sqlite3.connect(subset_db) as conn:  # 20 films last updated in May 2016: the backfill window below
        conn.execute("UPDATE omdb SET lastUpdated = '2016-05-' || printf('%02d', 1 + ID % 28) "
                     "WHERE ID IN (SELECT ID FROM omdb WHERE imdbID NOT IN ('tt0078788', 'tt0850669') "
                     "ORDER BY ID LIMIT 20)")
    other = subset_db.with_name("other.db")
    other.write_bytes(subset_db.read_bytes())
    # Another source's run in progress does not hold this one up.
    with source_lock(source_key(other), "other.db", 600):
        state = run_flow(source=url, return_state=True)
    result = state.result()
    assert result["status"] == "loaded"

    artifacts = artifacts_of(state.state_details.flow_run_id)
    assert set(artifacts) == {"moviepipe-stages", "moviepipe-data-quality", "moviepipe-outputs", "moviepipe-run-report"}
    stages = json.loads(artifacts["moviepipe-stages"].data)
    assert [row["stage"] for row in stages] == [row["STAGE"] for row in result["ledger"]]
    transform = next(row for row in stages if row["stage"] == "transform")
    assert transform["rows_in"] == result["reconcile"]["extracted"]
    assert transform["rows_rejected"] == result["reconcile"]["rejected"] == 2
    assert json.loads(artifacts["moviepipe-data-quality"].data) == [
        {"rule": rule, "rows_rejected": n} for rule, n in sorted(result["transform"]["rejected_by_rule"].items())]
    assert f"movies/batch_id={result['batch_id']}/movies.csv" in artifacts["moviepipe-outputs"].data

    (summary,) = webhook
    assert summary["kind"] == "summary" and summary["batch_id"] == result["batch_id"]
    assert summary["loaded"] == result["reconcile"]["loaded"] and len(summary["subject"]) <= 100

    # Backfill: rows with lastUpdated in the window, as their own batch; the watermark stays.
    watermarks = (home / "state" / "watermarks.json").read_text()
    window_from, window_to = "2016-05-01", "2016-05-31"
    with sqlite3.connect(subset_db) as conn:
        expected = conn.execute("SELECT COUNT(*) FROM omdb WHERE lastUpdated BETWEEN ? AND ?",
                                (window_from, window_to)).fetchone()[0]
    assert expected == 20
    backfill = backfill_flow(window_from=window_from, window_to=window_to, source=url)
    assert backfill["reconcile"]["extracted"] == expected and backfill["reconcile"]["balanced"]
    assert backfill["batch_id"] != result["batch_id"]
    assert backfill["merge"]["new_versions"] == 0, "replayed unchanged rows are no-ops"
    assert (home / "state" / "watermarks.json").read_text() == watermarks


def test_failure_alerts_once_with_stage_and_link_and_a_busy_source_is_refused(home, subset_db, webhook, tmp_path,
                                                                              monkeypatch):
    missing = tmp_path / "missing.db"
    with pytest.raises(Exception, match="source database not found"):
        run_flow(source=f"sqlite:///{missing}")
    lines = [json.loads(line) for line in (home / "alerts.jsonl").read_text().splitlines()]
    assert len(lines) == 1 and lines[0]["stage"] == "extract" and lines[0]["kind"] == "failure"
    (posted,) = webhook
    assert posted["stage"] == "extract" and "missing.db" in posted["error"]

    monkeypatch.setenv("MOVIEPIPE_SOURCE_LOCK_WAIT", "0.5")
    with source_lock(source_key(subset_db), "movies.db", 600):
        with pytest.raises(SourceBusy, match=r"another moviepipe run of source .*movies.db is in progress"):
            run_flow(source=f"sqlite:///{subset_db}")
    refused = json.loads((home / "alerts.jsonl").read_text().splitlines()[-1])
    assert refused["stage"] == "lock" and refused["kind"] == "failure"
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/runs/flow-run/[0-9a-f-]{36}", refused["link"]), refused["link"]
