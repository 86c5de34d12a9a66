"""Unzip Lambda: validate a landed batch zip, then write its files to the processed bucket.

Triggered by S3 ``ObjectCreated`` events on ``incoming/*.zip`` in the landing
bucket. Deployable with boto3 and ``moviepipe.contract`` only (the S3 access
it needs is the small ``S3Bucket`` below). Locally the runtime calls
``handle_event`` in-process with an S3-shaped event and folder-backed stores;
on AWS, ``handler`` builds S3 stores.

Every shape a deployment can deliver is understood (``s3_records``): a direct S3
notification; S3 -> SQS; S3 -> SNS; S3 -> SNS -> SQS (raw or enveloped); an
EventBridge ``Object Created`` event (direct, or through SQS). ``ObjectCreated:*``
records are processed; an ``s3:TestEvent`` (sent when a notification is saved)
is logged and ignored; an ``ObjectRemoved:*`` record, any other event name, a key
outside ``incoming/*.zip`` and anything unrecognised is *rejected*: logged with
its reason and alerted, never dropped silently.

What it guarantees:
- a zip is trusted only after every check passed, each failure with its own
  reason code (``REASONS``): it is a zip; member names are plain, unique and
  safe (no ``../``, absolute paths, symlinks or folders); no member is
  encrypted; sizes and compression ratios are bounded (zip bombs); the manifest
  validates against the contract schema; the members are exactly the
  manifest's files; each file's size, sha256 and (CSV) row count match, and a
  CSV's header is the one the manifest declares;
- extraction streams each member to disk in chunks and stops as soon as a
  member outgrows its declared size; free space is checked against the
  manifest's declared bytes first (``Limits`` come from the environment);
- output goes to ``<entity>/batch_id=<id>/`` (every manifest file plus
  ``manifest.json``) with ``_SUCCESS`` written last, so a reader never sees half
  a batch; the same zip delivered twice is a no-op;
- a rejected zip is copied to ``quarantine/`` with a JSON reason beside it, an
  alert is sent, and only then is it removed from ``incoming/``. A valid zip is
  left in landing (its lifecycle rule expires it): nothing is ever deleted from
  landing before the output is complete.
"""

from __future__ import annotations

import csv
import hashlib
import json
import logging
import os
import shutil
import stat
import sys
import tempfile
import zipfile
import zlib
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Protocol
from urllib.parse import unquote_plus

from moviepipe.contract import MANIFEST_NAME, SUCCESS_MARKER, ContractError, sha256_file, validate_manifest
from moviepipe.contract.archive import DELETES_COLUMNS

INCOMING_PREFIX = "incoming/"
QUARANTINE_PREFIX = "quarantine/"
CHUNK = 1 << 20

log = logging.getLogger("moviepipe.unzip")
log.setLevel(logging.INFO)  # Lambda's root logger shows WARNING and up; records of every event belong in the log

#: Every reason a zip is quarantined for (RecordResult.reason, the reason file, the alert).
REASONS: tuple[str, ...] = (
    "not_a_zip", "too_many_members", "duplicate_member", "unsafe_path", "symlink", "encrypted",
    "too_large", "zip_bomb", "missing_manifest", "invalid_manifest", "missing_file", "unexpected_file",
    "corrupt_member", "size_mismatch", "checksum_mismatch", "row_count_mismatch", "header_mismatch",
    "invalid_encoding", "invalid_file",
)

#: Why an event record is rejected (RecordResult.reason with status "rejected"; logged and alerted).
EVENT_REJECTIONS: tuple[str, ...] = ("unrecognised_event", "object_removed", "unexpected_event", "not_incoming_zip")

csv.field_size_limit(sys.maxsize)


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


