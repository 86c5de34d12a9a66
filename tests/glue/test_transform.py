"""run_batch end to end on the duckdb engine: files, dialect, reconciliation, manifest, drift, job script."""

from __future__ import annotations

import csv
import json
import shutil
import sys
from pathlib import Path

import pytest
from glue_testlib import API_BATCH_CSV, API_BATCH_ID, NULL, all_files, read_header, read_rows, run

from moviepipe.contract import ContractError
from moviepipe.contract.archive import ENTITIES, archive_relpath, column_names
from movies_cleanse import INPUT_COLUMNS
from movies_transform import DELETES_RULES, RULES, run_batch


def assert_reconciles(result: dict) -> None:
    assert result["rows_in"] == result["rows_out"] + result["rows_rejected"]
    assert result["rows_rejected"] == sum(result["rejected_by_rule"][r] for r in RULES)
    assert set(result["rejected_by_rule"]) == set(RULES) | set(DELETES_RULES)
    assert result["entities"]["movies"] == result["rows_out"]
    assert result["entities"]["rejected"] == sum(result["rejected_by_rule"].values())


def test_reconciliation_and_counts(fixture_run, fixture_csv):
    result = fixture_run.result
    assert_reconciles(result)
    with open(fixture_csv, encoding="utf-8") as handle:
        assert result["rows_in"] == sum(1 for _ in csv.DictReader(handle)) == 54
    for entity, rows in fixture_run.rows.items():
        assert result["entities"][entity] == len(rows), entity
    assert result["entities"]["movie_deletes"] == 0  # no manifest, so no deletes file


def test_every_entity_with_contract_header_and_dialect(fixture_run):
    batch = fixture_run.batch_id
    assert fixture_run.result["files"] == {entity: archive_relpath(entity, batch) for entity in ENTITIES}
    assert all_files(fixture_run.root) == sorted(fixture_run.result["files"].values())  # no .crc, no staging
    for entity, path in fixture_run.paths.items():
        assert read_header(path) == list(column_names(entity)), entity
        for row in fixture_run.rows[entity]:
            assert row["BATCH_ID"] == batch
            assert row["SOURCE_FILE"] == archive_relpath(entity, batch)
            assert "" not in row.values()  # NULL is \N, never an empty field
    text = fixture_run.movies_path.read_text(encoding="utf-8")
    assert ',""' not in text and NULL in text
    assert '"The ""Best"", Movie"' in text  # quotes doubled inside a quoted field
    assert "e+" not in text.lower().replace("experience", "")  # numbers are plain


def test_children_only_for_valid_movies(fixture_run):
    valid = {row["IMDB_ID"] for row in fixture_run.movies}
    for entity in ("movie_ratings", "movie_genres", "movie_people"):
        assert fixture_run.rows[entity] and {r["IMDB_ID"] for r in fixture_run.rows[entity]} <= valid, entity
    rejected_only = {r["RECORD_KEY"] for r in fixture_run.rejected} - valid
    assert not any(fixture_run.of("movie_people", key) for key in rejected_only)


def test_idempotent_rerun_replaces_the_same_files(duck, fixture_csv, tmp_path):
    first = run(duck, fixture_csv, tmp_path, batch_id="b-idem")
    before = first.file_bytes()
    second = run(duck, fixture_csv, tmp_path, batch_id="b-idem")
    assert first.result == second.result
    assert second.file_bytes() == before
    assert all_files(tmp_path) == sorted(first.result["files"].values())


def test_empty_batch_writes_header_only_files(duck, tmp_path):
    raw = tmp_path / "empty.csv"
    raw.write_text(",".join(INPUT_COLUMNS) + "\n", encoding="utf-8")
    result = run_batch(duck, str(raw), str(tmp_path / "out"), "b-empty")
    assert result["rows_in"] == result["rows_out"] == result["rows_rejected"] == 0
    for entity, relpath in result["files"].items():
        path = tmp_path / "out" / relpath
        assert path.read_text(encoding="utf-8") == ",".join(column_names(entity)) + "\n"
        assert read_rows(path) == []


def test_contract_fields_without_an_archive_column_ride_in_extra(duck, tmp_path):
    raw = tmp_path / "consensus.csv"
    values = {name: "" for name in INPUT_COLUMNS}
    values.update(imdbID="tt0111161", Title="The Shawshank Redemption", Year="1994", Type="movie",
                  lastUpdated="2026-10-20", sourceId="1", tomatoConsensus='Hope, "patience", and time.',
                  tomatoImage="certified")
    with open(raw, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=INPUT_COLUMNS)
        writer.writeheader()
        writer.writerow(values)
    result = run_batch(duck, str(raw), str(tmp_path / "out"), "b-consensus")
    movie = read_rows(tmp_path / "out" / result["files"]["movies"])[0]
    assert json.loads(movie["EXTRA"]) == {"tomatoConsensus": 'Hope, "patience", and time.',
                                          "tomatoImage": "certified"}


