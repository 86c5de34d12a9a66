"""Audit timestamps are UTC whatever the session's time zone (Snowflake's default is America/Los_Angeles).

The warehouse's TIMESTAMP_NTZ audit columns (LOADED_AT, UPDATED_AT, CREATED_AT, FAILED_AT, the
emulator's offsets) are written with SYSDATE() or CONVERT_TIMEZONE('UTC', CURRENT_TIMESTAMP()), which
are UTC; CURRENT_TIMESTAMP() cast to NTZ would store the session's wall clock. On fakesnow the session
time zone is DuckDB's TimeZone setting (fakesnow does not implement ALTER SESSION SET TIMEZONE), so that
is what the test changes.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import sqlglot
from sqlglot import exp
from warehouse_testlib import movie

from moviepipe.warehouse import sqlfiles

VALUES = {"database": "MOVIEPIPE", "archive_url": "file:///x/", "stage_options": "", "warehouse": "WH"}
AUDIT_COLUMNS = {
    "RAW.MOVIES": "LOADED_AT", "RAW.MOVIE_GENRES": "LOADED_AT", "OPS.LOADED_FILES": "LOADED_AT",
    "OPS.STREAM_OFFSETS": "UPDATED_AT", "ANALYTICS.DIM_MOVIE": "UPDATED_AT", "ANALYTICS.DIM_GENRE": "CREATED_AT",
    "ANALYTICS.BRIDGE_MOVIE_GENRE": "UPDATED_AT", "ANALYTICS.FACT_MOVIE_RATING": "UPDATED_AT",
    "OPS.LOAD_FAILURES": "FAILED_AT",
}


def test_audit_timestamps_are_utc_in_a_los_angeles_session(snow):
    snow.warehouse.connection._duck_conn.execute("SET TimeZone = 'America/Los_Angeles'")
    wall_clock = snow.scalar("SELECT CURRENT_TIMESTAMP()::TIMESTAMP_NTZ")
    utc_now = datetime.now(timezone.utc).replace(tzinfo=None)
    assert abs(wall_clock - utc_now) > timedelta(hours=7), "the session must really be off UTC for this test"

    snow.run("b1", [movie("tt1", "2026-01-01 00:00:00")])
    # inserts and every UPDATE ... SET path: a type-1 change, a moved bridge row, a newer rating snapshot
    snow.run("b2", [movie("tt1", "2026-01-01 12:00:00", PLOT="New plot.", GENRES="Crime, Drama", IMDB_RATING="8.4")])
    snow.run("b3", [{**movie("tt2", "2026-01-01 00:00:00"), "YEAR": "19x4"}], only=("movies",))  # a refused file
    for table, column in AUDIT_COLUMNS.items():
        stamps = [row[0] for row in snow.emulator.wh.execute(f"SELECT {column} FROM {table}")]
        assert stamps, f"{table} is empty"
        off = [s for s in stamps if abs(s - utc_now) > timedelta(minutes=10)]
        assert not off, f"{table}.{column} is not UTC: {off[:3]} (UTC now {utc_now:%H:%M})"


def _timestamp_calls(kind):
    for sql_file in sqlfiles.load(kind):
        for node in sqlglot.parse_one(_statement(sql_file), read="snowflake").find_all(exp.CurrentTimestamp):
            yield sql_file.path.name, node


def _statement(sql_file) -> str:
    text = sql_file.render(**VALUES)
    return sqlfiles.parse_task(text).body if sql_file.kind == "tasks" else text


@pytest.mark.parametrize("kind", ["tables", "tasks", "views"])
def test_sql_writes_no_session_time_zone_timestamps(kind):
    """SYSDATE() or CONVERT_TIMEZONE('UTC', CURRENT_TIMESTAMP()) only; a bare CURRENT_TIMESTAMP() is allowed
    as an instant handed to a table function (a TIMESTAMP_LTZ argument such as TASK_HISTORY's
    SCHEDULED_TIME_RANGE_START), never stored."""
    for name, node in _timestamp_calls(kind):
        converted = isinstance(node.parent, exp.ConvertTimezone) and node.parent.args["target_tz"].name == "UTC"
        if node.args.get("sysdate") or converted:
            continue
        assert node.find_ancestor(exp.Kwarg), f"{name}: {node.parent.sql('snowflake')} stores the session's clock"
