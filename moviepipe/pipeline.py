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

from moviepipe import faults, progress
from moviepipe.contract import RAW_ENTITY
from moviepipe.contract.archive import DELETES_FILE
from moviepipe.errors import BatchRejected, ReconciliationError, StageError
from moviepipe.ledger import StageRecord, utcnow
from moviepipe.packaging import add_deletes_file, build_manifest, write_raw_files, zip_batch
from moviepipe.runtime import Runtime
from moviepipe.state import FULL_REFRESH, StateError
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
    attempts = _earlier_attempts(rt, batch_id, name)
    rt.ledger.record(StageRecord(batch_id, name, "running", started_at=started, source=source,
                                 detail=json.dumps({"earlier_attempts": attempts}) if attempts else None))
    try:
        yield outcome
    except Exception as error:
        rt.ledger.record(StageRecord(batch_id, name, "failed", outcome.rows_in, outcome.rows_out,
                                     outcome.rows_rejected, started, utcnow(), source, str(error)[:2000]))
        progress.failed(name, str(error))
        raise
    detail = {**outcome.detail, "earlier_attempts": attempts} if attempts else outcome.detail
    rt.ledger.record(StageRecord(batch_id, name, "succeeded", outcome.rows_in, outcome.rows_out,
                                 outcome.rows_rejected, started, utcnow(), source,
                                 json.dumps(detail, default=str) if detail else None))
    progress.finished(name, outcome.rows_out, time.perf_counter() - clock, outcome.where)


def _earlier_attempts(rt: Runtime, batch_id: str, name: str) -> list[dict]:
    """What the stage's row said before this attempt replaces it: kept in the new row's detail.

    A row still ``running`` is an attempt whose process died (killed, crashed) before it could
    say anything; ``failed`` and ``succeeded`` ones are retries and resumed batches. Carried
    forward, so the row that finally succeeds lists every attempt before it.
    """
    rows = rt.ledger.wh.query("SELECT STATE, STARTED_AT, ENDED_AT, DETAIL FROM OPS.BATCH_LEDGER "
                              "WHERE BATCH_ID = %s AND STAGE = %s", (batch_id, name))
    if not rows:
        return []
    row = rows[0]
    earlier = []
    try:
        earlier = list(json.loads(row["DETAIL"] or "{}").get("earlier_attempts", []))
    except (ValueError, AttributeError):  # a failed row's detail is its error text
        pass
    state = "interrupted" if row["STATE"] == "running" else row["STATE"]
    return [*earlier, {"state": state, "started_at": str(row["STARTED_AT"]), "ended_at": str(row["ENDED_AT"] or "")}]


def _first_started(rt: Runtime, batch_id: str, name: str):
    """When the stage of this batch first started, over every earlier attempt the ledger kept (or None)."""
    from datetime import datetime

    rows = rt.ledger.wh.query("SELECT STARTED_AT, DETAIL FROM OPS.BATCH_LEDGER WHERE BATCH_ID = %s AND STAGE = %s",
                              (batch_id, name))
    if not rows:
        return None
    starts = [rows[0]["STARTED_AT"]]
    try:
        starts += [datetime.fromisoformat(attempt["started_at"])
                   for attempt in json.loads(rows[0]["DETAIL"] or "{}").get("earlier_attempts", [])]
    except (ValueError, AttributeError, KeyError, TypeError):
        pass
    starts = [start for start in starts if start is not None]
    return min(starts) if starts else None


# --------------------------------------------------------------------------- #
# Extract and package (the SQL source)
# --------------------------------------------------------------------------- #

def plan(rt: Runtime, source: SqlSource, full_refresh: bool = False) -> SqlBatchPlan:
    """The next batch of ``source``: past the stored watermark (or everything, on a full refresh).

    Retyped columns are found against the baseline the last committed batch
    recorded; delete detection diffs a fresh key scan against its key scan.
    Lost or unreadable state is a ``StateError`` naming the file, never an
    unnoticed re-load of everything (``_check_lost_watermark``).
    """
    entry = rt.watermarks.entry(source.source_key)
    low = None if full_refresh else entry.get("high")
    snapshots = rt.snapshots
    # No entry but a snapshot: a commit cut short before its watermark, or a lost watermarks file.
    # Diffing against it keeps deletes visible either way (and re-plans a cut-short batch as it was).
    snapshot = entry.get("snapshot") or (snapshots.latest(source.source_key) if not entry else None)
    if hasattr(source, "check_retyped"):
        source.check_retyped(snapshots.column_types(source.source_key, snapshot))
    if getattr(source, "detect_deletes", False):
        previous = snapshots.keys(source.source_key, snapshot, required=bool(entry.get("keys")) and not full_refresh)
        batch = source.plan(low, previous_keys=previous)
    else:
        batch = source.plan(low)
    if low is None and not full_refresh:
        _check_lost_watermark(rt, source, batch)
    return batch


