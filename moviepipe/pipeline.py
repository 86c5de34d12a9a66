"""The stages of one batch, as plain functions over a ``Runtime``.

Prefect flows (``flows/``) wrap these in tasks with retries; tests call them
directly. Each stage writes its row in the batch ledger (running, then
succeeded or failed) and reports progress through ``moviepipe.progress``.
"""

from __future__ import annotations

import json
import re
import shutil
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from moviepipe import progress
from moviepipe.contract import RAW_ENTITY
from moviepipe.contract.archive import DELETES_FILE
from moviepipe.errors import BatchRejected, ReconciliationError, StageError
from moviepipe.ledger import StageRecord, utcnow
from moviepipe.packaging import add_deletes_file, build_manifest, write_raw_files, zip_batch
from moviepipe.runtime import Runtime
from moviepipe.warehouse import DIM_MOVIE_STREAMS, MOVIES_PIPE, REJECTED_PIPE
from moviepipe.sources.sql import SqlBatchPlan, SqlSource


@dataclass
class StageOutcome:
    rows_in: int | None = None
    rows_out: int | None = None
    rows_rejected: int | None = None
    detail: dict = field(default_factory=dict)
    where: str = ""


@contextmanager
def stage(rt: Runtime, batch_id: str, name: str, source: str | None = None):
    """Ledger + progress bookkeeping around one stage; the body fills in the outcome."""
    outcome = StageOutcome()
    started = utcnow()
    clock = time.perf_counter()
    progress.started(name, batch_id)
    rt.ledger.record(StageRecord(batch_id, name, "running", started_at=started, source=source))
    try:
        yield outcome
    except Exception as error:
        rt.ledger.record(StageRecord(batch_id, name, "failed", outcome.rows_in, outcome.rows_out,
                                     outcome.rows_rejected, started, utcnow(), source, str(error)[:2000]))
        progress.failed(name, str(error))
        raise
    rt.ledger.record(StageRecord(batch_id, name, "succeeded", outcome.rows_in, outcome.rows_out,
                                 outcome.rows_rejected, started, utcnow(), source,
                                 json.dumps(outcome.detail, default=str) if outcome.detail else None))
    progress.finished(name, outcome.rows_out, time.perf_counter() - clock, outcome.where)


# --------------------------------------------------------------------------- #
# Extract and package (the SQL source)
# --------------------------------------------------------------------------- #

def plan(rt: Runtime, source: SqlSource, full_refresh: bool = False) -> SqlBatchPlan:
    """The next batch of ``source``: past the stored watermark (or everything, on a full refresh).

    Retyped columns are found against the baseline the last committed batch
    recorded; delete detection diffs a fresh key scan against its key scan.
    """
    low = None if full_refresh else rt.watermarks.get(source.source_key)
    snapshots = rt.snapshots
    if hasattr(source, "check_retyped"):
        source.check_retyped(snapshots.column_types(source.source_key))
    if getattr(source, "detect_deletes", False):
        return source.plan(low, previous_keys=snapshots.keys(source.source_key))
    return source.plan(low)


def extract(rt: Runtime, source: SqlSource, batch: SqlBatchPlan):
    folder = rt.work_dir / batch.batch_id
    with stage(rt, batch.batch_id, "extract", batch.source_name) as out:
        out.rows_in = batch.expected_rows
        raw = write_raw_files(source.batches(batch), source.schema, folder / RAW_ENTITY)
        out.rows_out = raw.rows
        out.where = str(raw.folder)
        if raw.rows != batch.expected_rows:
            raise StageError("extract", f"planned {batch.expected_rows} rows but read {raw.rows}; "
                                        "the source changed inside the batch's watermark range", retryable=True)
        deletes = getattr(batch, "deletes", None)
        if deletes is not None and deletes.num_rows:
            add_deletes_file(raw, deletes, utcnow().strftime("%Y-%m-%d %H:%M:%S"))
        drift = getattr(batch, "drift", None)
        out.detail = {key: value for key, value in {
            "deletes": getattr(batch, "delete_count", 0),
            "low": batch.low, "high": batch.high,
            "schema_drift": drift if drift and (drift["added"] or drift["missing"] or drift["retyped"]) else None,
            "source_answers": batch.summary() if hasattr(batch, "summary") else None,  # OMDb: found, misses
        }.items() if value}
    return raw