@dataclass(frozen=True)
class Limits:
    """Bounds sized for Lambda (/tmp is 512 MB by default, 10 GB at most); set by environment.

    ``max_uncompressed_bytes`` bounds one zip's declared and actual content;
    ``min_free_bytes`` is head-room kept free on the work disk after extraction.
    """

    max_members: int = 16
    max_uncompressed_bytes: int = 4 * 1024**3
    max_compression_ratio: float = 200.0
    max_manifest_bytes: int = 1024**2
    min_free_bytes: int = 16 * 1024**2
    work_dir: str | None = None  # None: the system temp dir (/tmp on Lambda)

    @classmethod
    def from_env(cls) -> "Limits":
        return cls(
            max_members=_env_int("MOVIEPIPE_MAX_MEMBERS", cls.max_members),
            max_uncompressed_bytes=_env_int("MOVIEPIPE_MAX_UNCOMPRESSED_BYTES", cls.max_uncompressed_bytes),
            max_compression_ratio=float(os.environ.get("MOVIEPIPE_MAX_COMPRESSION_RATIO", cls.max_compression_ratio)),
            max_manifest_bytes=_env_int("MOVIEPIPE_MAX_MANIFEST_BYTES", cls.max_manifest_bytes),
            min_free_bytes=_env_int("MOVIEPIPE_MIN_FREE_BYTES", cls.min_free_bytes),
            work_dir=os.environ.get("MOVIEPIPE_UNZIP_WORK_DIR") or None,
        )


class ZipRejected(Exception):
    """The zip breaks the contract; ``reason`` is a code from REASONS, the message says why."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


class NoSpace(Exception):
    """The work disk cannot hold the batch: not the zip's fault, so it stays in landing (retry)."""


@dataclass
class RecordResult:
    key: str
    status: str  # processed | duplicate | quarantined | ignored | rejected | test_event | failed
    batch_id: str | None = None
    entity: str | None = None
    reason: str | None = None
    message: str | None = None
    rows: int | None = None
    files: list[str] = field(default_factory=list)


class Store(Protocol):
    """The bucket operations the handler uses (``moviepipe.objectstore`` stores fit it)."""

    bucket: str

    def exists(self, key: str) -> bool: ...
    def get_bytes(self, key: str) -> bytes: ...
    def put_bytes(self, key: str, data: bytes) -> None: ...
    def download(self, key: str, path: Path) -> None: ...
    def upload(self, path: Path, key: str) -> None: ...
    def list(self, prefix: str = "") -> list[str]: ...
    def delete(self, key: str) -> None: ...


StoreFor = Callable[[str], Store]
Alert = Callable[[str, dict], None]


class S3Bucket:
    """One S3 bucket through boto3 (moto, LocalStack or MinIO via ``AWS_ENDPOINT_URL``)."""

    def __init__(self, bucket: str, client):
        self.bucket, self.client = bucket, client

    def exists(self, key: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=key)
            return True
        except self.client.exceptions.ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise

    def get_bytes(self, key: str) -> bytes:
        return self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read()

    def put_bytes(self, key: str, data: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=key, Body=data)

    def download(self, key: str, path: Path) -> None:
        if not self.exists(key):
            raise KeyError(f"s3://{self.bucket}/{key} does not exist")
        self.client.download_file(self.bucket, key, str(path))  # streamed to disk

    def upload(self, path: Path, key: str) -> None:
        self.client.upload_file(str(path), self.bucket, key)  # multipart above 8 MB

    def list(self, prefix: str = "") -> list[str]:
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix)
        return sorted(item["Key"] for page in pages for item in page.get("Contents", []))

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=key)


def handler(event: dict, context: object) -> dict:
    """AWS entry point: S3 stores from boto3, alerts to SNS when a topic is configured.

    Raises when a record failed for a passing reason (no disk space), so Lambda
    retries the event; quarantined zips are results, not errors.
    """
    import boto3

    s3 = boto3.client("s3")
    topic = os.environ.get("ALERT_TOPIC_ARN")

    def alert(subject: str, detail: dict) -> None:
        if topic:
            boto3.client("sns").publish(TopicArn=topic, Subject=subject[:100], Message=json.dumps(detail, indent=2))

    results = handle_event(event, store_for=lambda bucket: S3Bucket(bucket, s3),
                           processed=S3Bucket(os.environ["PROCESSED_BUCKET"], s3), alert=alert)
    failed = [r for r in results if r.status == "failed"]
    if failed:
        raise RuntimeError("; ".join(f"{r.key}: {r.message}" for r in failed))
    return {"results": [asdict(result) for result in results]}


@dataclass(frozen=True)
class S3Record:
    """One object event, whatever envelope it came in (``via``: how it was delivered)."""

    bucket: str
    key: str
    event_name: str
    via: str


class EventShapeError(ValueError):
    """An event (or part of one) that is none of the shapes a deployment delivers."""


def _json(text, where: str):
    try:
        return json.loads(text) if isinstance(text, str) else text
    except json.JSONDecodeError as error:
        raise EventShapeError(f"{where} is not JSON: {error}") from None