def _check_lost_watermark(rt: Runtime, source, batch) -> None:
    """No watermark, yet the warehouse holds reconciled batches of this source: the state was lost.

    Resuming the source's first batch (a crash before its commit) re-plans that very batch id,
    which is allowed; any other batch would re-load everything the warehouse already holds.
    """
    if not hasattr(source, "base_source_key") or getattr(source, "window", None):
        return  # OMDb and backfills keep no such watermark
    rows = rt.ledger.wh.query(
        "SELECT DISTINCT r.BATCH_ID FROM OPS.BATCH_LEDGER r JOIN OPS.BATCH_LEDGER e ON e.BATCH_ID = r.BATCH_ID "
        "WHERE r.STAGE = 'reconcile' AND r.STATE = 'succeeded' AND e.STAGE = 'extract' AND e.SOURCE = %s",
        (batch.source_name,))
    done = {row["BATCH_ID"] for row in rows}
    if done and (batch.is_empty or batch.batch_id not in done):
        where = rt.watermarks.store.uri(rt.watermarks.key)
        state = "has no entry for it" if rt.watermarks.exists() else "is missing"
        raise StateError(f"state file {where} {state}, but the warehouse already holds {len(done)} reconciled "
                         f"batch(es) of source {batch.source_name}: the state was lost. Restore it from a backup, "
                         f"or run `{FULL_REFRESH}` to re-read the source on purpose (unchanged rows are no-ops)")


def extract(rt: Runtime, source: SqlSource, batch: SqlBatchPlan):
    folder = rt.work_dir / batch.batch_id
    # A re-run batch must write the same bytes: the deletes' time is when the batch was first extracted
    # (a new time would make a new archive file, which the pipes would load a second time).
    first = _first_started(rt, batch.batch_id, "extract") or utcnow()
    with stage(rt, batch.batch_id, "extract", batch.source_name) as out:
        out.rows_in = batch.expected_rows
        raw = write_raw_files(_fault_after_first(source.batches(batch), "extract:inside"), source.schema,
                              folder / RAW_ENTITY)
        out.rows_out = raw.rows
        out.where = str(raw.folder)
        if raw.rows != batch.expected_rows:
            raise StageError("extract", f"planned {batch.expected_rows} rows but read {raw.rows}; "
                                        "the source changed inside the batch's watermark range", retryable=True)
        deletes = getattr(batch, "deletes", None)
        if deletes is not None and deletes.num_rows:
            add_deletes_file(raw, deletes, first.strftime("%Y-%m-%d %H:%M:%S"))
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
    faults.point("package:after")
    return zip_path


def commit(rt: Runtime, source: SqlSource, batch: SqlBatchPlan) -> None:
    """After the batch reconciles: move the watermark and the source snapshots, drop the staging copy.

    Until the watermark write, a crash anywhere re-plans the same batch (same range,
    same deletes, same id); the snapshot it points at is written before it. The zip
    stays in the landing bucket; the work folder is only a staging copy of it.
    """
    current_keys = getattr(batch, "current_keys", None)
    column_types = getattr(batch, "column_types", None)
    snapshot = None
    if current_keys is not None or column_types:
        # the snapshot first, in its own folder; then the watermark that points at it commits both
        snapshot = batch.batch_id
        rt.snapshots.commit(source.source_key, keys=current_keys, column_types=column_types or None,
                            snapshot=snapshot)
    faults.point("commit:between_watermark_and_keyscan")
    rt.watermarks.advance(source.source_key, batch.high, batch.batch_id, snapshot=snapshot,
                          keys=current_keys is not None if snapshot else None)
    if snapshot:
        rt.snapshots.prune(source.source_key, keep=snapshot)
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
        faults.point("land:after")  # landed, but the ledger still says running
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
    faults.point("reconcile:after")
    return result


def _fault_after_first(chunks, name: str):
    """The source's chunks, with the fault point ``name`` after the first one (a crash mid-extract)."""
    for i, chunk in enumerate(chunks):
        if i:
            faults.point(name)
        yield chunk
    faults.point(name)


def _dim_counts(rt: Runtime) -> dict:
    row = rt.warehouse.query(
        "SELECT COUNT(*) AS VERSIONS, COALESCE(SUM(IFF(IS_CURRENT, 0, 1)), 0) AS CLOSED, "
        "COALESCE(SUM(IFF(IS_CURRENT AND IS_DELETED, 1, 0)), 0) AS DELETED, "
        "(SELECT COUNT(*) FROM ANALYTICS.FACT_MOVIE_RATING) AS RATINGS FROM ANALYTICS.DIM_MOVIE")[0]
    return {key.lower(): int(value) for key, value in row.items()}
