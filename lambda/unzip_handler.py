"""Unzip Lambda: validate a landed batch zip, then write its files to the processed bucket.

Triggered by S3 ``ObjectCreated`` events on ``incoming/*.zip`` in the landing
bucket. Deployable with boto3 and ``moviepipe.contract`` + ``moviepipe.objectstore``
only. Locally the runtime calls ``handle_event`` in-process with an S3-shaped
event and folder-backed stores; on AWS, ``handler`` builds S3 stores.

What it guarantees:
- a zip is trusted only after every check passed: it is a zip; member names are
  safe (no ``../``, absolute paths or symlinks); no member is encrypted; sizes and
  compression ratios are bounded (zip bombs); the manifest validates against the
  contract schema; the members are exactly the manifest's files; each file's
  sha256 and (CSV) row count match;
- output goes to ``<entity>/batch_id=<id>/`` with ``_SUCCESS`` written last, so a
  reader never sees half a batch; the same zip delivered twice is a no-op;
- a rejected zip is copied to ``quarantine/`` with a JSON reason beside it, and
  only then removed from ``incoming/``; nothing is lost.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import stat
import sys
import tempfile
import zipfile
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable
from urllib.parse import unquote_plus

from moviepipe.contract import (
    MANIFEST_NAME,
    SUCCESS_MARKER,
    ContractError,
    sha256_file,
    validate_manifest,
)
from moviepipe.objectstore import ObjectStore

INCOMING_PREFIX = "incoming/"
QUARANTINE_PREFIX = "quarantine/"

#: Limits sized for Lambda: 10 GB /tmp at most, usually 512 MB. Overridable by env.
MAX_MEMBERS = int(os.environ.get("MOVIEPIPE_MAX_MEMBERS", "16"))
MAX_UNCOMPRESSED_BYTES = int(os.environ.get("MOVIEPIPE_MAX_UNCOMPRESSED_BYTES", str(4 * 1024**3)))
MAX_COMPRESSION_RATIO = float(os.environ.get("MOVIEPIPE_MAX_COMPRESSION_RATIO", "200"))
CHUNK = 1 << 20

csv.field_size_limit(sys.maxsize)


class ZipRejected(Exception):
    """The zip breaks the contract; ``reason`` is a short code, the message says why."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


@dataclass
class RecordResult:
    key: str
    status: str  # processed | duplicate | quarantined | ignored
    batch_id: str | None = None
    entity: str | None = None
    reason: str | None = None
    message: str | None = None
    rows: int | None = None
    files: list[str] = field(default_factory=list)


StoreFor = Callable[[str], ObjectStore]
Alert = Callable[[str, dict], None]


def handler(event: dict, context: object) -> dict:
    """AWS entry point: S3 stores from boto3, alerts to SNS when a topic is configured."""
    import boto3

    from moviepipe.objectstore import S3ObjectStore

    s3 = boto3.client("s3")
    topic = os.environ.get("ALERT_TOPIC_ARN")

    def alert(subject: str, detail: dict) -> None:
        if topic:
            boto3.client("sns").publish(TopicArn=topic, Subject=subject[:100], Message=json.dumps(detail, indent=2))

    results = handle_event(
        event,
        store_for=lambda bucket: S3ObjectStore(bucket, s3),
        processed=S3ObjectStore(os.environ["PROCESSED_BUCKET"], s3),
        alert=alert,
    )
    return {"results": [asdict(result) for result in results]}


def handle_event(event: dict, store_for: StoreFor, processed: ObjectStore, alert: Alert | None = None) -> list[RecordResult]:
    """Process every record of an S3 event; ``s3:TestEvent`` and non-zip keys are ignored."""
    if event.get("Event") == "s3:TestEvent":
        return []
    results = []
    for record in event.get("Records", []):
        s3 = record.get("s3", {})
        bucket = s3.get("bucket", {}).get("name", "")
        key = unquote_plus(s3.get("object", {}).get("key", ""))
        if not key.startswith(INCOMING_PREFIX) or not key.lower().endswith(".zip"):
            results.append(RecordResult(key=key, status="ignored", message="not an incoming .zip"))
            continue
        results.append(process_zip(store_for(bucket), key, processed, alert))
    return results