def s3_records(event, via: str = "lambda") -> list[S3Record | EventShapeError]:
    """Unwrap ``event`` into S3 object records; an unrecognised part becomes an EventShapeError entry.

    Shapes (AWS docs: S3 event message structure, EventBridge event message structure,
    SQS/SNS Lambda event samples): ``{"Records": [{"eventSource": "aws:s3", ...}]}``;
    ``{"Records": [{"eventSource": "aws:sqs", "body": <any shape, as JSON>}]}``;
    ``{"Records": [{"EventSource": "aws:sns", "Sns": {"Message": <any shape, as JSON>}}]}``;
    an SNS envelope ``{"Type": "Notification", "Message": ...}`` (SNS -> SQS without raw
    delivery); ``{"source": "aws.s3", "detail-type": "Object Created", "detail": {...}}``;
    and ``{"Event": "s3:TestEvent", ...}``, returned as a record named ``s3:TestEvent``.
    S3 notification keys arrive URL-encoded (``unquote_plus``); EventBridge keys are used as sent.
    """
    if not isinstance(event, dict):
        return [EventShapeError(f"{via}: event is a {type(event).__name__}, not a JSON object")]
    if event.get("Event") == "s3:TestEvent":
        return [S3Record(str(event.get("Bucket", "")), "", "s3:TestEvent", via)]
    if event.get("Type") == "Notification" and "Message" in event:  # an SNS envelope inside SQS
        try:
            return s3_records(_json(event["Message"], f"{via}: SNS message"), f"{via}/sns")
        except EventShapeError as error:
            return [error]
    if event.get("source") == "aws.s3" and "detail" in event:
        detail = event.get("detail") or {}
        name = {"Object Created": "ObjectCreated", "Object Deleted": "ObjectRemoved"}.get(
            event.get("detail-type"), str(event.get("detail-type")))
        reason = detail.get("reason") or detail.get("deletion-type") or ""
        return [S3Record(str((detail.get("bucket") or {}).get("name", "")),
                         str((detail.get("object") or {}).get("key", "")), f"{name}:{reason}", f"{via}/eventbridge")]
    records = event.get("Records")
    if not isinstance(records, list) or not records:
        return [EventShapeError(f"{via}: no Records, no EventBridge detail, not an S3 test event "
                                f"(keys: {sorted(event)[:8]})")]
    out: list[S3Record | EventShapeError] = []
    for index, record in enumerate(records):
        where = f"{via} record {index}"
        source = record.get("eventSource") or record.get("EventSource") if isinstance(record, dict) else None
        try:
            if source == "aws:s3":
                s3 = record.get("s3") or {}
                out.append(S3Record(str((s3.get("bucket") or {}).get("name", "")),
                                    unquote_plus(str((s3.get("object") or {}).get("key", ""))),
                                    str(record.get("eventName", "")), via))
            elif source == "aws:sqs":
                out += s3_records(_json(record.get("body"), f"{where}: SQS body"), f"{via}/sqs")
            elif source == "aws:sns":
                out += s3_records(_json((record.get("Sns") or {}).get("Message"), f"{where}: SNS message"),
                                  f"{via}/sns")
            else:
                out.append(EventShapeError(f"{where}: event source {source!r} is not aws:s3, aws:sqs or aws:sns"))
        except EventShapeError as error:
            out.append(error)
    return out


