"""Load and merge failures in the cloud runtime end with a named error or a refresh, never a time-out.

moto + fakesnow (``cloud_harness.py``): Snowpipe is the emulator running the pipes' own COPY, and
the Snowflake answers fakesnow does not have (COPY_HISTORY, ALTER PIPE ... REFRESH, SHOW STREAMS,
TASK_HISTORY) are scripted from what the emulator did, in Snowflake's documented result columns.
"""

from __future__ import annotations

import pytest
import sqlglot

from moviepipe import pipeline
from moviepipe.errors import StageError
from moviepipe.runtime.cloud.snowflake import COPY_HISTORY_SQL
from test_cloud_runtime import carry

pytestmark = pytest.mark.integration

#: COPY_HISTORY's columns (Information Schema table function), as Snowflake documents them.
COPY_HISTORY_COLUMNS = {
    "FILE_NAME", "STAGE_LOCATION", "LAST_LOAD_TIME", "ROW_COUNT", "ROW_PARSED", "FILE_SIZE", "FIRST_ERROR_MESSAGE",
    "FIRST_ERROR_LINE_NUMBER", "FIRST_ERROR_CHARACTER_POS", "FIRST_ERROR_COLUMN_NAME", "ERROR_COUNT", "ERROR_LIMIT",
    "STATUS", "TABLE_CATALOG_NAME", "TABLE_SCHEMA_NAME", "TABLE_NAME", "PIPE_CATALOG_NAME", "PIPE_SCHEMA_NAME",
    "PIPE_NAME", "PIPE_RECEIVED_TIME", "FIRST_COMMIT_TIME",
}
#: SHOW STREAMS output columns, as Snowflake documents them.
SHOW_STREAMS_COLUMNS = {
    "created_on", "name", "database_name", "schema_name", "owner", "comment", "table_name", "source_type",
    "base_tables", "type", "stale", "mode", "stale_after", "invalid_reason", "owner_role_type",
}


def through_transform(rt, batch):
    bid, rows = batch["batch_id"], batch["rows"]
    pipeline.land(rt, bid, batch["zip"], batch["key"], rows)
    pipeline.transform(rt, bid, pipeline.unzip(rt, bid, batch["key"], rows))
    return bid


def movies_file(bid: str) -> str:
    return f"movies/batch_id={bid}/movies.csv"


def test_a_file_with_a_bad_row_ends_the_load_with_the_file_and_snowflakes_error(harness, packaged_batch):
    harness.bad_value = ("movies", "YEAR", "19x4")
    rt = harness.runtime()
    bid = through_transform(rt, packaged_batch)
    with pytest.raises(StageError) as raised:
        pipeline.load(rt, bid)
    message = str(raised.value)
    assert message.startswith(f"load: Snowpipe refused 1 file(s) of batch {bid} (ON_ERROR = SKIP_FILE")
    assert f"RAW.MOVIES_PIPE: {movies_file(bid)}: Numeric value '19x4' is not recognized at line 2, " \
           'column "MOVIES"["YEAR":5]' in message and "timed out" not in message
    assert {row["STATUS"] for row in harness.copy_history if row["FILE_NAME"] == movies_file(bid)} == {"Load failed"}
    recorded = rt.warehouse.query("SELECT FILE_NAME, ERROR_MESSAGE FROM OPS.LOAD_FAILURES WHERE BATCH_ID = %s", (bid,))
    assert recorded == [{"FILE_NAME": movies_file(bid), "ERROR_MESSAGE": "Numeric value '19x4' is not recognized"}]
    assert rt.ledger.rows(bid)[-1]["STAGE"] == "load" and rt.ledger.rows(bid)[-1]["STATE"] == "failed"
    assert rt.warehouse.scalar("SELECT COUNT(*) FROM RAW.MOVIES WHERE BATCH_ID = %s", (bid,)) == 0


def test_a_file_whose_s3_event_never_arrived_is_refreshed_once_and_loads(harness, packaged_batch):
    rt = harness.runtime(load_refresh_after=0.2)
    bid = packaged_batch["batch_id"]
    harness.lost_events = {movies_file(bid)}
    _, transformed, loaded, _, reconciled = carry(rt, packaged_batch)
    assert harness.refresh_requests == [("RAW.MOVIES_PIPE", f"batch_id={bid}/")]
    assert loaded["RAW.MOVIES_PIPE"] == transformed["rows_out"] and reconciled["balanced"]


def test_a_missed_file_that_refresh_does_not_queue_is_named(harness, packaged_batch):
    harness.refresh_blind = True
    rt = harness.runtime(load_refresh_after=0.2)
    harness.lost_events = {movies_file(packaged_batch["batch_id"])}
    bid = through_transform(rt, packaged_batch)
    with pytest.raises(StageError, match=rf"load: batch {bid}: Snowpipe never received the S3 event of "
                                         rf"RAW.MOVIES_PIPE: {movies_file(bid)}, and ALTER PIPE \.\.\. REFRESH did "
                                         r"not queue it"):
        pipeline.load(rt, bid)


