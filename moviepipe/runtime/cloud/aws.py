"""The AWS half of the cloud runtime: S3 landing, the unzip Lambda's outcome, Glue runs.

Every call is a plain boto3 API call, so the same code runs against AWS and
against moto/LocalStack/MinIO (boto3 honours ``AWS_ENDPOINT_URL``). Credentials
come from a ``prefect_aws.AwsCredentials`` block when one is named (``client_factory``),
else from the standard AWS chain (environment, profile, ECS task role); never from code.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from botocore.config import Config

from moviepipe.contract import SUCCESS_MARKER
from moviepipe.errors import StageError
from moviepipe.runtime.cloud import blocks

#: SDK-level retries for throttling and dropped connections (Prefect retries whole tasks on top).
CLIENT_OPTIONS = {"retries": {"mode": "adaptive", "max_attempts": 8}, "connect_timeout": 10, "read_timeout": 120}
CLIENT_CONFIG = Config(**CLIENT_OPTIONS)

#: Glue run states that end a run, and those that mean it failed.
GLUE_TERMINAL = {"SUCCEEDED", "FAILED", "TIMEOUT", "ERROR", "STOPPED", "EXPIRED"}
GLUE_FAILED = GLUE_TERMINAL - {"SUCCEEDED"}

#: Where the Glue job writes its counts: outside the pipes' prefixes so Snowpipe never sees it.
RESULT_KEY = "_results/movies/batch_id={batch_id}/result.json"

ClientFactory = Callable[[str], object]


def client_factory(credentials_block: str = "") -> ClientFactory:
    """``factory("s3")`` -> a boto3 client: ``AwsCredentials.get_client`` of a Prefect block, or the AWS chain.

    The block (prefect-aws, ``MOVIEPIPE_AWS_CREDENTIALS_BLOCK``) carries keys, a profile or
    a role to assume, the region and client parameters such as ``endpoint_url``; where it
    sets no botocore ``config`` of its own, ours (adaptive retries, timeouts) is used.
    Without a block: boto3's standard chain (environment, profile, ECS task role) and
    ``AWS_ENDPOINT_URL``.
    """
    if credentials_block:
        credentials = _with_client_config(blocks.load("prefect_aws", "AwsCredentials", credentials_block,
                                                      "MOVIEPIPE_AWS_CREDENTIALS_BLOCK"))
        return credentials.get_client
    import boto3

    session = boto3.session.Session()
    return lambda service: session.client(service, config=CLIENT_CONFIG)


def _with_client_config(credentials):
    parameters = credentials.aws_client_parameters
    if parameters.config:
        return credentials
    return credentials.model_copy(update={"aws_client_parameters": parameters.model_copy(
        update={"config": CLIENT_OPTIONS})})


def sha256_of(path: Path) -> tuple[str, str]:
    """(hex, base64) SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest(), base64.b64encode(digest.digest()).decode()


def upload_once(s3, path: Path, bucket: str, key: str, threshold_bytes: int) -> bool:
    """Upload ``path`` unless the same bytes are already at ``key``; True when it uploaded.

    S3 checks every part against its SHA-256 (``ChecksumAlgorithm``); the whole-file
    digest goes in the object's metadata, because a multipart object's own checksum
    is a checksum of part checksums and cannot be compared with a file's.
    """
    from boto3.s3.transfer import TransferConfig
    from botocore.exceptions import ClientError

    hex_digest, _ = sha256_of(path)
    try:
        head = s3.head_object(Bucket=bucket, Key=key)
        if head.get("Metadata", {}).get("sha256") == hex_digest:
            return False
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") not in ("404", "NoSuchKey", "NotFound"):
            raise
    s3.upload_file(str(path), bucket, key,
                   ExtraArgs={"ChecksumAlgorithm": "SHA256", "Metadata": {"sha256": hex_digest}},
                   Config=TransferConfig(multipart_threshold=threshold_bytes, multipart_chunksize=threshold_bytes))
    return True


@dataclass
class UnzipOutcome:
    """Same fields as the Lambda's ``RecordResult`` (what the local runtime returns)."""

    key: str
    status: str  # processed | duplicate | quarantined
    batch_id: str | None = None
    entity: str | None = None
    reason: str | None = None
    message: str | None = None
    rows: int | None = None
    files: list[str] = field(default_factory=list)


@dataclass
class LandedZip:
    key: str
    sha256: str
    uploaded: bool
    batch_id: str | None = None
    entity: str | None = None
    rows: int | None = None


