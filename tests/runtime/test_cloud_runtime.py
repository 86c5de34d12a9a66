"""The cloud runtime against moto (S3, SQS notifications, Glue API, SNS) and fakesnow.

See ``cloud_harness.py`` for which parts are real protocols and which the harness plays
(the Lambda and Glue code run for real but are invoked by the harness; Snowpipe and
tasks are the local emulator over the same sql/ files).
"""

from __future__ import annotations

import os

import pytest
import sqlglot

from moviepipe import pipeline
from moviepipe.errors import BatchRejected, StageError
from moviepipe.runtime import build_runtime
from moviepipe.runtime.cloud.aws import RESULT_KEY, upload_once
from moviepipe.runtime.cloud.snowflake import TASK_HISTORY_SQL
from moviepipe.settings import load_settings

pytestmark = pytest.mark.integration


def carry(rt, batch):
    """The stage functions the flows wrap, in flow order."""
    bid, rows = batch["batch_id"], batch["rows"]
    pipeline.land(rt, bid, batch["zip"], batch["key"], rows)
    raw_key = pipeline.unzip(rt, bid, batch["key"], rows)
    transformed = pipeline.transform(rt, bid, raw_key)
    loaded = pipeline.load(rt, bid)
    merged = pipeline.merge(rt, bid)
    reconciled = pipeline.reconcile(rt, bid, rows)
    return raw_key, transformed, loaded, merged, reconciled


def test_a_batch_goes_through_s3_lambda_glue_snowpipe_and_tasks(harness, packaged_batch):
    rt = harness.runtime()
    raw_key, transformed, loaded, merged, reconciled = carry(rt, packaged_batch)
    bid = packaged_batch["batch_id"]

    head = harness.s3.head_object(Bucket=rt.landing.bucket, Key=packaged_batch["key"])
    assert len(head["Metadata"]["sha256"]) == 64
    assert raw_key == f"movies/batch_id={bid}/movies.csv"
    run = harness.glue.get_job_runs(JobName="moviepipe-test-movies")["JobRuns"][0]
    assert run["Arguments"]["--batch_id"] == bid
    assert run["Arguments"]["--processed_uri"] == f"s3://mp-test-processed/{raw_key}"
    assert transformed["result_source"] == "job" and transformed["glue_run_id"] == run["Id"]
    assert reconciled["balanced"] and reconciled["extracted"] == packaged_batch["rows"]
    folders = {pipe.name: pipe.stage_path.strip("/") for pipe in rt.snowflake.pipes}
    assert {"RAW.MOVIES_PIPE", "OPS.REJECTED_ROWS_PIPE"} <= set(folders)
    assert loaded == {name: transformed["entities"][folder] for name, folder in folders.items()}
    assert loaded["RAW.MOVIES_PIPE"] == transformed["rows_out"]
    assert merged["new_versions"] == transformed["rows_out"] > 250
    assert {row["STATE"] for row in rt.ledger.rows(bid)} == {"succeeded"}
    files = rt.warehouse.query("SELECT PIPE_NAME, FILE_NAME FROM OPS.LOADED_FILES")
    assert sorted((f["PIPE_NAME"], f["FILE_NAME"]) for f in files) == sorted(
        (name, f"{folder}/batch_id={bid}/{folder}.csv") for name, folder in folders.items())
    assert harness.task_requests == [] and harness.task_history[0]["STATE"] == "SUCCEEDED"

    # The same batch again: no re-upload, the Lambda's marker says duplicate, Glue reruns, nothing new loads.
    modified = head["LastModified"]
    rt2 = harness.runtime()
    rt2.land(packaged_batch["zip"], packaged_batch["key"])
    assert harness.s3.head_object(Bucket=rt.landing.bucket, Key=packaged_batch["key"])["LastModified"] == modified
    assert rt2.unzip(packaged_batch["key"]).status == "duplicate"
    count = rt.warehouse.scalar("SELECT COUNT(*) FROM RAW.MOVIES")
    assert count == transformed["rows_out"]


def test_large_zip_goes_multipart_with_checksums_and_is_not_uploaded_twice(harness, tmp_path):
    big = tmp_path / "big.zip"
    big.write_bytes(os.urandom(6 * 1024 * 1024))
    assert upload_once(harness.s3, big, "mp-test-landing", "incoming/x/big.zip", 5 * 1024 * 1024) is True
    head = harness.s3.head_object(Bucket="mp-test-landing", Key="incoming/x/big.zip")
    assert head["ETag"].strip('"').endswith("-2"), "two parts"
    assert upload_once(harness.s3, big, "mp-test-landing", "incoming/x/big.zip", 5 * 1024 * 1024) is False
    big.write_bytes(os.urandom(1024))
    assert upload_once(harness.s3, big, "mp-test-landing", "incoming/x/big.zip", 5 * 1024 * 1024) is True


