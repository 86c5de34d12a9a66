"""Fixtures for the Glue transform tests: sessions (one Spark per test session), raw CSVs, runs."""

from __future__ import annotations

import csv
import sqlite3
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from glue_testlib import (  # noqa: E402
    API_BATCH_CSV, API_BATCH_ID, DEFAULT_SQL, FIXTURE_CSV, BatchRun, default_db_path, java_missing_reason, run,
)
from movies_engine import make_session, stop_session  # noqa: E402


@pytest.fixture(scope="session")
def duck():
    session = make_session("duckdb")
    yield session
    stop_session(session)  # an open DuckDB connection at exit makes nanobind print leak reports


@pytest.fixture(scope="session")
def spark():
    reason = java_missing_reason()
    if reason:
        pytest.skip(reason)
    session = make_session("spark")
    yield session
    stop_session(session)


@pytest.fixture(scope="session")
def fixture_csv() -> str:
    return str(FIXTURE_CSV)


@pytest.fixture(scope="session")
def default_raw_csv(tmp_path_factory) -> str:
    """The default dataset written as the extractor writes it (Python csv, '""' escaping)."""
    db = default_db_path()
    if db is None:
        pytest.skip("bokeh-sampledata movies.db is not installed")
    from moviepipe.contract import EXTRA_COLUMNS, RAW_COLUMNS

    out = tmp_path_factory.mktemp("default_raw") / "movies.csv"
    connection = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        with open(out, "w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(RAW_COLUMNS + EXTRA_COLUMNS)
            writer.writerows(connection.execute(DEFAULT_SQL))
    finally:
        connection.close()
    return str(out)


@pytest.fixture(scope="session")
def fixture_run(duck, fixture_csv, tmp_path_factory) -> BatchRun:
    """The fixture through the duckdb engine, once per test session."""
    return run(duck, fixture_csv, tmp_path_factory.mktemp("fixture_duckdb"))


@pytest.fixture(scope="session")
def api_batch_run(duck, tmp_path_factory) -> BatchRun:
    """The OMDb-API-shaped batch (drift, deletes, manifest) through the duckdb engine, once."""
    return run(duck, API_BATCH_CSV, tmp_path_factory.mktemp("api_duckdb"), batch_id=API_BATCH_ID)
