"""Prefect flows: each stage a task with retries and a time limit, each run visible in the UI.

The flows are thin: the work is in ``moviepipe.pipeline``; the environment comes
from ``moviepipe.runtime.build_runtime`` (local or cloud, same flows). Around the
stages they add what orchestration owns:

- retries with backoff for transient errors only (``flows.retries``), a time limit
  per task type (``TASK_LIMITS``);
- one run per source at a time (``flows.locks``: a file lock in the home, a lease in the state bucket);
- artifacts, batch-tagged logs, the failure alert and the completion summary
  (``flows.reporting``; alerts are sent by the flow's hooks, once).
"""

from __future__ import annotations

from pathlib import Path

from prefect import flow, task
from prefect.cache_policies import NONE

from flows import reporting
from flows.locks import source_lock
from flows.retries import retry_if_transient
from moviepipe import pipeline
from moviepipe.contract import sha256_file
from moviepipe.errors import MoviepipeError
from moviepipe.packaging import read_manifest_from_zip
from moviepipe.runtime import Runtime, build_runtime
from moviepipe.settings import Settings, load_settings
from moviepipe.source_run import Stages, run_source
from moviepipe.sources import Source
from moviepipe.sources.factory import open_source

__all__ = ["run_flow", "ingest_flow", "backfill_flow", "retry_if_transient", "carry_batch"]

#: (retries, time limit in seconds) per task type. Waiting stages allow for the
#: service's own timeout (Lambda 5 min, Glue 60 min, Snowpipe and tasks minutes).
TASK_LIMITS = {
    "extract": (2, 3600), "package": (2, 1800), "land": (3, 1800), "unzip": (2, 1200),
    "transform": (1, 3 * 3600), "load": (2, 1800), "merge": (2, 1800), "reconcile": (0, 600),
}
RETRY_DELAYS = [5, 30, 120]


def _task(name: str):
    retries, limit = TASK_LIMITS[name]
    return task(name=name, retries=retries, retry_delay_seconds=RETRY_DELAYS[:retries] or 0,
                retry_jitter_factor=0.5, retry_condition_fn=retry_if_transient, cache_policy=NONE,
                timeout_seconds=limit)


extract_task = _task("extract")(pipeline.extract)
package_task = _task("package")(pipeline.package)
land_task = _task("land")(pipeline.land)
unzip_task = _task("unzip")(pipeline.unzip)
transform_task = _task("transform")(pipeline.transform)
load_task = _task("load")(pipeline.load)
merge_task = _task("merge")(pipeline.merge)
reconcile_task = _task("reconcile")(pipeline.reconcile)


def carry_batch(rt: Runtime, batch_id: str, zip_path: Path, key: str, rows: int) -> dict:
    """Land → unzip → transform → load → merge → reconcile: the path every batch zip takes."""
    log = reporting.batch_logger(batch_id)
    log.info("landing %s rows as %s", rows, key)
    land_task(rt, batch_id, zip_path, key, rows)
    raw_key = unzip_task(rt, batch_id, key, rows)
    transformed = transform_task(rt, batch_id, raw_key)
    log.info("transform: %s in, %s out, %s rejected", transformed["rows_in"], transformed["rows_out"],
             transformed["rows_rejected"])
    load_task(rt, batch_id)
    merged = merge_task(rt, batch_id)
    reconciled = reconcile_task(rt, batch_id, rows)
    log.info("merged %s new versions; reconciled: %s", merged.get("new_versions"), reconciled)
    return {"transform": transformed, "merge": merged, "reconcile": reconciled}


def _carry_publishing(rt: Runtime, batch_id: str, zip_path: Path, key: str, rows: int) -> dict:
    """``carry_batch``, and the artifacts of how far the batch got if it fails (the hooks alert)."""
    try:
        return carry_batch(rt, batch_id, zip_path, key, rows)
    except Exception:
        reporting.publish_artifacts_safely(rt, batch_id, key)
        raise


FLOW_STAGES = Stages(extract=extract_task, package=package_task, carry=_carry_publishing)


def _start(settings: Settings) -> tuple[Runtime, dict]:
    """Build the runtime and record what the hooks need if the run fails or completes."""
    ctx = reporting.context()
    ctx.update(home=str(settings.home_dir), source=None, batch_id=None, alert_on_success=settings.success_alerts)
    rt = build_runtime(settings)
    ctx["alert"] = rt.alert
    return rt, ctx


def _finish(rt: Runtime, ctx: dict, result: dict, key: str | None) -> dict:
    report = reporting.publish_artifacts_safely(rt, result["batch_id"], key)  # the batch is committed by now
    result["report"] = str(report) if report else None
    ctx["summary"] = {"batch_id": result["batch_id"], "source": result.get("source"),
                      **{k: result["reconcile"][k] for k in ("extracted", "loaded", "rejected")},
                      "new_versions": result["merge"].get("new_versions")}
    return result