def test_failed_glue_run_raises_with_glues_error_message(harness, packaged_batch):
    rt = harness.runtime()
    bid = packaged_batch["batch_id"]
    harness.glue_failures[bid] = "AnalysisException: Path does not exist: s3://mp-test-processed/x"
    pipeline.land(rt, bid, packaged_batch["zip"], packaged_batch["key"], packaged_batch["rows"])
    raw_key = pipeline.unzip(rt, bid, packaged_batch["key"], packaged_batch["rows"])
    with pytest.raises(StageError, match=r"transform: Glue job moviepipe-test-movies run jr_\w+ ended FAILED: "
                                         r"AnalysisException: Path does not exist"):
        pipeline.transform(rt, bid, raw_key)
    assert rt.ledger.rows(bid)[-1]["STATE"] == "failed"


def test_transform_counts_the_csvs_when_the_job_writes_no_result(harness, packaged_batch):
    harness.write_glue_result = False
    rt = harness.runtime()
    bid = packaged_batch["batch_id"]
    pipeline.land(rt, bid, packaged_batch["zip"], packaged_batch["key"], packaged_batch["rows"])
    raw_key = pipeline.unzip(rt, bid, packaged_batch["key"], packaged_batch["rows"])
    result = pipeline.transform(rt, bid, raw_key)
    assert not rt.archive.exists(RESULT_KEY.format(batch_id=bid))
    assert result["result_source"] == "counted"
    assert result["rows_in"] == packaged_batch["rows"] and result["rejected_by_rule"] == {"duplicate_imdb_id": 2}
    assert result["entities"]["movies"] == result["rows_out"] == packaged_batch["rows"] - 2


def test_corrupt_zip_is_quarantined_by_the_lambda_and_rejected(harness, tmp_path):
    rt = harness.runtime()
    bad = tmp_path / "bad.zip"
    bad.write_bytes(b"PK\x03\x04 not a zip at all")
    pipeline.land(rt, "ingest-bad", bad, "incoming/ingest/bad.zip", 0)
    with pytest.raises(BatchRejected, match=r"not_a_zip"):
        pipeline.unzip(rt, "ingest-bad", "incoming/ingest/bad.zip", 0)
    assert rt.landing.exists("quarantine/ingest/bad.zip.reason.json")


def test_unzip_times_out_with_a_clear_message_when_the_lambda_never_runs(harness, packaged_batch):
    harness.lambda_enabled = False
    rt = harness.runtime(unzip_timeout=0.3)
    rt.land(packaged_batch["zip"], packaged_batch["key"])
    with pytest.raises(StageError, match=r"unzip: timed out after 0.3 s waiting for the unzip Lambda"):
        rt.unzip(packaged_batch["key"])


def test_failed_task_raises_with_snowflakes_error(harness, packaged_batch):
    rt = harness.runtime()
    bid, rows = packaged_batch["batch_id"], packaged_batch["rows"]
    pipeline.land(rt, bid, packaged_batch["zip"], packaged_batch["key"], rows)
    pipeline.transform(rt, bid, pipeline.unzip(rt, bid, packaged_batch["key"], rows))
    pipeline.load(rt, bid)
    harness.task_failure = "Numeric value 'abc' is not recognized"
    with pytest.raises(StageError, match=r"merge: task ANALYTICS.MERGE_DIM_MOVIE FAILED \(attempt 3\): "
                                         r"Numeric value 'abc'"):
        pipeline.merge(rt, bid)
    # merge_mode=direct runs the graph itself (here through the emulator standing in for Snowflake)
    harness.task_failure = None
    direct = harness.runtime(merge_mode="direct")
    assert pipeline.merge(direct, bid)["new_versions"] > 250


def test_alert_goes_to_sns_short_subject_no_secret(harness):
    rt = harness.runtime()
    rt.alert("moviepipe run failed at extract: " + "x" * 200,
             {"kind": "failure", "batch_id": "b1", "stage": "extract",
              "error": "cannot connect to postgresql://loader:s3cr3t@db.internal/movies (password=hunter2)"})
    (sent,) = harness.sent_alerts()
    assert len(sent["subject"]) <= 100
    assert sent["message"]["batch_id"] == "b1" and sent["message"]["stage"] == "extract"
    assert "s3cr3t" not in str(sent) and "hunter2" not in str(sent)


def test_cloud_runtime_names_its_missing_settings(monkeypatch):
    monkeypatch.setenv("MOVIEPIPE_RUNTIME", "cloud")
    with pytest.raises(StageError, match=r"MOVIEPIPE_RUNTIME=cloud needs MOVIEPIPE_LANDING_BUCKET, "
                                         r"MOVIEPIPE_PROCESSED_BUCKET"):
        build_runtime(load_settings())


def test_task_history_query_is_valid_snowflake_sql():
    sql = TASK_HISTORY_SQL.format(database="MOVIEPIPE").replace("%s", "'x'")
    parsed = sqlglot.parse_one(sql, read="snowflake")
    assert "TASK_HISTORY" in parsed.sql(dialect="snowflake").upper()
