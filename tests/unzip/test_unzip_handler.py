"""The unzip Lambda handler, called in-process on folder-backed buckets (and once on moto S3)."""

from __future__ import annotations

import json
import random
import sys
import tracemalloc
from pathlib import Path

import pytest

from moviepipe.objectstore import LocalObjectStore
from moviepipe.runtime.local import load_unzip_handler, s3_event

sys.path.insert(0, str(Path(__file__).resolve().parent))
import zip_corpus  # noqa: E402

handler = load_unzip_handler()
KEY = "incoming/test/batch one+two.zip"  # a space and a plus: S3 sends them URL-encoded


@pytest.fixture
def buckets(tmp_path):
    return LocalObjectStore(tmp_path / "landing", "landing"), LocalObjectStore(tmp_path / "processed", "processed")


def deliver(buckets, zip_path, key=KEY, limits=None):
    landing, processed = buckets
    landing.upload(zip_path, key)
    alerts = []
    results = handler.handle_event(s3_event("landing", key), store_for=lambda name: landing, processed=processed,
                                   alert=lambda subject, detail: alerts.append((subject, detail)), limits=limits)
    return results, alerts


def test_packaged_zip_is_processed_with_success_marker(buckets, tmp_path, subset_db):
    """A zip from moviepipe.packaging (the real producer) passes every check."""
    from moviepipe.packaging import build_manifest, write_raw_files, zip_batch
    from moviepipe.sources.sql import SqlSource

    source = SqlSource(f"sqlite:///{subset_db}")
    plan = source.plan(None)
    raw = write_raw_files(source.batches(plan), source.schema, tmp_path / "raw" / "movies")
    source.close()
    manifest = build_manifest(raw, plan.batch_id, "sql", source.name, plan.low, plan.high)
    (result,), alerts = deliver(buckets, zip_batch(raw, manifest, tmp_path / "batch.zip"))
    assert result.status == "processed" and not alerts, result.message
    assert result.rows == manifest["row_count"] > 300
    prefix = f"movies/batch_id={manifest['batch_id']}/"
    assert buckets[1].list(prefix) == sorted(prefix + n for n in ("movies.csv", "movies.parquet", "manifest.json",
                                                                  "_SUCCESS"))


def test_corpus_valid_zip_with_deletes_file(buckets, tmp_path):
    zip_path, manifest = zip_corpus.valid_zip(tmp_path)
    (result,), alerts = deliver(buckets, zip_path)
    assert result.status == "processed" and not alerts, result.message
    prefix = f"movies/batch_id={manifest['batch_id']}/"
    assert result.files == [prefix + n for n in ("deletes.csv", "movies.csv", "movies.parquet")]
    marker = json.loads(buckets[1].get_bytes(prefix + "_SUCCESS"))
    assert marker["batch_id"] == manifest["batch_id"] and len(marker["zip_sha256"]) == 64
    assert json.loads(buckets[1].get_bytes(prefix + "manifest.json")) == manifest
    assert buckets[0].exists(KEY), "landing keeps a valid zip (its lifecycle expires it)"


class RecordingStore(LocalObjectStore):
    def __init__(self, *args):
        super().__init__(*args)
        self.writes: list[str] = []

    def put_bytes(self, key, data):
        self.writes.append(key)
        super().put_bytes(key, data)

    def upload(self, path, key):
        self.writes.append(key)
        super().upload(path, key)


def test_success_marker_is_written_last_and_a_new_zip_of_the_batch_replaces_the_old(tmp_path):
    landing, processed = LocalObjectStore(tmp_path / "landing", "landing"), RecordingStore(tmp_path / "p", "processed")
    zip_path, manifest = zip_corpus.valid_zip(tmp_path / "a")
    deliver((landing, processed), zip_path)
    assert processed.writes[-1].endswith("/_SUCCESS") and len(processed.writes) == 5
    prefix = f"movies/batch_id={manifest['batch_id']}/"
    processed.put_bytes(prefix + "leftover.csv", b"from an older zip")
    # the same batch re-extracted (new extracted_at, so a different zip): replaces, stale file removed
    batch = zip_corpus.good_batch(manifest["batch_id"])
    batch.manifest["extracted_at"] = "2026-10-19T00:00:00+00:00"
    again = zip_corpus.write_zip(batch, tmp_path / "again.zip")
    (result,), _ = deliver((landing, processed), again)
    assert result.status == "processed"
    assert not processed.exists(prefix + "leftover.csv")
    assert json.loads(processed.get_bytes(prefix + "manifest.json"))["extracted_at"] == "2026-10-19T00:00:00+00:00"
    assert processed.writes[-1] == prefix + "_SUCCESS"


def test_same_zip_twice_is_a_no_op(buckets, tmp_path):
    zip_path, manifest = zip_corpus.valid_zip(tmp_path)
    deliver(buckets, zip_path)
    prefix = f"movies/batch_id={manifest['batch_id']}/"
    before = {k: buckets[1].path(k).stat().st_mtime_ns for k in buckets[1].list(prefix)}
    (result,), _ = deliver(buckets, zip_path)
    assert result.status == "duplicate" and result.batch_id == manifest["batch_id"]
    assert {k: buckets[1].path(k).stat().st_mtime_ns for k in buckets[1].list(prefix)} == before


