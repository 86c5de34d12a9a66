"""The unzip Lambda handler, called in-process on folder-backed buckets."""

import json
import zipfile

import pytest

from moviepipe.objectstore import LocalObjectStore
from moviepipe.packaging import build_manifest, write_raw_files, zip_batch
from moviepipe.runtime.local import load_unzip_handler, s3_event
from moviepipe.sources.sql import SqlSource

handler = load_unzip_handler()
KEY = "incoming/test/batch one.zip"  # a space: S3 sends it URL-encoded as '+'


@pytest.fixture
def batch_zip(tmp_path, subset_db):
    source = SqlSource(f"sqlite:///{subset_db}")
    plan = source.plan(None)
    raw = write_raw_files(source.batches(plan), source.schema, tmp_path / "raw" / "movies")
    source.close()
    manifest = build_manifest(raw, plan.batch_id, "sql", source.name, plan.low, plan.high)
    return zip_batch(raw, manifest, tmp_path / "batch.zip"), manifest


@pytest.fixture
def buckets(tmp_path):
    return LocalObjectStore(tmp_path / "landing", "landing"), LocalObjectStore(tmp_path / "processed", "processed")


def deliver(buckets, zip_path, key=KEY):
    landing, processed = buckets
    landing.upload(zip_path, key)
    alerts = []
    results = handler.handle_event(s3_event("landing", key), store_for=lambda name: landing, processed=processed,
                                   alert=lambda subject, detail: alerts.append((subject, detail)))
    return results, alerts


def rewrite_zip(source, target, mutate):
    """Copy a zip member by member, letting ``mutate(name, data)`` change or drop members."""
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            result = mutate(info.filename, src.read(info.filename))
            if result is not None:
                name, data = result
                dst.writestr(name, data)
    return target


def test_valid_zip_is_processed_with_success_marker_last(buckets, batch_zip):
    zip_path, manifest = batch_zip
    (result,), alerts = deliver(buckets, zip_path)
    assert result.status == "processed" and not alerts
    prefix = f"movies/batch_id={manifest['batch_id']}/"
    keys = buckets[1].list(prefix)
    assert sorted(keys) == sorted(prefix + n for n in ("movies.csv", "movies.parquet", "manifest.json", "_SUCCESS"))
    marker = json.loads(buckets[1].get_bytes(prefix + "_SUCCESS"))
    assert marker["batch_id"] == manifest["batch_id"] and len(marker["zip_sha256"]) == 64
    assert buckets[0].exists(KEY), "landing keeps the zip (lifecycle expires it)"


def test_same_zip_twice_is_a_no_op(buckets, batch_zip):
    zip_path, manifest = batch_zip
    deliver(buckets, zip_path)
    prefix = f"movies/batch_id={manifest['batch_id']}/"
    before = {k: buckets[1].path(k).stat().st_mtime_ns for k in buckets[1].list(prefix)}
    (result,), _ = deliver(buckets, zip_path)
    assert result.status == "duplicate"
    assert {k: buckets[1].path(k).stat().st_mtime_ns for k in buckets[1].list(prefix)} == before


def test_test_event_and_other_keys_are_ignored(buckets):
    landing, processed = buckets
    assert handler.handle_event({"Event": "s3:TestEvent"}, lambda n: landing, processed) == []
    (result,) = handler.handle_event(s3_event("landing", "incoming/readme.txt"), lambda n: landing, processed)
    assert result.status == "ignored"


def _checksum_broken(name, data):
    return (name, data.replace(b"The", b"Teh", 1)) if name == "movies.csv" else (name, data)


def _write(path, data):
    path.write_bytes(data)
    return path


CORPUS = {
    "not_a_zip": lambda tmp, good: _write(tmp / "bad.zip", b"PK\x03\x04 definitely truncated"),
    "checksum_mismatch": lambda tmp, good: rewrite_zip(good, tmp / "bad.zip", _checksum_broken),
    "missing_file": lambda tmp, good: rewrite_zip(good, tmp / "bad.zip",
                                                  lambda n, d: None if n == "movies.parquet" else (n, d)),
    "missing_manifest": lambda tmp, good: rewrite_zip(good, tmp / "bad.zip",
                                                      lambda n, d: None if n == "manifest.json" else (n, d)),
    "unsafe_path": lambda tmp, good: rewrite_zip(good, tmp / "bad.zip",
                                                 lambda n, d: ("../" + n, d) if n == "movies.csv" else (n, d)),
    "invalid_manifest": lambda tmp, good: rewrite_zip(good, tmp / "bad.zip",
                                                      lambda n, d: (n, b"{not json") if n == "manifest.json" else (n, d)),
}


@pytest.mark.parametrize("reason", sorted(CORPUS))
def test_bad_zip_is_quarantined_with_its_reason(tmp_path, buckets, batch_zip, reason):
    bad = CORPUS[reason](tmp_path, batch_zip[0])
    (result,), alerts = deliver(buckets, bad)
    landing, processed = buckets
    assert result.status == "quarantined" and result.reason == reason, result.message
    assert processed.list() == [], "nothing reaches the processed bucket"
    assert not landing.exists(KEY)
    quarantined = "quarantine/test/batch one.zip"
    assert landing.exists(quarantined)
    assert json.loads(landing.get_bytes(quarantined + ".reason.json"))["reason"] == reason
    assert len(alerts) == 1 and reason in alerts[0][0]


def test_row_count_mismatch_is_caught(tmp_path, buckets, batch_zip):
    zip_path, manifest = batch_zip
    raw_dir = tmp_path / "raw" / "movies"
    lines = (raw_dir / "movies.csv").read_bytes().split(b"\n")
    (raw_dir / "movies.csv").write_bytes(b"\n".join(lines[:-3] + [b""]))
    from moviepipe.packaging import RawFiles, _file_entry

    files = [_file_entry(raw_dir / "movies.csv", "csv", manifest["row_count"]), manifest["files"][1]]
    forged = manifest | {"files": files}
    bad = zip_batch(RawFiles(raw_dir, manifest["row_count"], files, manifest["columns"]), forged, tmp_path / "f.zip")
    (result,), _ = deliver(buckets, bad)
    assert result.reason == "row_count_mismatch"