def handle_event(event: dict, store_for: StoreFor, processed: Store, alert: Alert | None = None,
                 limits: Limits | None = None) -> list[RecordResult]:
    """Process every object record of ``event`` (any delivered shape, see ``s3_records``).

    ``ObjectCreated:*`` on ``incoming/*.zip`` is processed; ``s3:TestEvent`` is logged and ignored;
    everything else is a rejected result, logged and alerted (an ``ObjectRemoved`` event must not
    unpack a zip that is being deleted, and a record we cannot read must not vanish).
    """
    limits = limits or Limits.from_env()
    results = []
    for record in s3_records(event):
        if isinstance(record, EventShapeError):
            results.append(_reject("", "unrecognised_event", str(record), alert))
            continue
        if record.event_name == "s3:TestEvent":
            log.info("s3:TestEvent for bucket %s (%s): ignored", record.bucket or "?", record.via)
            results.append(RecordResult(key="", status="test_event", message="s3:TestEvent ignored"))
            continue
        if record.event_name.startswith("ObjectRemoved"):
            results.append(_reject(record.key, "object_removed", f"{record.event_name} event for "
                                   f"s3://{record.bucket}/{record.key} ({record.via}): only ObjectCreated events "
                                   "start an unzip; check the landing bucket's notification filter", alert))
            continue
        if not record.event_name.startswith("ObjectCreated"):
            results.append(_reject(record.key, "unexpected_event", f"event {record.event_name!r} for "
                                   f"s3://{record.bucket}/{record.key} ({record.via}) is not ObjectCreated:*", alert))
            continue
        if not record.bucket or not record.key.startswith(INCOMING_PREFIX) or not record.key.lower().endswith(".zip"):
            results.append(_reject(record.key, "not_incoming_zip", f"s3://{record.bucket}/{record.key} "
                                   f"({record.via}) is not an {INCOMING_PREFIX}*.zip key; check the notification "
                                   "filter", alert))
            continue
        log.info("%s s3://%s/%s (%s)", record.event_name, record.bucket, record.key, record.via)
        results.append(process_zip(store_for(record.bucket), record.key, processed, alert, limits))
    return results


def _reject(key: str, reason: str, message: str, alert: Alert | None) -> RecordResult:
    result = RecordResult(key=key, status="rejected", reason=reason, message=message)
    log.warning("event rejected (%s): %s", reason, message)
    if alert:
        alert(f"moviepipe: unzip event rejected ({reason})", asdict(result))
    return result


def process_zip(landing: Store, key: str, processed: Store, alert: Alert | None = None,
                limits: Limits | None = None) -> RecordResult:
    limits = limits or Limits.from_env()
    with tempfile.TemporaryDirectory(prefix="moviepipe-unzip-", dir=limits.work_dir) as tmp:
        local_zip = Path(tmp) / "batch.zip"
        try:
            landing.download(key, local_zip)
        except KeyError:
            # At-least-once delivery: a repeat event for a zip already moved away (quarantined).
            log.info("%s is no longer in landing (a repeated event): nothing to do", key)
            return RecordResult(key=key, status="ignored", message="object no longer in landing")
        zip_sha256 = sha256_file(local_zip)
        try:
            return _unpack(local_zip, zip_sha256, key, Path(tmp) / "out", processed, limits)
        except NoSpace as error:
            return RecordResult(key=key, status="failed", reason="insufficient_space", message=str(error))
        except ZipRejected as rejection:
            result = _quarantine(landing, key, local_zip, zip_sha256, rejection)
            if alert:
                alert(f"moviepipe: batch zip quarantined ({rejection.reason})", asdict(result))
            return result


def _unpack(local_zip: Path, zip_sha256: str, key: str, out: Path, processed: Store, limits: Limits) -> RecordResult:
    if not zipfile.is_zipfile(local_zip):
        raise ZipRejected("not_a_zip", f"{key} is not a zip archive (corrupt or wrong format)")
    try:
        archive = zipfile.ZipFile(local_zip)
    except zipfile.BadZipFile as error:
        raise ZipRejected("not_a_zip", f"{key} is not a readable zip archive: {error}") from None
    with archive:
        members = archive.infolist()
        _check_members(members, limits)
        manifest = _read_manifest(archive, limits)
        prefix = f"{manifest['entity']}/batch_id={manifest['batch_id']}/"
        if _already_processed(processed, prefix, zip_sha256):
            return RecordResult(key=key, status="duplicate", batch_id=manifest["batch_id"], entity=manifest["entity"],
                                rows=manifest["row_count"], message="same zip already processed")
        expected = _check_against_manifest(manifest, {m.filename: m for m in members}, limits)
        declared = sum(item["bytes"] for item in expected.values())
        free = shutil.disk_usage(out.parent).free
        if declared + limits.min_free_bytes > free:
            raise NoSpace(f"{key}: the batch declares {declared} bytes but only {free} bytes are free "
                          f"(keeping {limits.min_free_bytes} spare); raise the function's ephemeral storage")
        out.mkdir(parents=True)
        for name, item in expected.items():
            _extract_verified(archive, name, item, out / name, manifest)
    _publish(processed, prefix, out, manifest, sorted(expected), {"zip_sha256": zip_sha256, "landing_key": key})
    return RecordResult(key=key, status="processed", batch_id=manifest["batch_id"], entity=manifest["entity"],
                        rows=manifest["row_count"], files=[prefix + name for name in sorted(expected)])


