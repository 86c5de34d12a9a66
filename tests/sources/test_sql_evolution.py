"""The SQL source over time: mapping files, schema drift, look-back windows, deleted rows."""

from __future__ import annotations

import json
import sqlite3
import zipfile

import pyarrow as pa
import pytest

from moviepipe import pipeline
from moviepipe.contract import EXTRA_COLUMNS, RAW_COLUMNS, validate_manifest
from moviepipe.errors import SourceError
from moviepipe.runtime import build_runtime
from moviepipe.settings import load_settings
from moviepipe.sources.sql import SchemaDriftError, SqlSource
from moviepipe.sources.sql.mapping import load_mapping


def read_all(source: SqlSource, plan) -> pa.Table:
    return pa.Table.from_batches(list(source.batches(plan)), schema=source.schema)


@pytest.fixture
def rt(home):
    runtime = build_runtime(load_settings(home=str(home)))
    yield runtime
    runtime.close()


# --------------------------------------------------------------------------- #
# A database with other names, through a mapping file
# --------------------------------------------------------------------------- #

MAPPING_TOML = """
base = "films"
key = "film_no"
watermark = "films.changed_on"
ignore = ["critics.film_no"]

[joins]
critics = "film_no"

[columns]
imdbID = "films.imdb_code"
Title = "films.name"
Year = "films.release_year"
Runtime = "films.minutes"
Genre = "films.genres"
tomatoMeter = "critics.meter"
lastUpdated = "films.changed_on"
sourceId = "films.film_no"
Type = { literal = "movie" }

[options]
drift_policy = "fail"
"""


def renamed_copy(subset_db, target):
    with sqlite3.connect(target) as conn:
        conn.execute("ATTACH DATABASE ? AS src", (str(subset_db),))
        conn.execute("CREATE TABLE films AS SELECT ID AS film_no, imdbID AS imdb_code, Title AS name, "
                     "Year AS release_year, Runtime AS minutes, Genre AS genres, lastUpdated AS changed_on FROM src.omdb")
        conn.execute("CREATE TABLE critics AS SELECT ID AS film_no, Meter AS meter FROM src.tomatoes")
        conn.commit()
    return target


def test_mapping_file_reads_a_database_with_other_names(subset_db, tmp_path):
    db = renamed_copy(subset_db, tmp_path / "films.db")
    mapping_file = tmp_path / "films.toml"
    mapping_file.write_text(MAPPING_TOML)
    renamed = SqlSource(f"sqlite:///{db}", mapping=load_mapping(mapping_file))
    default = SqlSource(f"sqlite:///{subset_db}")
    try:
        got = read_all(renamed, renamed.plan(None)).sort_by("sourceId")
        want = read_all(default, default.plan(None)).sort_by("sourceId")
        assert got.column_names == list(RAW_COLUMNS + EXTRA_COLUMNS)
        for name in ("imdbID", "Title", "Year", "Runtime", "Genre", "tomatoMeter", "lastUpdated", "sourceId"):
            assert got.column(name).to_pylist() == want.column(name).to_pylist(), name
        assert set(got.column("Type").to_pylist()) == {"movie"}
        assert got.column("Director").null_count == got.num_rows  # not mapped: NULL
    finally:
        renamed.close()
        default.close()


@pytest.mark.parametrize("text, message", [
    ('base = "films"\nkey = "id"\nwatermark = "films"\n[columns]\nimdbID = "films.a"\nlastUpdated = "films.b"',
     "watermark: Value error, must be 'table.column'"),
    ('base = "films"\nkey = "id"\nwatermark = "films.b"\n[columns]\nimdbID = "films.a"\nlastUpdated = "films.b"\n'
     'Budget = "films.c"', "not raw-contract columns: Budget"),
    ('base = "films"\nkey = "id"\nwatermark = "films.b"\n[columns]\nTitle = "films.a"',
     "must map imdbID and lastUpdated"),
    ('base = "films"\nkey = "id"\nwatermark = "films.b"\n[columns]\nimdbID = "films.a"\nlastUpdated = "films.b"\n'
     '[options]\ndrift_policy = "ignore"', "options.drift_policy"),
    ('base = ', "not valid TOML"),
])
def test_bad_mapping_files_name_the_problem(tmp_path, text, message):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(SourceError, match="bad.toml") as error:
        load_mapping(path)
    assert message in str(error.value)