# ---------------------------------------------------------------- manifest, drift, deletes
def test_api_batch_uses_manifest_deletes_and_drift(api_batch_run):
    result = api_batch_run.result
    assert_reconciles(result)
    assert (result["rows_in"], result["rows_out"]) == (10, 9)
    assert result["entities"]["movie_deletes"] == 2
    assert {k: v for k, v in result["rejected_by_rule"].items() if v} == {
        "imdb_id_format": 1, "deletes_imdb_id_format": 1, "deletes_deleted_at_required": 1,
        "deletes_duplicate_imdb_id": 1}
    inception = api_batch_run.of("movies", "tt1375666")[0]
    extra = json.loads(inception["EXTRA"])
    assert list(extra) == ["Ratings", "Response"]
    assert extra["Ratings"][1] == {"Source": "Rotten Tomatoes", "Value": "87%"}  # a list, not a string
    assert api_batch_run.of("movies", "tt0000099")[0]["EXTRA"] is None  # no extra values: NULL
    # columns the source lacks (drift 'missing') are NULL
    assert inception["POSTER"] is None and inception["OSCARS"] is None
    assert (inception["IMDB_RATING"], inception["METASCORE"], inception["TOMATO_METER"]) == ("8.8", "74", "87")
    series = api_batch_run.of("movies", "tt0903747")[0]
    assert (series["TYPE"], series["YEAR"], series["YEAR_END"], series["RATED"]) == ("series", "2008", "2013", "TV-14")


def test_deletes_pass_through_and_rejects(api_batch_run):
    deletes = {r["IMDB_ID"]: r for r in api_batch_run.rows["movie_deletes"]}
    assert deletes == {
        "tt0000100": deletes["tt0000100"] | {"SOURCE_ID": "100", "DELETED_AT": "2026-10-20 07:00:00"},
        "tt0000103": deletes["tt0000103"] | {"SOURCE_ID": "103", "DELETED_AT": "2026-10-20 06:00:00"},
    }
    rejects = [r for r in api_batch_run.rejected if r["ENTITY"] == "movie_deletes"]
    got = {(r["RECORD_KEY"], r["RULE"]) for r in rejects}
    assert got == {("bad-id", "deletes_imdb_id_format"), ("tt0000102", "deletes_deleted_at_required"),
                   ("tt0000103", "deletes_duplicate_imdb_id")}
    dup = next(r for r in rejects if r["RULE"] == "deletes_duplicate_imdb_id")
    assert "kept the row deleted at 2026-10-20 06:00:00" in dup["REASON"]
    assert json.loads(dup["RECORD"]) == {"imdbID": "tt0000103", "sourceId": "103", "deletedAt": "2026-10-19"}


@pytest.fixture
def api_copy(tmp_path) -> Path:
    folder = tmp_path / "processed" / "movies" / f"batch_id={API_BATCH_ID}"
    shutil.copytree(API_BATCH_CSV.parent, folder)
    return folder


def _edit_manifest(folder: Path, change) -> None:
    manifest = json.loads((folder / "manifest.json").read_text())
    change(manifest)
    (folder / "manifest.json").write_text(json.dumps(manifest))


@pytest.mark.parametrize("change, message", [
    (lambda m: m.update(batch_id="b-other"), "is for batch 'b-other'"),
    (lambda m: m.update(row_count=5), "read 10 rows, the manifest declares 5"),
    (lambda m: m["files"][1].update(rows=9), "read 5 rows, the manifest declares 9"),
    (lambda m: m.update(contract_version="2.0"), "manifest invalid at contract_version"),
    (lambda m: m["files"][0].update(name="other.csv"), "movies.csv is not a data CSV"),
    (lambda m: m["columns"].pop(), "differs from the manifest's columns"),
])
def test_manifest_problems_are_named(duck, api_copy, tmp_path, change, message):
    _edit_manifest(api_copy, change)
    with pytest.raises((ContractError, ValueError), match=message):
        run_batch(duck, str(api_copy / "movies.csv"), str(tmp_path / "archive"), API_BATCH_ID)


def test_required_manifest_missing_is_named(duck, api_copy, tmp_path):
    (api_copy / "manifest.json").unlink()
    raw_csv = str(api_copy / "movies.csv")
    with pytest.raises(ContractError, match="no manifest.json next to the raw CSV") as raised:
        run_batch(duck, raw_csv, str(tmp_path / "archive"), API_BATCH_ID, require_manifest=True)
    assert str(raised.value) == f"{raw_csv}: no manifest.json next to the raw CSV"