def _check_members(members: list[zipfile.ZipInfo], limits: Limits) -> None:
    if len(members) > limits.max_members:
        raise ZipRejected("too_many_members", f"zip has {len(members)} members; at most {limits.max_members} allowed")
    names = [m.filename for m in members]
    if repeated := sorted({n for n in names if names.count(n) > 1}):
        raise ZipRejected("duplicate_member", f"member names appear more than once: {', '.join(repeated)}")
    total = 0
    for member in members:
        name = member.filename
        if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":") or ".." in Path(name).parts \
                or "\\" in name or "/" in name.rstrip("/"):
            raise ZipRejected("unsafe_path", f"member name {name!r} is not a plain file name (zip-slip)")
        if stat.S_ISLNK(member.external_attr >> 16):
            raise ZipRejected("symlink", f"member {name!r} is a symbolic link")
        if member.is_dir():
            raise ZipRejected("unexpected_file", f"member {name!r} is a directory")
        if member.flag_bits & 0x1:
            raise ZipRejected("encrypted", f"member {name!r} is encrypted")
        total += member.file_size
        if member.file_size > limits.max_compression_ratio * max(member.compress_size, 1):
            ratio = member.file_size / max(member.compress_size, 1)
            raise ZipRejected("zip_bomb", f"member {name!r} expands {ratio:.0f}x; "
                                          f"limit {limits.max_compression_ratio:.0f}x")
    if total > limits.max_uncompressed_bytes:
        raise ZipRejected("too_large", f"zip expands to {total} bytes; limit {limits.max_uncompressed_bytes}")


def _read_manifest(archive: zipfile.ZipFile, limits: Limits) -> dict:
    try:
        info = archive.getinfo(MANIFEST_NAME)
    except KeyError:
        raise ZipRejected("missing_manifest", f"zip has no {MANIFEST_NAME}") from None
    if info.file_size > limits.max_manifest_bytes:
        raise ZipRejected("too_large", f"{MANIFEST_NAME} is {info.file_size} bytes; limit {limits.max_manifest_bytes}")
    with archive.open(info) as handle:
        raw = handle.read(limits.max_manifest_bytes + 1)  # never trust the header's size
    if len(raw) > limits.max_manifest_bytes:
        raise ZipRejected("zip_bomb", f"{MANIFEST_NAME} expands past {limits.max_manifest_bytes} bytes")
    try:
        manifest = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ZipRejected("invalid_manifest", f"{MANIFEST_NAME} is not valid JSON: {error}") from None
    try:
        return validate_manifest(manifest)
    except ContractError as error:
        raise ZipRejected("invalid_manifest", str(error)) from None


def _check_against_manifest(manifest: dict, members: dict, limits: Limits) -> dict:
    """The manifest's files by name, after checking them against the members and each other."""
    expected = {item["name"]: item for item in manifest["files"]}
    if len(expected) != len(manifest["files"]) or MANIFEST_NAME in expected:
        raise ZipRejected("invalid_manifest", "manifest lists a file name twice, or lists manifest.json itself")
    present = set(members) - {MANIFEST_NAME}
    if missing := sorted(set(expected) - present):
        raise ZipRejected("missing_file", f"files in the manifest but not in the zip: {', '.join(missing)}")
    if unexpected := sorted(present - set(expected)):
        raise ZipRejected("unexpected_file", f"files in the zip but not in the manifest: {', '.join(unexpected)}")
    deletes = [item for item in expected.values() if item.get("role") == "deletes"]
    if len(deletes) > 1 or any(item["format"] != "csv" for item in deletes):
        raise ZipRejected("invalid_manifest", "at most one deletes file is allowed, and it must be csv")
    declared = 0
    for name, item in expected.items():
        if item.get("role", "data") == "data" and item["rows"] != manifest["row_count"]:
            raise ZipRejected("row_count_mismatch", f"{name}: manifest entry says {item['rows']} rows, "
                                                    f"row_count says {manifest['row_count']}")
        if members[name].file_size != item["bytes"]:
            raise ZipRejected("size_mismatch", f"{name}: zip entry holds {members[name].file_size} bytes, "
                                               f"manifest says {item['bytes']}")
        declared += item["bytes"]
    if declared > limits.max_uncompressed_bytes:
        raise ZipRejected("too_large", f"manifest declares {declared} bytes; limit {limits.max_uncompressed_bytes}")
    return expected