def test_a_missed_file_still_unloaded_after_the_refresh_is_named_when_the_wait_ends(harness, packaged_batch):
    harness.refresh_stalls = True
    rt = harness.runtime(load_refresh_after=0.2, load_timeout=1)
    bid = packaged_batch["batch_id"]
    harness.lost_events = {movies_file(bid)}
    with pytest.raises(StageError, match=rf"load: timed out after 1 s waiting for Snowpipe to load batch {bid} .* "
                                         r"after ALTER PIPE \.\.\. REFRESH of RAW.MOVIES_PIPE PREFIX = "
                                         rf"'batch_id={bid}/': .*files with no load record in COPY_HISTORY: "
                                         rf"RAW.MOVIES_PIPE: {movies_file(bid)}"):
        carry(rt, packaged_batch)
    assert harness.refresh_requests == [("RAW.MOVIES_PIPE", f"batch_id={bid}/")], "one refresh, not one per poll"


def test_a_stale_stream_stops_the_merge_with_its_recovery(harness, packaged_batch):
    rt = harness.runtime()
    bid = through_transform(rt, packaged_batch)
    pipeline.load(rt, bid)
    harness.stale_streams = {"RAW.MOVIES_STREAM"}
    with pytest.raises(StageError, match=r"merge: stale streams: RAW.MOVIES_STREAM \(stale after .*\): .*Recover: "
                                         r"CREATE OR REPLACE STREAM MOVIEPIPE.RAW.MOVIES_STREAM ON TABLE "
                                         r"MOVIEPIPE.RAW.MOVIES APPEND_ONLY = TRUE SHOW_INITIAL_ROWS = TRUE"):
        pipeline.merge(rt, bid)
    assert harness.task_requests == [] and harness.task_history == [], "no merge over a stale stream"
    with pytest.raises(StageError, match="stale streams"):
        pipeline.merge(harness.runtime(merge_mode="direct"), bid)


def test_the_merge_waits_out_the_roots_retries_and_its_finalizer(harness, packaged_batch, monkeypatch):
    calls = {"n": 0}
    original = harness.emulator._run_task

    def flaky(task, consumed):  # the rating merge fails once, then its automatic retry succeeds
        if task.name == "ANALYTICS.MERGE_FACT_MOVIE_RATING" and calls["n"] == 0:
            calls["n"] += 1
            raise RuntimeError("Warehouse MOVIEPIPE_WH was suspended")
        return original(task, consumed)

    monkeypatch.setattr(harness.emulator, "_run_task", flaky)
    rt = harness.runtime()
    _, _, _, merged, reconciled = carry(rt, packaged_batch)
    assert merged["tasks"]["ANALYTICS.MERGE_FACT_MOVIE_RATING"] == "ran"
    assert merged["tasks"]["ANALYTICS.RECORD_MERGE_OUTCOME"] == "ran" and reconciled["balanced"]
    (outcome,) = rt.warehouse.query("SELECT STATE, ATTEMPTS FROM OPS.TASK_GRAPH_RUNS")
    assert outcome == {"STATE": "SUCCEEDED", "ATTEMPTS": 2}
    states = [(r["NAME"], r["STATE"], r["ATTEMPT_NUMBER"]) for r in harness.task_history]
    assert ("MERGE_FACT_MOVIE_RATING", "FAILED", 1) in states and ("MERGE_FACT_MOVIE_RATING", "SUCCEEDED", 2) in states


def test_a_task_that_fails_every_retry_is_named_with_its_last_attempt(harness, packaged_batch, monkeypatch):
    original = harness.emulator._run_task

    def broken(task, consumed):
        if task.name == "ANALYTICS.MERGE_FACT_MOVIE_RATING":
            raise RuntimeError("Numeric value 'abc' is not recognized")
        return original(task, consumed)

    monkeypatch.setattr(harness.emulator, "_run_task", broken)
    rt = harness.runtime()
    bid = through_transform(rt, packaged_batch)
    pipeline.load(rt, bid)
    with pytest.raises(StageError, match=r"merge: task ANALYTICS.MERGE_FACT_MOVIE_RATING FAILED \(attempt 3\): "
                                         r"Numeric value 'abc'"):
        pipeline.merge(rt, bid)
    (outcome,) = rt.warehouse.query("SELECT STATE, FAILED_TASKS FROM OPS.TASK_GRAPH_RUNS")
    assert outcome == {"STATE": "FAILED", "FAILED_TASKS": "MERGE_FACT_MOVIE_RATING"}, "the finalizer recorded it"


def test_scripted_answers_have_snowflakes_documented_columns(harness, packaged_batch):
    carry(harness.runtime(), packaged_batch)
    assert harness.copy_history and all(set(row) == COPY_HISTORY_COLUMNS for row in harness.copy_history)
    assert {row["STATUS"] for row in harness.copy_history} == {"Loaded"}
    shown = harness.runtime().snowflake.show_streams()
    assert shown and all(set(row) == SHOW_STREAMS_COLUMNS for row in shown)
    selected = sqlglot.parse_one(COPY_HISTORY_SQL.format(database="MOVIEPIPE").replace("%s", "'x'"), read="snowflake")
    assert {e.alias_or_name.upper() for e in selected.expressions} <= COPY_HISTORY_COLUMNS
