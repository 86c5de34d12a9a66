"""run_batch end to end on the duckdb engine: files, dialect, reconciliation, idempotency, job script."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from glue_testlib import NULL, read_header, read_rows, run

from movies_cleanse import INPUT_COLUMNS, OUTPUT_COLUMNS
from movies_transform import REJECTED_COLUMNS, RULES, run_batch


def all_files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def assert_reconciles(result: dict) -> None:
    assert result["rows_in"] == result["rows_out"] + result["rows_rejected"]
    assert result["rows_rejected"] == sum(result["rejected_by_rule"].values())
    assert set(result["rejected_by_rule"]) == set(RULES)


def test_reconciliation_and_counts(fixture_run, fixture_csv):
    result = fixture_run.result
    assert_reconciles(result)
    with open(fixture_csv, encoding="utf-8") as handle:
        import csv

        assert result["rows_in"] == sum(1 for _ in csv.DictReader(handle)) == 36
    assert result["rows_out"] == len(fixture_run.movies)
    assert result["rows_rejected"] == len(fixture_run.rejected)


def test_layout_headers_and_dialect(fixture_run):
    batch = fixture_run.batch_id
    assert fixture_run.result["files"] == {
        "movies": f"movies/batch_id={batch}/movies.csv",
        "rejected": f"rejected/batch_id={batch}/rejected.csv",
    }
    assert all_files(fixture_run.root) == sorted(fixture_run.result["files"].values())  # no .crc, no staging
    assert read_header(fixture_run.movies_path) == list(OUTPUT_COLUMNS)
    assert read_header(fixture_run.rejected_path) == list(REJECTED_COLUMNS)
    for row in fixture_run.movies:
        assert row["BATCH_ID"] == batch
        assert row["SOURCE_FILE"] == f"movies/batch_id={batch}/movies.csv"
        assert "" not in row.values()  # NULL is \N, never an empty field
    text = fixture_run.movies_path.read_text(encoding="utf-8")
    assert ',""' not in text and NULL in text
    assert '"The ""Best"", Movie"' in text  # quotes doubled inside a quoted field
    assert "e+" not in text.lower().replace("experience", "")  # numbers are plain


def test_idempotent_rerun_replaces_the_same_files(duck, fixture_csv, tmp_path):
    first = run(duck, fixture_csv, tmp_path, batch_id="b-idem")
    before = {name: (tmp_path / name).read_bytes() for name in all_files(tmp_path)}
    second = run(duck, fixture_csv, tmp_path, batch_id="b-idem")
    assert first.result == second.result
    assert {name: (tmp_path / name).read_bytes() for name in all_files(tmp_path)} == before


def test_empty_batch_writes_header_only_files(duck, tmp_path):
    raw = tmp_path / "empty.csv"
    raw.write_text(",".join(INPUT_COLUMNS) + "\n", encoding="utf-8")
    result = run_batch(duck, str(raw), str(tmp_path / "out"), "b-empty")
    assert result["rows_in"] == result["rows_out"] == result["rows_rejected"] == 0
    movies = tmp_path / "out" / result["files"]["movies"]
    rejected = tmp_path / "out" / result["files"]["rejected"]
    assert movies.read_text(encoding="utf-8").strip() == ",".join(OUTPUT_COLUMNS)
    assert rejected.read_text(encoding="utf-8").strip() == ",".join(REJECTED_COLUMNS)
    assert read_rows(movies) == [] and read_rows(rejected) == []


@pytest.mark.parametrize("bad", ["", "../x", "a/b", "b 1", "-x"])
def test_batch_id_is_validated(duck, fixture_csv, tmp_path, bad):
    with pytest.raises(ValueError):
        run_batch(duck, fixture_csv, str(tmp_path), bad)


def test_duckdb_engine_refuses_remote_roots(duck, fixture_csv):
    with pytest.raises(ValueError, match="local folders"):
        run_batch(duck, fixture_csv, "s3://bucket/archive", "b1")


def test_make_session_rejects_unknown_engine():
    from movies_engine import make_session

    with pytest.raises(ValueError, match="unknown engine"):
        make_session("polars")


def test_job_script_imports_without_awsglue_and_names_its_arguments(monkeypatch):
    import importlib

    monkeypatch.setitem(sys.modules, "awsglue", None)  # as if not installed
    sys.modules.pop("movies_job", None)
    job = importlib.import_module("movies_job")
    assert job.JOB_ARGUMENTS == ("batch_id", "processed_uri", "archive_uri")
    with pytest.raises(ImportError):
        job.resolve_arguments(["job.py", "--batch_id", "b1"])
    source = Path(job.__file__).read_text(encoding="utf-8")
    assert "getResolvedOptions" in source and "run_batch(spark, args[\"processed_uri\"]" in source


def test_job_arguments_resolve_with_awsglue_when_installed():
    pytest.importorskip("awsglue.utils", reason="AWSGlueDataplanePython is not installed")
    import movies_job

    argv = ["job.py", "--JOB_NAME", "j", "--batch_id", "b1", "--processed_uri", "s3://p/x.csv",
            "--archive_uri", "s3://a"]
    args = movies_job.resolve_arguments(argv)
    assert (args["batch_id"], args["processed_uri"], args["archive_uri"]) == ("b1", "s3://p/x.csv", "s3://a")


@pytest.mark.integration
def test_default_dataset_rules_on_duckdb(duck, default_raw_csv, tmp_path):
    """The real data: only the two shared imdbIDs are rejected; every other rule rejects nothing."""
    result = run(duck, default_raw_csv, tmp_path, batch_id="b-default")
    assert_reconciles(result.result)
    assert result.result["rows_in"] == 17472
    assert result.result["rejected_by_rule"] == {rule: (2 if rule == "duplicate_imdb_id" else 0) for rule in RULES}
    kept = {r["IMDB_ID"]: r for r in result.movies if r["IMDB_ID"] in ("tt0078788", "tt0850669")}
    assert (kept["tt0078788"]["TITLE"], kept["tt0850669"]["TITLE"]) == (
        "Apocalypse Now Redux", "Captain Mike Across America")  # same lastUpdated: higher sourceId
    assert sorted(r["RECORD_KEY"] for r in result.rejected) == ["tt0078788", "tt0850669"]
    precision = [r["RELEASED_PRECISION"] for r in result.movies]
    assert precision.count("year") == 11468 - 1  # padded year-only dates, minus rejected Apocalypse Now
    assert any(r["TITLE"] == "8½" for r in result.movies)
    assert os.path.getsize(result.movies_path) > 1_000_000