def test_several_records_test_event_and_other_keys(buckets, tmp_path):
    landing, processed = buckets
    (test_event,) = handler.handle_event({"Event": "s3:TestEvent"}, lambda n: landing, processed)
    assert test_event.status == "test_event"
    good, _ = zip_corpus.valid_zip(tmp_path / "good")
    bad, reason, _ = zip_corpus.build("checksum_mismatch", tmp_path / "bad")
    landing.upload(good, "incoming/a b.zip")
    landing.upload(bad, "incoming/c.zip")
    event = {"Records": [s3_event("landing", key)["Records"][0] for key in
                         ("incoming/a b.zip", "incoming/c.zip", "incoming/readme.txt", "incoming/gone.zip")]}
    results = handler.handle_event(event, lambda n: landing, processed)
    assert [(r.key, r.status) for r in results] == [
        ("incoming/a b.zip", "processed"), ("incoming/c.zip", "quarantined"),
        ("incoming/readme.txt", "rejected"), ("incoming/gone.zip", "ignored")]
    assert results[1].reason == reason


@pytest.mark.parametrize("case", sorted(zip_corpus.CASES))
def test_bad_zip_is_quarantined_with_its_reason(tmp_path, buckets, case, monkeypatch):
    bad, reason, env = zip_corpus.build(case, tmp_path / "corpus")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert reason in handler.REASONS
    (result,), alerts = deliver(buckets, bad)
    landing, processed = buckets
    assert result.status == "quarantined" and result.reason == reason, result.message
    assert processed.list() == [], "nothing reaches the processed bucket"
    assert not landing.exists(KEY)
    quarantined = "quarantine/test/batch one+two.zip"
    assert landing.path(quarantined).read_bytes() == bad.read_bytes()
    recorded = json.loads(landing.get_bytes(quarantined + ".reason.json"))
    assert (recorded["reason"], recorded["message"]) == (reason, result.message)
    assert len(alerts) == 1 and reason in alerts[0][0] and alerts[0][1]["reason"] == reason


def test_no_space_leaves_the_zip_in_landing_and_fails_for_a_retry(buckets, tmp_path):
    zip_path, _ = zip_corpus.valid_zip(tmp_path)
    limits = handler.Limits(min_free_bytes=1 << 60)
    (result,), alerts = deliver(buckets, zip_path, limits=limits)
    assert (result.status, result.reason) == ("failed", "insufficient_space")
    assert "raise the function's ephemeral storage" in result.message
    assert buckets[0].exists(KEY) and buckets[1].list() == [] and not alerts
    assert buckets[0].list("quarantine/") == []


def test_limits_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("MOVIEPIPE_MAX_MEMBERS", "3")
    monkeypatch.setenv("MOVIEPIPE_MAX_COMPRESSION_RATIO", "50")
    monkeypatch.setenv("MOVIEPIPE_UNZIP_WORK_DIR", "/var/tmp")
    limits = handler.Limits.from_env()
    assert (limits.max_members, limits.max_compression_ratio, limits.work_dir) == (3, 50.0, "/var/tmp")


def test_extraction_streams_instead_of_reading_whole_members(buckets, tmp_path):
    """A 24 MB member passes through with a few MB of Python memory at most."""
    batch = zip_corpus.good_batch()
    noise = random.Random(0)
    rows = [[f"tt{i:07d}", noise.randbytes(100).hex()] + [""] * (len(zip_corpus.HEADER) - 2) for i in range(100_000)]
    batch.files["movies.csv"] = zip_corpus.csv_bytes(zip_corpus.HEADER, rows)
    del rows
    for entry in batch.manifest["files"]:
        if entry.get("role", "data") == "data":
            entry["rows"] = 100_000
    batch.manifest["row_count"] = 100_000
    batch.files["movies.parquet"] = b"PAR1" + b"\0" * 10 + b"PAR1"
    batch.refresh("movies.csv")
    batch.refresh("movies.parquet")
    zip_path = zip_corpus.write_zip(batch, tmp_path / "big.zip")
    del batch
    tracemalloc.start()
    try:
        (result,), _ = deliver(buckets, zip_path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.status == "processed", result.message
    assert buckets[1].path(result.files[1]).stat().st_size > 20_000_000
    assert peak < 8_000_000, f"peak Python memory {peak} bytes"


def test_aws_handler_on_moto_quarantines_and_alerts_through_sns(tmp_path, monkeypatch):
    boto3 = pytest.importorskip("boto3")
    moto = pytest.importorskip("moto")
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with moto.mock_aws():
        s3 = boto3.client("s3")
        for bucket in ("landing", "processed"):
            s3.create_bucket(Bucket=bucket)
        topic = boto3.client("sns").create_topic(Name="alerts")["TopicArn"]
        monkeypatch.setenv("PROCESSED_BUCKET", "processed")
        monkeypatch.setenv("ALERT_TOPIC_ARN", topic)
        good, manifest = zip_corpus.valid_zip(tmp_path / "good")
        bad, reason, _ = zip_corpus.build("zip_slip_dotdot", tmp_path / "bad")
        s3.upload_file(str(good), "landing", "incoming/good one.zip")
        s3.upload_file(str(bad), "landing", "incoming/bad.zip")
        keys = ("incoming/good one.zip", "incoming/bad.zip")
        event = {"Records": [s3_event("landing", k)["Records"][0] for k in keys]}
        out = handler.handler(event, None)
        assert [r["status"] for r in out["results"]] == ["processed", "quarantined"]
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket="processed")["Contents"]]
        assert f"movies/batch_id={manifest['batch_id']}/_SUCCESS" in keys and len(keys) == 5
        landing = [o["Key"] for o in s3.list_objects_v2(Bucket="landing")["Contents"]]
        assert sorted(landing) == ["incoming/good one.zip", "quarantine/bad.zip", "quarantine/bad.zip.reason.json"]
        assert handler.handler(event, None)["results"][0]["status"] == "duplicate"  # redelivery

        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.sns import sns_backends

        sent = sns_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].topics[topic].sent_notifications
        assert len(sent) == 1 and reason in sent[0][2]  # (id, message, subject, ...)