def process_zip(landing: ObjectStore, key: str, processed: ObjectStore, alert: Alert | None = None) -> RecordResult:
    with tempfile.TemporaryDirectory(prefix="moviepipe-unzip-") as tmp:
        local_zip = Path(tmp) / "batch.zip"
        try:
            landing.download(key, local_zip)
        except KeyError:
            # At-least-once delivery: a repeat event for a zip already moved away.
            return RecordResult(key=key, status="ignored", message="object no longer in landing")
        zip_sha256 = sha256_file(local_zip)
        try:
            return _unpack(local_zip, zip_sha256, key, Path(tmp) / "out", processed)
        except ZipRejected as rejection:
            result = _quarantine(landing, key, local_zip, zip_sha256, rejection)
            if alert:
                alert(f"moviepipe: batch zip quarantined ({rejection.reason})", asdict(result))
            return result


def _unpack(local_zip: Path, zip_sha256: str, key: str, out: Path, processed: ObjectStore) -> RecordResult:
    if not zipfile.is_zipfile(local_zip):
        raise ZipRejected("not_a_zip", f"{key} is not a zip archive (corrupt or wrong format)")
    try:
        archive = zipfile.ZipFile(local_zip)
    except zipfile.BadZipFile as error:
        raise ZipRejected("not_a_zip", f"{key} is not a readable zip archive: {error}") from None
    with archive:
        members = archive.infolist()
        _check_members(members, local_zip.stat().st_size)
        manifest = _read_manifest(archive)
        prefix = f"{manifest['entity']}/batch_id={manifest['batch_id']}/"
        if _already_processed(processed, prefix, zip_sha256):
            return RecordResult(key=key, status="duplicate", batch_id=manifest["batch_id"], entity=manifest["entity"],
                                rows=manifest["row_count"], message="same zip already processed")
        expected = {item["name"]: item for item in manifest["files"]}
        present = {m.filename for m in members} - {MANIFEST_NAME}
        if missing := sorted(set(expected) - present):
            raise ZipRejected("missing_file", f"files in the manifest but not in the zip: {', '.join(missing)}")
        if unexpected := sorted(present - set(expected)):
            raise ZipRejected("unexpected_file", f"files in the zip but not in the manifest: {', '.join(unexpected)}")
        out.mkdir(parents=True)
        for name, item in expected.items():
            _extract_verified(archive, name, item, out / name)
    for name in expected:
        processed.upload(out / name, prefix + name)
    processed.put_bytes(prefix + MANIFEST_NAME, json.dumps(manifest, indent=2).encode())
    marker = {"batch_id": manifest["batch_id"], "zip_sha256": zip_sha256, "landing_key": key,
              "files": sorted(expected), "processed_at": _now()}
    processed.put_bytes(prefix + SUCCESS_MARKER, json.dumps(marker, indent=2).encode())
    return RecordResult(key=key, status="processed", batch_id=manifest["batch_id"], entity=manifest["entity"],
                        rows=manifest["row_count"], files=[prefix + name for name in sorted(expected)])


def _check_members(members: list[zipfile.ZipInfo], zip_size: int) -> None:
    if len(members) > MAX_MEMBERS:
        raise ZipRejected("too_many_members", f"zip has {len(members)} members; at most {MAX_MEMBERS} allowed")
    total = 0
    for member in members:
        name = member.filename
        if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":") or ".." in Path(name).parts \
                or "\\" in name or "/" in name.rstrip("/"):
            raise ZipRejected("unsafe_path", f"member name {name!r} is not a plain file name (zip-slip)")
        mode = member.external_attr >> 16
        if stat.S_ISLNK(mode):
            raise ZipRejected("symlink", f"member {name!r} is a symbolic link")
        if member.is_dir():
            raise ZipRejected("unexpected_file", f"member {name!r} is a directory")
        if member.flag_bits & 0x1:
            raise ZipRejected("encrypted", f"member {name!r} is encrypted")
        total += member.file_size
        if member.compress_size and member.file_size / member.compress_size > MAX_COMPRESSION_RATIO:
            raise ZipRejected("zip_bomb", f"member {name!r} expands {member.file_size / member.compress_size:.0f}x; "
                                          f"limit {MAX_COMPRESSION_RATIO:.0f}x")
    if total > MAX_UNCOMPRESSED_BYTES:
        raise ZipRejected("zip_bomb", f"zip expands to {total} bytes; limit {MAX_UNCOMPRESSED_BYTES}")