# --------------------------------------------------------------------------- #
# Schema drift
# --------------------------------------------------------------------------- #

def alter(db, *statements):
    with sqlite3.connect(db) as conn:
        for statement in statements:
            conn.execute(statement)
        conn.commit()


def test_new_column_evolves_into_the_raw_files(subset_db):
    alter(subset_db, "ALTER TABLE omdb ADD COLUMN Budget REAL", "UPDATE omdb SET Budget = ID * 1000.0")
    source = SqlSource(f"sqlite:///{subset_db}")
    try:
        plan = source.plan(None)
        assert plan.drift["added"] == [{"name": "Budget", "type": "number"}]
        table = read_all(source, plan)
        assert table.column_names[-1] == "Budget"
        assert table.column("Budget").null_count == 0
    finally:
        source.close()


def test_new_column_fails_under_policy_fail(subset_db):
    alter(subset_db, "ALTER TABLE tomatoes ADD COLUMN Certified INTEGER")
    with pytest.raises(SchemaDriftError, match=r"new columns Certified .*nothing was landed"):
        SqlSource(f"sqlite:///{subset_db}", drift_policy="fail")


def test_missing_column_is_null_under_evolve_and_fails_under_fail(subset_db):
    alter(subset_db, "ALTER TABLE omdb DROP COLUMN Awards", "ALTER TABLE tomatoes DROP COLUMN Website")
    with pytest.raises(SchemaDriftError, match="missing columns Awards, Website"):
        SqlSource(f"sqlite:///{subset_db}", drift_policy="fail")
    source = SqlSource(f"sqlite:///{subset_db}")
    try:
        plan = source.plan(None)
        assert plan.drift["missing"] == ["Awards", "Website"]
        table = read_all(source, plan)
        assert table.column("Awards").null_count == table.num_rows > 0
    finally:
        source.close()


def test_retyped_column_is_found_against_the_committed_baseline(subset_db, rt):
    source = SqlSource(f"sqlite:///{subset_db}", drift_policy="fail")
    batch = pipeline.plan(rt, source)
    assert batch.drift["retyped"] == []
    pipeline.commit(rt, source, batch)  # records the baseline column types
    source.close()
    # Runtime becomes TEXT ("148 min"): same name, another type family
    alter(subset_db, "ALTER TABLE omdb RENAME COLUMN Runtime TO RuntimeOld",
          "ALTER TABLE omdb ADD COLUMN Runtime TEXT", "UPDATE omdb SET Runtime = CAST(RuntimeOld AS INTEGER) || ' min'",
          "ALTER TABLE omdb DROP COLUMN RuntimeOld")
    source = SqlSource(f"sqlite:///{subset_db}", drift_policy="fail")
    try:
        with pytest.raises(SchemaDriftError, match=r"retyped columns Runtime \(number -> text\)"):
            pipeline.plan(rt, source)
    finally:
        source.close()
    source = SqlSource(f"sqlite:///{subset_db}")  # evolve: carried, and recorded
    try:
        batch = pipeline.plan(rt, source, full_refresh=True)
        assert batch.drift["retyped"] == [{"name": "Runtime", "was": "number", "now": "text"}]
    finally:
        source.close()


def test_drift_is_recorded_in_manifest_and_ledger(subset_db, rt):
    alter(subset_db, "ALTER TABLE omdb ADD COLUMN Budget REAL", "ALTER TABLE omdb DROP COLUMN Awards")
    source = SqlSource(f"sqlite:///{subset_db}")
    try:
        batch = pipeline.plan(rt, source)
        raw = pipeline.extract(rt, source, batch)
        zip_path = pipeline.package(rt, batch, raw)
    finally:
        source.close()
    with zipfile.ZipFile(zip_path) as archive:
        manifest = validate_manifest(json.loads(archive.read("manifest.json")))
    assert manifest["schema_drift"] == {"policy": "evolve", "added": [{"name": "Budget", "type": "number"}],
                                        "missing": ["Awards"], "retyped": []}
    assert "Budget" in [column["name"] for column in manifest["columns"]]
    extract_row = [row for row in rt.ledger.rows(batch.batch_id) if row["STAGE"] == "extract"][0]
    assert json.loads(extract_row["DETAIL"])["schema_drift"]["missing"] == ["Awards"]


