"""The whole local pipeline through the Prefect flow, on real movie data."""

from __future__ import annotations

import sqlite3

import pytest

from flows.pipeline import run_flow
from moviepipe import pipeline
from moviepipe.runtime import build_runtime
from moviepipe.settings import load_settings
from moviepipe.sources.sql import SqlSource
from tests.conftest import warehouse_query as query

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("prefect_harness")]

TABLES = ("RAW.MOVIES", "ANALYTICS.DIM_MOVIE", "OPS.BATCH_LEDGER", "OPS.REJECTED_ROWS", "OPS.LOADED_FILES")


def counts(home):
    return {table: query(home, f"SELECT COUNT(*) AS N FROM {table}")[0]["N"] for table in TABLES}


def source_facts(db):
    with sqlite3.connect(db) as conn:
        films = conn.execute("SELECT COUNT(*) FROM omdb").fetchone()[0]
        distinct = conn.execute("SELECT COUNT(DISTINCT imdbID) FROM omdb").fetchone()[0]
        shared = conn.execute("SELECT COUNT(*) FROM (SELECT imdbID FROM omdb GROUP BY 1 HAVING COUNT(*) > 1)").fetchone()[0]
    return films, distinct, shared


def test_run_reconciles_is_idempotent_and_tracks_scd2_changes(home, subset_db):
    url = f"sqlite:///{subset_db}"
    films, distinct, shared = source_facts(subset_db)

    first = run_flow(source=url)
    assert first["status"] == "loaded"
    rec = first["reconcile"]
    assert rec["extracted"] == films == rec["loaded"] + rec["rejected"]
    assert rec["rejected"] == shared, "each shared imdbID keeps its newest film and rejects the other"
    assert {row["STATE"] for row in first["ledger"]} == {"succeeded"}
    current = query(home, "SELECT COUNT(*) AS N, COUNT(DISTINCT IMDB_ID) AS IDS FROM ANALYTICS.DIM_MOVIE "
                          "WHERE IS_CURRENT")[0]
    assert current["N"] == current["IDS"] == distinct
    rejected = query(home, "SELECT RULE, RECORD_KEY, REASON FROM OPS.REJECTED_ROWS")
    assert {row["RULE"] for row in rejected} == {"duplicate_imdb_id"} and all(row["REASON"] for row in rejected)

    before = counts(home)
    second = run_flow(source=url)
    assert second["status"] == "unchanged"
    assert counts(home) == before, "a run on an unchanged source adds no row anywhere"

    with sqlite3.connect(subset_db) as conn:
        changed = [row[0] for row in conn.execute(
            "SELECT imdbID FROM omdb WHERE imdbID NOT IN ('tt0078788', 'tt0850669') ORDER BY ID LIMIT 100")]
        conn.executemany("UPDATE omdb SET Title = Title || ' (restored)', Runtime = COALESCE(Runtime, 90) + 7, "
                         "lastUpdated = '2026-11-20' WHERE imdbID = ?", [(i,) for i in changed])
    snapshot = query(home, "SELECT * FROM ANALYTICS.DIM_MOVIE ORDER BY MOVIE_KEY")

    third = run_flow(source=url)
    assert third["reconcile"]["extracted"] == 100 and third["reconcile"]["balanced"]
    assert third["merge"]["new_versions"] == 100 and third["merge"]["closed_versions"] == 100
    after = query(home, "SELECT * FROM ANALYTICS.DIM_MOVIE ORDER BY MOVIE_KEY")
    untouched = [row for row in snapshot if row["IMDB_ID"] not in changed]
    assert [row for row in after if row["IMDB_ID"] not in changed] == untouched, "nothing else changed"
    versions = [row for row in after if row["IMDB_ID"] in changed]
    assert len(versions) == 200
    for imdb_id in changed:
        old, new = sorted((r for r in versions if r["IMDB_ID"] == imdb_id), key=lambda r: r["VALID_FROM"])
        assert not old["IS_CURRENT"] and new["IS_CURRENT"]
        assert old["VALID_TO"] == new["VALID_FROM"]
        assert new["TITLE"].endswith("(restored)") and new["RUNTIME_MINUTES"] == (old["RUNTIME_MINUTES"] or 90) + 7


def test_crash_after_transform_resumes_without_duplicates(home, subset_db):
    url = f"sqlite:///{subset_db}"
    films, _, _ = source_facts(subset_db)
    # Run the first stages by hand and "crash" before load: the batch is landed, unzipped, transformed.
    rt = build_runtime(load_settings(home=str(home)))
    source = SqlSource(url)
    try:
        batch = pipeline.plan(rt, source)
        raw = pipeline.extract(rt, source, batch)
        zip_path = pipeline.package(rt, batch, raw)
        key = pipeline.landing_key("crash", batch.batch_id)
        pipeline.land(rt, batch.batch_id, zip_path, key, raw.rows)
        raw_key = pipeline.unzip(rt, batch.batch_id, key, raw.rows)
        pipeline.transform(rt, batch.batch_id, raw_key)
    finally:
        source.close()
        rt.close()

    result = run_flow(source=url)
    assert result["batch_id"] == batch.batch_id, "the retried extraction is the same batch"
    assert result["reconcile"]["balanced"] and result["reconcile"]["extracted"] == films
    dupes = query(home, "SELECT COUNT(*) AS N FROM (SELECT IMDB_ID FROM RAW.MOVIES GROUP BY 1 HAVING COUNT(*) > 1)")
    assert dupes[0]["N"] == 0
    assert run_flow(source=url)["status"] == "unchanged"
