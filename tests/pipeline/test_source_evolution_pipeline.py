"""Schema drift and source deletes through the whole local pipeline, into the warehouse."""

from __future__ import annotations

import json
import sqlite3

import pytest

from flows.pipeline import run_flow
from moviepipe.errors import SourceError
from tests.conftest import DUPLICATE_IMDB_IDS
from tests.conftest import warehouse_query as query

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("prefect_harness")]


def test_an_evolved_column_reaches_raw_extra_and_a_failing_policy_lands_nothing(home, subset_db, monkeypatch):
    with sqlite3.connect(subset_db) as conn:
        conn.execute("ALTER TABLE omdb ADD COLUMN Budget REAL")
        conn.execute("UPDATE omdb SET Budget = ID * 1000.0")
    url = f"sqlite:///{subset_db}"

    monkeypatch.setenv("MOVIEPIPE_DRIFT_POLICY", "fail")
    with pytest.raises(SourceError, match="new columns Budget"):
        run_flow(source=url, home=str(home))
    landing = home / "buckets" / "landing" / "incoming"
    assert not landing.exists() or not any(landing.rglob("*.zip")), "policy fail lands nothing"

    monkeypatch.setenv("MOVIEPIPE_DRIFT_POLICY", "evolve")
    result = run_flow(source=url, home=str(home))
    assert result["reconcile"]["balanced"]
    extract = [row for row in result["ledger"] if row["STAGE"] == "extract"][0]
    assert json.loads(extract["DETAIL"])["schema_drift"]["added"] == [{"name": "Budget", "type": "number"}]
    rows = query(home, "SELECT SOURCE_ID, EXTRA FROM RAW.MOVIES")
    budgets = {row["SOURCE_ID"]: _json(row["EXTRA"])["Budget"] for row in rows}
    assert len(budgets) == len(rows) > 300
    assert all(float(budget) == int(source_id) * 1000.0 for source_id, budget in budgets.items())


def test_rows_deleted_at_the_source_are_closed_and_flagged(home, subset_db, monkeypatch):
    url = f"sqlite:///{subset_db}"
    monkeypatch.setenv("MOVIEPIPE_DETECT_DELETES", "true")
    assert run_flow(source=url, home=str(home))["status"] == "loaded"
    with sqlite3.connect(subset_db) as conn:
        gone = [row[0] for row in conn.execute(
            f"SELECT imdbID FROM omdb WHERE imdbID NOT IN {DUPLICATE_IMDB_IDS} ORDER BY ID LIMIT 5")]
        conn.executemany("DELETE FROM omdb WHERE imdbID = ?", [(i,) for i in gone])

    deleting = run_flow(source=url, home=str(home))
    assert deleting["status"] == "loaded" and deleting["reconcile"]["extracted"] == 0
    assert deleting["merge"]["deleted_movies"] == 5
    current = query(home, "SELECT IMDB_ID, IS_DELETED FROM ANALYTICS.DIM_MOVIE WHERE IS_CURRENT")
    flags = {row["IMDB_ID"]: row["IS_DELETED"] for row in current}
    assert len(flags) == len(current), "exactly one current row per movie"
    assert {i for i, deleted in flags.items() if deleted} == set(gone)
    closed = query(home, "SELECT COUNT(*) AS N FROM ANALYTICS.DIM_MOVIE WHERE NOT IS_CURRENT AND IMDB_ID IN "
                         f"({','.join(repr(i) for i in gone)})")[0]["N"]
    assert closed == 5
    assert not query(home, "SELECT * FROM ANALYTICS.MOVIE_CURRENT WHERE IMDB_ID IN "
                           f"({','.join(repr(i) for i in gone)})"), "deleted movies leave the current view"
    assert run_flow(source=url, home=str(home))["status"] == "unchanged", "a delete is reported once"


def _json(value):
    return value if isinstance(value, dict) else json.loads(value)