def unzip_outcome(landing, processed, landed: LandedZip) -> UnzipOutcome | None:
    """What the Lambda did with this zip, or None while it has not finished.

    Done means either ``<entity>/batch_id=<id>/_SUCCESS`` naming this zip's SHA-256
    (written last, so the batch is complete), or ``quarantine/<name>.reason.json``
    naming it (the Lambda moved the zip aside, with its reason).
    """
    if landed.batch_id and landed.entity:
        prefix = f"{landed.entity}/batch_id={landed.batch_id}/"
        if processed.exists(prefix + SUCCESS_MARKER):
            marker = json.loads(processed.get_bytes(prefix + SUCCESS_MARKER))
            if marker.get("zip_sha256") == landed.sha256:
                return UnzipOutcome(key=landed.key, status="processed" if landed.uploaded else "duplicate",
                                    batch_id=landed.batch_id, entity=landed.entity, rows=landed.rows,
                                    files=[prefix + name for name in marker.get("files", [])])
    name = landed.key.removeprefix("incoming/")
    reason_key = f"quarantine/{name}.reason.json"
    if landing.exists(reason_key):
        reason = json.loads(landing.get_bytes(reason_key))
        if reason.get("zip_sha256") == landed.sha256:
            return UnzipOutcome(key=landed.key, status="quarantined", reason=reason.get("reason"),
                                message=reason.get("message"))
    return None


def glue_arguments(batch_id: str, processed_uri: str, archive_uri: str) -> dict[str, str]:
    """The job arguments ``glue/movies_job.py`` reads (JOB_ARGUMENTS), explicitly per run."""
    return {"--batch_id": batch_id, "--processed_uri": processed_uri, "--archive_uri": archive_uri}


def start_or_attach(glue, job_name: str, arguments: dict[str, str]) -> str:
    """Start a run, or reuse one still running for the same batch (a retried task must not double-run)."""
    paginator = glue.get_paginator("get_job_runs")
    for page in paginator.paginate(JobName=job_name):
        for run in page.get("JobRuns", []):
            if run.get("JobRunState") in ("STARTING", "RUNNING", "WAITING") and \
                    run.get("Arguments", {}).get("--batch_id") == arguments["--batch_id"]:
                return run["Id"]
    return glue.start_job_run(JobName=job_name, Arguments=arguments)["JobRunId"]


def glue_run_state(glue, job_name: str, run_id: str) -> dict | None:
    """The run once terminal; a failed one raises with Glue's own ErrorMessage."""
    run = glue.get_job_run(JobName=job_name, RunId=run_id, PredecessorsIncluded=False)["JobRun"]
    state = run.get("JobRunState")
    if state not in GLUE_TERMINAL:
        return None
    if state in GLUE_FAILED:
        message = run.get("ErrorMessage") or "no error message from Glue"
        raise StageError("transform", f"Glue job {job_name} run {run_id} ended {state}: {message}")
    return run


def read_glue_result(archive, batch_id: str, outputs: dict[str, str]) -> dict:
    """The counts the job wrote (``RESULT_KEY``), or, if it wrote none, counted from its CSVs.

    ``outputs`` maps each archive entity (a pipe's folder) to the CSV the job writes for it.
    """
    key = RESULT_KEY.format(batch_id=batch_id)
    if archive.exists(key):
        result = json.loads(archive.get_bytes(key))
        missing = {"rows_in", "rows_out", "rows_rejected"} - set(result)
        if missing:
            raise StageError("transform", f"{archive.uri(key)} lacks {', '.join(sorted(missing))}")
        return {**result, "result_source": "job"}
    records = {entity: _csv_records(archive, key) for entity, key in outputs.items()}
    rejected = [r for r in records.get("rejected", []) if r.get("ENTITY", "movies") in ("movies", None)]
    by_rule: dict[str, int] = {}
    for record in records.get("rejected", []):
        rule = record.get("RULE") or "unknown"
        by_rule[rule] = by_rule.get(rule, 0) + 1
    movies = len(records.get("movies", []))
    return {"rows_in": movies + len(rejected), "rows_out": movies, "rows_rejected": len(rejected),
            "rejected_by_rule": by_rule, "files": outputs,
            "entities": {entity: len(rows) for entity, rows in records.items()}, "result_source": "counted"}


def _csv_records(store, key: str) -> list[dict]:
    if not store.exists(key):
        raise StageError("transform", f"the Glue job succeeded but wrote no {store.uri(key)}")
    return list(csv.DictReader(io.StringIO(store.get_bytes(key).decode("utf-8"), newline="")))
