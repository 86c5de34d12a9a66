"""The CLI as a user meets it: summaries, status, SQL, and bad input with one-line errors."""

from __future__ import annotations

import json
import zipfile

import pytest
from typer.testing import CliRunner

from moviepipe.cli import app

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("prefect_harness")]
runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, list(args), catch_exceptions=False)


def alerts(home):
    path = home / "alerts.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_missing_source_fails_in_one_line_with_an_alert(home, tmp_path):
    result = invoke("run", "--source", f"sqlite:///{tmp_path / 'missing.db'}")
    assert result.exit_code == 1
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert errors == [f"error: source database not found: {tmp_path / 'missing.db'}"]
    (alert,) = alerts(home)
    assert alert["stage"] == "extract" and "missing.db" in alert["error"]


def test_run_status_sql_then_corrupt_zip_leaves_earlier_batches_intact(home, subset_db, tmp_path):
    first = invoke("run", "--source", f"sqlite:///{subset_db}")
    assert first.exit_code == 0, first.output
    assert "extracted =" in first.output and "reconcile" in first.output

    status = invoke("status", "--json")
    stages = [row["STAGE"] for row in json.loads(status.output)]
    assert stages == ["extract", "package", "land", "unzip", "transform", "load", "merge", "reconcile"]

    count_sql = "SELECT COUNT(*) AS N FROM ANALYTICS.DIM_MOVIE"
    before = json.loads(invoke("sql", count_sql, "--json").output)[0]["N"]
    assert before > 300

    corrupt = tmp_path / "corrupt.zip"
    corrupt.write_bytes(b"PK\x03\x04 this is not really a zip")
    result = invoke("ingest", str(corrupt))
    assert result.exit_code == 1
    assert any(line.startswith("error: batch zip rejected (not_a_zip)") for line in result.output.splitlines())
    landing = home / "buckets" / "landing"
    assert (landing / "quarantine" / "ingest" / "corrupt.zip").exists()
    reason = json.loads((landing / "quarantine" / "ingest" / "corrupt.zip.reason.json").read_text())
    assert reason["reason"] == "not_a_zip"
    assert alerts(home)[-1]["stage"] == "unzip"
    assert json.loads(invoke("sql", count_sql, "--json").output)[0]["N"] == before

    # A zip whose manifest lies about a checksum is refused the same way, by name.
    good = next((home / "buckets" / "landing" / "incoming").rglob("*.zip"))
    forged = tmp_path / "forged.zip"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(forged, "w") as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            dst.writestr(info.filename, data.replace(b"The", b"Teh", 1) if info.filename.endswith(".csv") else data)
    result = invoke("ingest", str(forged))
    assert result.exit_code == 1 and "checksum_mismatch" in result.output


def test_bad_sql_is_one_line(home):
    result = invoke("sql", "SELECT * FROM NO_SUCH_TABLE")
    assert result.exit_code == 1
    assert len([line for line in result.output.splitlines() if line.startswith("error:")]) == 1


def test_source_password_never_reaches_prefect_or_home(home, monkeypatch):
    from prefect.client.orchestration import get_client

    monkeypatch.setenv("MOVIEPIPE_SOURCE", "")  # restored after the test: the CLI sets it below
    result = invoke("run", "--source", "postgresql+psycopg://reader:hunter2@127.0.0.1:1/movies")
    assert result.exit_code == 1 and "hunter2" not in result.output and "***" in result.output
    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs()
    assert runs and all("hunter2" not in str(run.parameters) for run in runs)
    for path in home.rglob("*"):
        if path.is_file():
            assert b"hunter2" not in path.read_bytes(), path
