"""Corpus zips through ``moviepipe ingest`` (the handler alone: tests/unzip/test_unzip_handler.py).

Each bad zip must be rejected with its own reason (non-zero exit, the reason
in the output), quarantined with a reason file, alerted, and leave the
processed bucket untouched; the same valid zip delivered twice gives one output.
The CLI runs a Prefect flow, so one home and one test server serve the module,
and the CLI is run once per distinct reason, not once per corpus case.
"""

from __future__ import annotations

import csv
import json
import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unzip"))
import zip_corpus  # noqa: E402

#: One corpus case per reason code, for the (slower) CLI runs.
CASE_PER_REASON = sorted({reason: case for case, (reason, _, _) in sorted(zip_corpus.CASES.items())}.values())


def _snapshot(root: Path) -> dict[str, int]:
    return {str(p.relative_to(root)): p.stat().st_mtime_ns for p in root.rglob("*") if p.is_file()}


# ---------------------------------------------------------------- the CLI
@pytest.fixture(scope="module")
def cli_home(tmp_path_factory, prefect_harness):
    """One MOVIEPIPE_HOME for every CLI run of this module."""
    home = tmp_path_factory.mktemp("ingest") / "home"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MOVIEPIPE_HOME", str(home))
        patch.delenv("MOVIEPIPE_RUNTIME", raising=False)
        patch.delenv("MOVIEPIPE_SOURCE", raising=False)
        yield home


def ingest(path: Path):
    from typer.testing import CliRunner

    from moviepipe.cli import app

    return CliRunner().invoke(app, ["ingest", str(path)], catch_exceptions=False)


def alerts(home: Path) -> list[dict]:
    path = home / "alerts.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


@pytest.mark.integration
@pytest.mark.parametrize("case", CASE_PER_REASON)
def test_cli_rejects_each_reason(case, cli_home, tmp_path, monkeypatch):
    built, reason, env = zip_corpus.build(case, tmp_path / "corpus")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    bad = shutil.copy(built, tmp_path / f"{case}.zip")  # the zip's name becomes its landing key
    processed = cli_home / "buckets" / "processed"
    before = _snapshot(processed) if processed.exists() else {}
    alerts_before = len(alerts(cli_home))

    result = ingest(Path(bad))

    assert result.exit_code != 0, result.output
    assert f"({reason})" in result.output, result.output
    quarantine = cli_home / "buckets" / "landing" / "quarantine" / "ingest"
    assert (quarantine / f"{case}.zip").read_bytes() == Path(bad).read_bytes()
    assert json.loads((quarantine / f"{case}.zip.reason.json").read_text())["reason"] == reason
    new_alerts = alerts(cli_home)[alerts_before:]
    assert len(new_alerts) == 1 and new_alerts[0]["stage"] == "unzip" and reason in new_alerts[0]["error"]
    assert (_snapshot(processed) if processed.exists() else {}) == before, "processed bucket untouched"
    assert not (cli_home / "buckets" / "landing" / "incoming" / "ingest" / f"{case}.zip").exists()


@pytest.mark.integration
def test_cli_same_valid_zip_twice_gives_one_output(cli_home, tmp_path):
    # without a deletes file, so the snapshot below is just the movies files
    # (a deletes.csv would be fine too: moviepipe.pipeline.unzip skips it when picking the raw CSV)
    built, manifest = zip_corpus.valid_zip(tmp_path / "valid", batch_id="b20261018T101112-ingesttwice",
                                           with_deletes=False)
    zip_path = Path(shutil.copy(built, tmp_path / "valid_twice.zip"))
    first = ingest(zip_path)
    assert first.exit_code == 0, first.output
    processed = cli_home / "buckets" / "processed"
    prefix = processed / "movies" / f"batch_id={manifest['batch_id']}"
    once = _snapshot(prefix)
    assert sorted(once) == ["_SUCCESS", "manifest.json", "movies.csv", "movies.parquet"]

    second = ingest(zip_path)
    assert second.exit_code == 0, second.output
    assert _snapshot(prefix) == once, "the second delivery wrote nothing in processed"
    batches = [p.name for p in (processed / "movies").iterdir()]
    assert batches.count(f"batch_id={manifest['batch_id']}") == 1
    archive = cli_home / "buckets" / "archive"
    movies = list(archive.glob(f"movies/batch_id={manifest['batch_id']}/*.csv"))
    assert len(movies) == 1
    with open(movies[0], encoding="utf-8", newline="") as handle:
        assert len(list(csv.DictReader(handle))) == len(zip_corpus.ROWS)