# --------------------------------------------------------------------------- #
# Look-back window
# --------------------------------------------------------------------------- #

def test_lookback_rereads_late_updates_behind_the_watermark(subset_db):
    alter(subset_db, "UPDATE omdb SET lastUpdated = '2026-01-01'",
          "UPDATE omdb SET lastUpdated = '2026-10-10' WHERE ID IN (SELECT ID FROM omdb ORDER BY ID LIMIT 4)",
          "UPDATE omdb SET lastUpdated = '2026-11-01' WHERE ID IN (SELECT ID FROM omdb ORDER BY ID DESC LIMIT 2)")
    plain = SqlSource(f"sqlite:///{subset_db}")
    looking_back = SqlSource(f"sqlite:///{subset_db}", lookback_days=30)
    try:
        assert plain.plan("2026-10-20").expected_rows == 2
        plan = looking_back.plan("2026-10-20")
        assert plan.low == "2026-09-20" and plan.high == "2026-11-01"
        assert plan.new_rows == 2 and plan.expected_rows == 6
        assert read_all(looking_back, plan).num_rows == 6
        assert looking_back.plan("2026-10-20").batch_id == plan.batch_id  # a retry is the same batch
        assert looking_back.plan("2026-11-01").is_empty  # nothing new: no batch, even with rows in the window
    finally:
        plain.close()
        looking_back.close()


# --------------------------------------------------------------------------- #
# Deleted rows (key scan)
# --------------------------------------------------------------------------- #

def test_deleted_rows_make_a_batch_with_a_deletes_file(subset_db, rt):
    source = SqlSource(f"sqlite:///{subset_db}", detect_deletes=True)
    first = pipeline.plan(rt, source)
    assert first.delete_count == 0 and first.current_keys.num_rows > 300
    pipeline.commit(rt, source, first)
    source.close()

    with sqlite3.connect(subset_db) as conn:
        gone = [row[0] for row in conn.execute(
            "SELECT imdbID FROM omdb WHERE imdbID NOT IN ('tt0078788', 'tt0850669') ORDER BY ID LIMIT 3")]
        conn.execute(f"DELETE FROM omdb WHERE imdbID IN ({','.join('?' * 3)})", gone)
        # one of two films sharing an imdbID goes: the imdbID still exists, so it is no delete
        conn.execute("DELETE FROM omdb WHERE ID = (SELECT MIN(ID) FROM omdb WHERE imdbID = 'tt0078788')")
        conn.commit()

    source = SqlSource(f"sqlite:///{subset_db}", detect_deletes=True)
    try:
        batch = pipeline.plan(rt, source)
        assert batch.new_rows == 0 and batch.expected_rows == 0 and not batch.is_empty
        assert sorted(batch.deletes.column("imdbID").to_pylist()) == sorted(gone)
        assert pipeline.plan(rt, source).batch_id == batch.batch_id != first.batch_id
        raw = pipeline.extract(rt, source, batch)
        zip_path = pipeline.package(rt, batch, raw)
        with zipfile.ZipFile(zip_path) as archive:
            manifest = json.loads(archive.read("manifest.json"))
            deletes = archive.read("deletes.csv").decode().splitlines()
        roles = {item["name"]: item.get("role") for item in manifest["files"]}
        assert roles == {"movies.csv": "data", "movies.parquet": "data", "deletes.csv": "deletes"}
        assert deletes[0] == '"imdbID","sourceId","deletedAt"' and len(deletes) == 4
        assert manifest["row_count"] == 0
        pipeline.commit(rt, source, batch)
        assert pipeline.plan(rt, source).is_empty  # deletes are reported once
        assert not (rt.work_dir / batch.batch_id).exists()  # staging copy dropped after commit
    finally:
        source.close()
