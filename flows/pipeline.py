"""Prefect flows: each stage a task with retries, each run visible in the Prefect UI.

The flows are thin: the work is in ``moviepipe.pipeline``; the environment
comes from ``moviepipe.runtime.build_runtime``. Retries apply to errors that
can pass (I/O, a locked file, a network blip); a bad source or a rejected
zip fails at once, because trying again cannot help.
"""

from __future__ import annotations

import re
from pathlib import Path

from prefect import flow, task
from prefect.cache_policies import NONE

from moviepipe import pipeline
from moviepipe.contract import sha256_file
from moviepipe.errors import MoviepipeError
from moviepipe.packaging import read_manifest_from_zip
from moviepipe.runtime import Runtime, build_runtime
from moviepipe.settings import load_settings
from moviepipe.sources.sql import SqlSource


def retry_if_transient(task, task_run, state) -> bool:
    """Prefect retry condition: our own errors say whether they are retryable."""
    try:
        state.result()
    except MoviepipeError as error:
        return error.retryable
    except Exception:
        return True
    return False


def _task(name: str, retries: int = 2, timeout: float = 3600):
    return task(name=name, retries=retries, retry_delay_seconds=[2, 10, 30][:retries] or 0,
                retry_condition_fn=retry_if_transient, cache_policy=NONE, timeout_seconds=timeout)


extract_task = _task("extract")(pipeline.extract)
package_task = _task("package")(pipeline.package)
land_task = _task("land")(pipeline.land)
unzip_task = _task("unzip")(pipeline.unzip)
transform_task = _task("transform", retries=1)(pipeline.transform)
load_task = _task("load")(pipeline.load)
merge_task = _task("merge")(pipeline.merge)
reconcile_task = _task("reconcile", retries=0)(pipeline.reconcile)


def carry_batch(rt: Runtime, batch_id: str, zip_path: Path, key: str, rows: int) -> dict:
    """Land → unzip → transform → load → merge → reconcile: the path every batch zip takes."""
    land_task(rt, batch_id, zip_path, key, rows)
    raw_key = unzip_task(rt, batch_id, key, rows)
    transformed = transform_task(rt, batch_id, raw_key)
    load_task(rt, batch_id)
    merged = merge_task(rt, batch_id)
    reconciled = reconcile_task(rt, batch_id, rows)
    return {"transform": transformed, "merge": merged, "reconcile": reconciled}


def _fail(rt: Runtime, flow_name: str, error: Exception, batch_id: str | None) -> None:
    rt.alert(f"moviepipe {flow_name} failed at {getattr(error, 'stage', 'pipeline')}", {
        "flow": flow_name, "batch_id": batch_id, "stage": getattr(error, "stage", "pipeline"),
        "error": str(error).splitlines()[0] if str(error) else type(error).__name__,
        "home": str(rt.settings.home_dir)})


@flow(name="moviepipe-run")
def run_flow(source: str | None = None, engine: str | None = None, full_refresh: bool = False,
             home: str | None = None) -> dict:
    """Extract new rows from a SQL source and carry them into the warehouse as one batch."""
    settings = load_settings(source=source, engine=engine, home=home)
    rt = build_runtime(settings)
    batch_id = None
    try:
        sql_source = SqlSource(settings.source or None, chunk_rows=settings.chunk_rows)
        try:
            batch = pipeline.plan(rt, sql_source, full_refresh)
            if batch.is_empty:
                return {"status": "unchanged", "source": batch.source_name, "watermark": batch.low}
            batch_id = batch.batch_id
            raw = extract_task(rt, sql_source, batch)
        finally:
            sql_source.close()
        zip_path = package_task(rt, batch, raw)
        key = pipeline.landing_key(_slug(batch.source_name), batch_id)
        result = carry_batch(rt, batch_id, zip_path, key, raw.rows)
        rt.watermarks.advance(sql_source.source_key, batch.high, batch_id)
        return {"status": "loaded", "batch_id": batch_id, "source": batch.source_name,
                "watermark": {"low": batch.low, "high": batch.high}, **result,
                "ledger": rt.ledger.rows(batch_id), "home": str(settings.home_dir)}
    except Exception as error:
        _fail(rt, "run", error, batch_id)
        raise
    finally:
        rt.close()


@flow(name="moviepipe-ingest")
def ingest_flow(zip_path: str, engine: str | None = None, home: str | None = None) -> dict:
    """Carry a batch zip produced elsewhere (following the manifest contract) into the warehouse."""
    settings = load_settings(engine=engine, home=home)
    rt = build_runtime(settings)
    path = Path(zip_path)
    batch_id = None
    try:
        if not path.is_file():
            raise MoviepipeError(f"no such batch zip: {path}")
        try:
            manifest = read_manifest_from_zip(path)
            batch_id, rows = manifest["batch_id"], manifest["row_count"]
        except Exception:
            # Not readable as a batch: land it anyway so the unzip stage quarantines it with its reason.
            batch_id, rows = f"ingest-{sha256_file(path)[:12]}", 0
        key = f"incoming/ingest/{_slug(path.stem)}.zip"
        result = carry_batch(rt, batch_id, path, key, rows)
        return {"status": "loaded", "batch_id": batch_id, **result, "ledger": rt.ledger.rows(batch_id),
                "home": str(settings.home_dir)}
    except Exception as error:
        _fail(rt, "ingest", error, batch_id)
        raise
    finally:
        rt.close()


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-")[:80] or "source"