def _run_source(rt: Runtime, ctx: dict, settings: Settings, source: Source, full_refresh: bool,
                advance_watermark: bool) -> dict:
    """``moviepipe.source_run.run_source`` with Prefect tasks, batch logs and artifacts around it."""
    ctx["source"] = source.name

    def planned(batch) -> None:
        reporting.publish_source_answers_safely(batch)
        if not batch.is_empty:
            ctx["batch_id"] = batch.batch_id
            reporting.batch_logger(batch.batch_id).info("planned %s rows of %s (watermark %s → %s)",
                                                        batch.expected_rows, batch.source_name, batch.low, batch.high)

    run = run_source(rt, source, full_refresh, settings.source_lock_wait, stages=FLOW_STAGES,
                     on_planned=planned, advance_watermark=advance_watermark)
    batch = run.batch
    if run.result is None:
        return _nothing_new(batch)
    status = "loaded"
    if getattr(batch, "quota_exhausted", False):  # OMDb: the day's quota ran out mid-fetch
        status = "partial"
        reporting.batch_logger(batch.batch_id).warning("%s", batch.quota_error())
    return _finish(rt, ctx, {"status": status, "batch_id": batch.batch_id, "source": batch.source_name,
                             "watermark": {"low": batch.low, "high": batch.high}, **run.result,
                             **({"source_detail": batch.report()} if hasattr(batch, "report") else {}),
                             "ledger": rt.ledger.rows(batch.batch_id), "home": str(settings.home_dir)}, run.key)


def _nothing_new(batch) -> dict:
    detail = {"source_detail": batch.report()} if hasattr(batch, "report") else {}  # OMDb: where the ids stand
    if getattr(batch, "quota_exhausted", False):
        # Not retried by Prefect within seconds: the quota comes back tomorrow; the next run resumes.
        return {"status": "quota_exhausted", "source": batch.source_name, "message": str(batch.quota_error()),
                **detail}
    return {"status": "unchanged", "source": batch.source_name, "watermark": batch.low, **detail}


@flow(name="moviepipe-run", on_failure=[reporting.on_failure], on_crashed=[reporting.on_failure],
      on_completion=[reporting.on_completion])
def run_flow(source: str | None = None, engine: str | None = None, full_refresh: bool = False,
             home: str | None = None, mapping: str | None = None) -> dict:
    """Extract new rows from the source (a SQL database, or ``omdb``) and carry them into the warehouse."""
    settings = load_settings(source=source, engine=engine, home=home, mapping=mapping)
    rt, ctx = _start(settings)
    try:
        opened = open_source(settings, current_ids=lambda: _current_ids(rt))
        return _run_source(rt, ctx, settings, opened, full_refresh, True)
    finally:
        rt.close()


@flow(name="moviepipe-backfill", on_failure=[reporting.on_failure], on_crashed=[reporting.on_failure],
      on_completion=[reporting.on_completion])
def backfill_flow(window_from: str, window_to: str, source: str | None = None, engine: str | None = None,
                  home: str | None = None, mapping: str | None = None) -> dict:
    """Re-extract the rows whose watermark is in [window_from, window_to] as one batch; the watermark stays.

    The backfill is its own batch (its id derives from the window, so it never collides with an
    incremental batch); unchanged rows are no-ops in the merge, changed ones become new versions.
    """
    settings = load_settings(source=source, engine=engine, home=home, mapping=mapping)
    rt, ctx = _start(settings)
    try:
        opened = open_source(settings, window=(window_from, window_to))
        return _run_source(rt, ctx, settings, opened, False, False)
    finally:
        rt.close()


def _current_ids(rt: Runtime) -> list[str]:
    """The warehouse's current, not deleted movies: what an OMDb refresh re-fetches."""
    getattr(rt, "snowflake", None)  # the local runtime builds its warehouse on first use
    rows = rt.warehouse.query("SELECT IMDB_ID FROM ANALYTICS.DIM_MOVIE WHERE IS_CURRENT AND NOT IS_DELETED")
    return [row["IMDB_ID"] for row in rows]


@flow(name="moviepipe-ingest", on_failure=[reporting.on_failure], on_crashed=[reporting.on_failure],
      on_completion=[reporting.on_completion])
def ingest_flow(zip_path: str, engine: str | None = None, home: str | None = None) -> dict:
    """Carry a batch zip produced elsewhere (following the manifest contract) into the warehouse."""
    settings = load_settings(engine=engine, home=home)
    rt, ctx = _start(settings)
    path = Path(zip_path)
    try:
        if not path.is_file():
            raise MoviepipeError(f"no such batch zip: {path}")
        try:
            manifest = read_manifest_from_zip(path)
            batch_id, rows = manifest["batch_id"], manifest["row_count"]
        except Exception:
            # Not readable as a batch: land it anyway so the unzip stage quarantines it with its reason.
            batch_id, rows = f"ingest-{sha256_file(path)[:12]}", 0
        ctx.update(batch_id=batch_id, source=f"ingest:{path.name}")
        key = f"incoming/ingest/{pipeline.slug(path.stem)}.zip"
        with source_lock(f"ingest|{key}", f"ingest {path.stem}", settings.source_lock_wait, runtime=rt):
            try:
                result = carry_batch(rt, batch_id, path, key, rows)
            except Exception:
                reporting.publish_artifacts_safely(rt, batch_id, key)
                raise
        return _finish(rt, ctx, {"status": "loaded", "batch_id": batch_id, "source": f"ingest:{path.name}",
                                 **result, "ledger": rt.ledger.rows(batch_id), "home": str(settings.home_dir)}, key)
    finally:
        rt.close()
