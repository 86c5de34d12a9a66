"""Acceptance on the real default dataset, and the Spark engine against the default engine."""

from __future__ import annotations

import shutil

import pytest

from flows.pipeline import run_flow
from tests.conftest import warehouse_query as query

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("prefect_harness")]


def test_default_source_loads_one_current_row_per_valid_imdb_id(home):
    result = run_flow()
    assert result["reconcile"] == {"extracted": 17472, "loaded": 17470, "rejected": 2, "balanced": True}
    current = query(home, "SELECT COUNT(*) AS N, COUNT(DISTINCT IMDB_ID) AS IDS FROM ANALYTICS.DIM_MOVIE "
                          "WHERE IS_CURRENT")[0]
    assert current == {"N": 17470, "IDS": 17470}
    ledger = query(home, "SELECT STAGE, ROWS_IN, ROWS_OUT, ROWS_REJECTED FROM OPS.BATCH_LEDGER "
                         "WHERE STAGE = 'reconcile'")
    assert ledger == [{"STAGE": "reconcile", "ROWS_IN": 17472, "ROWS_OUT": 17470, "ROWS_REJECTED": 2}]
    assert run_flow()["status"] == "unchanged"


@pytest.mark.spark
def test_spark_engine_gives_the_same_warehouse(tmp_path, subset_db, monkeypatch):
    if shutil.which("java") is None:
        pytest.skip("engine 'spark' needs Java 17 on PATH (CI has it)")
    url = f"sqlite:///{subset_db}"
    homes = {engine: tmp_path / engine for engine in ("duckdb", "spark")}
    for engine, home in homes.items():
        monkeypatch.setenv("MOVIEPIPE_HOME", str(home))
        assert run_flow(source=url, engine=engine)["reconcile"]["balanced"]
    snapshots = ("SELECT IMDB_ID, TITLE, RELEASED, RUNTIME_MINUTES, GENRES, CHANGE_HASH, TYPE1_HASH "
                 "FROM ANALYTICS.DIM_MOVIE ORDER BY IMDB_ID",
                 "SELECT IMDB_ID, BOX_OFFICE FROM ANALYTICS.MOVIE_CURRENT ORDER BY IMDB_ID",
                 "SELECT IMDB_ID, RATING_SOURCE_KEY, SNAPSHOT_DATE, SCORE FROM ANALYTICS.FACT_MOVIE_RATING "
                 "ORDER BY IMDB_ID, RATING_SOURCE_KEY, SNAPSHOT_DATE")
    for snapshot in snapshots:
        duck, spark = (query(homes[e], snapshot) for e in ("duckdb", "spark"))
        assert len(duck) > 300 and duck == spark, snapshot