def record_source_misses(rt: Runtime, batch) -> int:
    """The ids the plan got no record for (OMDb) into OPS.SOURCE_MISSES, each answer once; rows written.

    Runs right after planning, batch or no batch: a run whose every id is a miss has nothing
    to load but still tells where those ids stand.
    """
    if getattr(batch, "misses", None) is None:
        return 0
    from moviepipe.sources.omdb import misses

    return misses.record(rt.ledger.wh, batch.source_name, batch, None if batch.is_empty else batch.batch_id)


def package(rt: Runtime, batch: SqlBatchPlan, raw, source_kind: str = "sql") -> Path:
    with stage(rt, batch.batch_id, "package", batch.source_name) as out:
        manifest = build_manifest(raw, batch.batch_id, source_kind, batch.source_name, batch.low, batch.high,
                                  schema_drift=getattr(batch, "drift", None))
        zip_path = zip_batch(raw, manifest, rt.work_dir / f"{batch.batch_id}.zip")
        out.rows_in = out.rows_out = raw.rows
        out.where = str(zip_path)
        out.detail = {"zip_bytes": zip_path.stat().st_size}
    return zip_path


def commit(rt: Runtime, source: SqlSource, batch: SqlBatchPlan) -> None:
    """After the batch reconciles: move the watermark and the source snapshots, drop the staging copy.

    Until this runs, a crash anywhere re-plans the same batch (same range, same
    deletes, same id). The zip stays in the landing bucket; the work folder is
    only a staging copy of it.
    """
    rt.watermarks.advance(source.source_key, batch.high, batch.batch_id)
    current_keys = getattr(batch, "current_keys", None)
    column_types = getattr(batch, "column_types", None)
    if current_keys is not None or column_types:
        rt.snapshots.commit(source.source_key, keys=current_keys, column_types=column_types or None)
    shutil.rmtree(rt.work_dir / batch.batch_id, ignore_errors=True)
    (rt.work_dir / f"{batch.batch_id}.zip").unlink(missing_ok=True)


# --------------------------------------------------------------------------- #
# Land, unzip, transform, load, merge, reconcile (any batch zip)
# --------------------------------------------------------------------------- #

def landing_key(source_name: str, batch_id: str) -> str:
    """Where a batch lands: one folder per source, named safely after it."""
    return f"incoming/{slug(source_name)}/{batch_id}.zip"