def _read_manifest(archive: zipfile.ZipFile) -> dict:
    try:
        raw = archive.read(MANIFEST_NAME)
    except KeyError:
        raise ZipRejected("missing_manifest", f"zip has no {MANIFEST_NAME}") from None
    try:
        manifest = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ZipRejected("invalid_manifest", f"{MANIFEST_NAME} is not valid JSON: {error}") from None
    try:
        return validate_manifest(manifest)
    except ContractError as error:
        raise ZipRejected("invalid_manifest", str(error)) from None


def _extract_verified(archive: zipfile.ZipFile, name: str, item: dict, target: Path) -> None:
    """Stream one member to disk, hashing as it goes; never trust the header's size."""
    digest = hashlib.sha256()
    written = 0
    with archive.open(name) as source, open(target, "wb") as sink:
        for chunk in iter(lambda: source.read(CHUNK), b""):
            written += len(chunk)
            if written > MAX_UNCOMPRESSED_BYTES:
                raise ZipRejected("zip_bomb", f"member {name!r} expands past {MAX_UNCOMPRESSED_BYTES} bytes")
            digest.update(chunk)
            sink.write(chunk)
    if digest.hexdigest() != item["sha256"]:
        raise ZipRejected("checksum_mismatch", f"{name}: sha256 {digest.hexdigest()[:12]}… does not match "
                                               f"the manifest's {item['sha256'][:12]}…")
    if written != item["bytes"]:
        raise ZipRejected("size_mismatch", f"{name}: {written} bytes, manifest says {item['bytes']}")
    if item["format"] == "csv":
        rows = _count_csv_rows(target)
        if rows != item["rows"]:
            raise ZipRejected("row_count_mismatch", f"{name}: {rows} rows, manifest says {item['rows']}")
    elif item["format"] == "parquet":
        # No pyarrow in the Lambda: the checksum proves the bytes; check the framing too.
        with open(target, "rb") as handle:
            head = handle.read(4)
            handle.seek(-4, os.SEEK_END)
            tail = handle.read(4)
        if head != b"PAR1" or tail != b"PAR1":
            raise ZipRejected("invalid_file", f"{name} is not a Parquet file")


def _count_csv_rows(path: Path) -> int:
    """Records, not lines: quoted fields may hold newlines. The header does not count."""
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            return max(sum(1 for _ in csv.reader(handle)) - 1, 0)
    except UnicodeDecodeError as error:
        raise ZipRejected("invalid_encoding", f"{path.name} is not UTF-8: {error}") from None


def _already_processed(processed: ObjectStore, prefix: str, zip_sha256: str) -> bool:
    if not processed.exists(prefix + SUCCESS_MARKER):
        return False
    marker = json.loads(processed.get_bytes(prefix + SUCCESS_MARKER))
    return marker.get("zip_sha256") == zip_sha256


def _quarantine(landing: ObjectStore, key: str, local_zip: Path, zip_sha256: str, rejection: ZipRejected) -> RecordResult:
    name = key[len(INCOMING_PREFIX):] if key.startswith(INCOMING_PREFIX) else key
    target = QUARANTINE_PREFIX + name
    reason = {"key": key, "quarantined_as": target, "reason": rejection.reason, "message": str(rejection),
              "zip_sha256": zip_sha256, "quarantined_at": _now()}
    landing.upload(local_zip, target)
    landing.put_bytes(target + ".reason.json", json.dumps(reason, indent=2).encode())
    landing.delete(key)  # only now: the copy and its reason are safely written
    return RecordResult(key=key, status="quarantined", reason=rejection.reason, message=str(rejection))


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