def _extract_verified(archive: zipfile.ZipFile, name: str, item: dict, target: Path, manifest: dict) -> None:
    """Stream one member to disk in chunks, hashing as it goes; stop once it outgrows its declared size."""
    digest = hashlib.sha256()
    written = 0
    try:
        with archive.open(name) as source, open(target, "wb") as sink:
            for chunk in iter(lambda: source.read(CHUNK), b""):
                written += len(chunk)
                if written > item["bytes"]:
                    raise ZipRejected("zip_bomb", f"member {name!r} expands past its declared {item['bytes']} bytes")
                digest.update(chunk)
                sink.write(chunk)
    except (zipfile.BadZipFile, zlib.error, EOFError) as error:
        # e.g. data longer than the entry's header says: zipfile stops at the header's size, the CRC fails
        raise ZipRejected("corrupt_member", f"member {name!r} cannot be extracted: {error}") from None
    if written != item["bytes"]:
        raise ZipRejected("size_mismatch", f"{name}: {written} bytes, manifest says {item['bytes']}")
    if digest.hexdigest() != item["sha256"]:
        raise ZipRejected("checksum_mismatch", f"{name}: sha256 {digest.hexdigest()[:12]}… does not match "
                                               f"the manifest's {item['sha256'][:12]}…")
    if item["format"] == "csv":
        is_deletes = item.get("role") == "deletes"
        header = list(DELETES_COLUMNS) if is_deletes else [c["name"] for c in manifest["columns"]]
        rows = _check_csv(target, header)
        if rows != item["rows"]:
            raise ZipRejected("row_count_mismatch", f"{name}: {rows} rows, manifest says {item['rows']}")
    elif item["format"] == "parquet":
        # No pyarrow in the Lambda: the checksum proves the bytes; check the framing too.
        with open(target, "rb") as handle:
            head = handle.read(4)
            handle.seek(max(written - 4, 0))
            tail = handle.read(4)
        if head != b"PAR1" or tail != b"PAR1":
            raise ZipRejected("invalid_file", f"{name} is not a Parquet file")


def _check_csv(path: Path, header: list[str]) -> int:
    """Check the header; count records, not lines (quoted fields may hold newlines). Streams the file."""
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            reader = csv.reader(handle)
            found = next(reader, None)
            if found != header:
                raise ZipRejected("header_mismatch", f"{path.name}: header {found} is not the declared {header}")
            return sum(1 for _ in reader)
    except UnicodeDecodeError as error:
        raise ZipRejected("invalid_encoding", f"{path.name} is not UTF-8: {error}") from None
    except csv.Error as error:
        raise ZipRejected("invalid_file", f"{path.name} is not a readable CSV: {error}") from None


def _already_processed(processed: Store, prefix: str, zip_sha256: str) -> bool:
    if not processed.exists(prefix + SUCCESS_MARKER):
        return False
    marker = json.loads(processed.get_bytes(prefix + SUCCESS_MARKER))
    return marker.get("zip_sha256") == zip_sha256


def _publish(processed: Store, prefix: str, out: Path, manifest: dict, names: list[str], origin: dict) -> None:
    """Files, then manifest.json, then _SUCCESS. A different zip of the same batch replaces the
    folder: its old marker goes first (readers stop trusting it) and its leftover files after."""
    processed.delete(prefix + SUCCESS_MARKER)
    for name in names:
        processed.upload(out / name, prefix + name)
        if os.environ.get("MOVIEPIPE_FAULT") == "unzip:mid":  # tests: a crash mid-publish (moviepipe.faults)
            os.write(2, b"moviepipe fault injected at unzip:mid\n"), os._exit(137)
    processed.put_bytes(prefix + MANIFEST_NAME, json.dumps(manifest, indent=2).encode())
    keep = {prefix + name for name in [*names, MANIFEST_NAME]}
    for stale in set(processed.list(prefix)) - keep - {prefix + SUCCESS_MARKER}:
        processed.delete(stale)
    marker = {"batch_id": manifest["batch_id"], **origin, "files": names, "processed_at": _now()}
    processed.put_bytes(prefix + SUCCESS_MARKER, json.dumps(marker, indent=2).encode())


def _quarantine(landing: Store, key: str, local_zip: Path, zip_sha256: str, rejection: ZipRejected) -> RecordResult:
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