def slug(text: str) -> str:
    """``text`` as one safe path segment (URL punctuation and spaces become dashes)."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-")[:80] or "source"


def land(rt: Runtime, batch_id: str, zip_path: Path, key: str, rows: int) -> str:
    with stage(rt, batch_id, "land") as out:
        rt.land(zip_path, key)
        out.rows_in = out.rows_out = rows
        out.where = rt.landing.uri(key)
    return key


def unzip(rt: Runtime, batch_id: str, key: str, rows: int) -> str:
    """Returns the processed key of the raw CSV; a quarantined zip raises BatchRejected."""
    with stage(rt, batch_id, "unzip") as out:
        out.rows_in = rows
        result = rt.unzip(key)
        if result.status == "quarantined":  # the flow's failure alert carries the reason
            raise BatchRejected(f"batch zip rejected ({result.reason}): {result.message}", result.reason)
        if result.status not in ("processed", "duplicate"):
            raise StageError("unzip", f"{key}: {result.status} ({result.message})")
        if result.batch_id != batch_id:
            raise StageError("unzip", f"{key} holds batch {result.batch_id}, expected {batch_id}")
        out.rows_out = result.rows
        out.detail = {"status": result.status}
        prefix = f"{result.entity}/batch_id={batch_id}/"
        out.where = rt.processed.uri(prefix)
        csv_keys = [key for key in (result.files or rt.processed.list(prefix))
                    if key.endswith(".csv") and not key.endswith("/" + DELETES_FILE)]
        if len(csv_keys) != 1:
            raise StageError("unzip", f"{prefix} should hold one raw CSV, found {len(csv_keys)}")
    return csv_keys[0]


def transform(rt: Runtime, batch_id: str, raw_key: str) -> dict:
    with stage(rt, batch_id, "transform") as out:
        result = rt.transform(batch_id, raw_key)
        out.rows_in, out.rows_out, out.rows_rejected = result["rows_in"], result["rows_out"], result["rows_rejected"]
        out.detail = {"rejected_by_rule": result.get("rejected_by_rule", {})}
        out.where = rt.archive.uri(f"movies/batch_id={batch_id}/")
        if result["rows_in"] != result["rows_out"] + result["rows_rejected"]:
            raise ReconciliationError(f"transform of {batch_id}: {result['rows_in']} in, {result['rows_out']} out, "
                                      f"{result['rows_rejected']} rejected")
    return result


def load(rt: Runtime, batch_id: str) -> dict:
    with stage(rt, batch_id, "load") as out:
        runs = rt.load()
        counts = {run.pipe: run.rows_loaded for run in runs}
        # movies loaded vs rejected reconcile against the extraction; the other entities are detail
        out.rows_out = counts.get(MOVIES_PIPE, 0)
        out.rows_rejected = counts.get(REJECTED_PIPE, 0)
        out.detail = {"files_loaded": [f for run in runs for f in run.files_loaded], "rows_by_pipe": counts}
        out.where = ", ".join(sorted({getattr(run, "table", "") or run.pipe for run in runs}))
    return counts


def merge(rt: Runtime, batch_id: str) -> dict:
    with stage(rt, batch_id, "merge") as out:
        before = _dim_counts(rt)
        runs = rt.merge()
        after = _dim_counts(rt)
        consumed = {stream: n for run in runs for stream, n in run.consumed.items()}
        out.rows_in = sum(consumed.get(stream, 0) for stream in DIM_MOVIE_STREAMS)
        out.rows_out = after["versions"] - before["versions"]
        out.detail = {"tasks": {run.task: ("ran" if run.ran else run.reason) for run in runs},
                      "new_versions": after["versions"] - before["versions"],
                      "closed_versions": after["closed"] - before["closed"],
                      "deleted_movies": after["deleted"] - before["deleted"],
                      "rating_snapshots": after["ratings"] - before["ratings"],
                      "consumed_by_stream": consumed}
        out.where = "ANALYTICS.DIM_MOVIE"
    return out.detail


def reconcile(rt: Runtime, batch_id: str, extracted: int) -> dict:
    with stage(rt, batch_id, "reconcile") as out:
        result = rt.ledger.reconcile(batch_id, extracted)
        out.rows_in, out.rows_out, out.rows_rejected = result["extracted"], result["loaded"], result["rejected"]
        if not result["balanced"]:
            raise ReconciliationError(f"batch {batch_id} does not reconcile: {result['extracted']} extracted, "
                                      f"{result['loaded']} loaded, {result['rejected']} rejected")
    return result


def _dim_counts(rt: Runtime) -> dict:
    row = rt.warehouse.query(
        "SELECT COUNT(*) AS VERSIONS, COALESCE(SUM(IFF(IS_CURRENT, 0, 1)), 0) AS CLOSED, "
        "COALESCE(SUM(IFF(IS_CURRENT AND IS_DELETED, 1, 0)), 0) AS DELETED, "
        "(SELECT COUNT(*) FROM ANALYTICS.FACT_MOVIE_RATING) AS RATINGS FROM ANALYTICS.DIM_MOVIE")[0]
    return {key.lower(): int(value) for key, value in row.items()}