def test_missing_deletes_file_is_named(duck, api_copy, tmp_path):
    (api_copy / "deletes.csv").unlink()
    with pytest.raises(FileNotFoundError, match="deletes.csv"):
        run_batch(duck, str(api_copy / "movies.csv"), str(tmp_path / "archive"), API_BATCH_ID)


@pytest.mark.parametrize("header, message", [
    ("imdbID,Title,Title", "repeated names \\['Title'\\]"),
    ("imdbID,,Title", "blank names at positions \\[1\\]"),
])
def test_bad_raw_header_is_named(duck, tmp_path, header, message):
    raw = tmp_path / "raw.csv"
    raw.write_text(header + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        run_batch(duck, str(raw), str(tmp_path / "out"), "b1")


def test_ragged_raw_row_fails_the_read(duck, tmp_path):
    raw = tmp_path / "raw.csv"
    raw.write_text("imdbID,Title,lastUpdated\ntt0000001,A,2026-10-18,surplus\n", encoding="utf-8")
    with pytest.raises(Exception, match="Expected Number of Columns"):  # DuckDB's own error names the line
        run_batch(duck, str(raw), str(tmp_path / "out"), "b1")


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


# ---------------------------------------------------------------- job script
def test_job_script_imports_without_awsglue(monkeypatch):
    import importlib

    monkeypatch.setitem(sys.modules, "awsglue", None)  # as if not installed
    monkeypatch.setitem(sys.modules, "awsglue.utils", None)  # even if another test imported it
    sys.modules.pop("movies_job", None)
    job = importlib.import_module("movies_job")
    assert job.JOB_ARGUMENTS == ("batch_id", "processed_uri", "archive_uri")
    with pytest.raises(ImportError):
        job.resolve_arguments(["job.py", "--batch_id", "b1"])
    sys.modules.pop("movies_job", None)


def test_job_main_runs_the_batch_and_writes_its_result(duck, api_copy, tmp_path):
    pytest.importorskip("awsglue.utils", reason="AWSGlueDataplanePython is not installed")
    import movies_job

    archive = tmp_path / "archive"
    argv = ["job.py", "--batch_id", API_BATCH_ID, "--processed_uri", str(api_copy / "movies.csv"),
            "--archive_uri", str(archive)]
    result = movies_job.main(argv, session=duck)
    written = json.loads((archive / movies_job.result_relpath(API_BATCH_ID)).read_text())
    assert written == {"batch_id": API_BATCH_ID, **result}
    assert written["entities"]["movie_deletes"] == 2
    assert movies_job.result_relpath(API_BATCH_ID).startswith("_results/")  # outside the entity folders
    try:  # the cloud runtime reads the result from this key
        from moviepipe.runtime.cloud.aws import RESULT_KEY
    except ImportError:
        return
    assert movies_job.result_relpath(API_BATCH_ID) == RESULT_KEY.format(batch_id=API_BATCH_ID)


@pytest.mark.integration
def test_default_dataset_rules_on_duckdb(duck, default_raw_csv, tmp_path):
    """The real data: only the two shared imdbIDs are rejected; every other rule rejects nothing."""
    result = run(duck, default_raw_csv, tmp_path, batch_id="b-default")
    assert_reconciles(result.result)
    assert result.result["rows_in"] == 17472
    assert result.result["rejected_by_rule"] == {
        rule: (2 if rule == "duplicate_imdb_id" else 0) for rule in RULES + DELETES_RULES}
    kept = {r["IMDB_ID"]: r for r in result.movies if r["IMDB_ID"] in ("tt0078788", "tt0850669")}
    assert (kept["tt0078788"]["TITLE"], kept["tt0850669"]["TITLE"]) == (
        "Apocalypse Now Redux", "Captain Mike Across America")  # same lastUpdated: higher sourceId
    assert sorted(r["RECORD_KEY"] for r in result.rejected) == ["tt0078788", "tt0850669"]
    precision = [r["RELEASED_PRECISION"] for r in result.movies]
    assert precision.count("year") == 11468 - 1  # padded year-only dates, minus rejected Apocalypse Now
    assert any(r["TITLE"] == "8½" for r in result.movies)
    genres = {r["IMDB_ID"] for r in result.rows["movie_genres"]}
    assert all((m["PRIMARY_GENRE"] is None) == (m["IMDB_ID"] not in genres) for m in result.movies)
    assert {r["ROLE"] for r in result.rows["movie_people"]} == {"director", "writer", "cast"}
    assert all(m["EXTRA"] is None for m in result.movies)  # sourceId and Oscars are contract extras
