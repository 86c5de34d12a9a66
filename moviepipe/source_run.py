"""One whole run of a source, in the order every runner uses: the Prefect flow and the plain runner.

Under the source's lock: plan → (misses recorded) → extract → package → land → unzip → transform
→ load → merge → reconcile → commit. The stage functions are ``moviepipe.pipeline``'s;
:class:`Stages` says how each one is called, so ``flows.pipeline`` passes the same functions
wrapped as Prefect tasks (retries, time limits, the UI) and the crash matrix
(``tests/reliability``), which kills and reruns a run dozens of times in a few minutes, and
scripts call them directly. One order, written once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from moviepipe import pipeline
from moviepipe.runtime import Runtime


def carry(rt: Runtime, batch_id: str, zip_path: Path, key: str, rows: int) -> dict:
    """Land → unzip → transform → load → merge → reconcile: the path every batch zip takes."""
    pipeline.land(rt, batch_id, zip_path, key, rows)
    raw_key = pipeline.unzip(rt, batch_id, key, rows)
    transformed = pipeline.transform(rt, batch_id, raw_key)
    pipeline.load(rt, batch_id)
    merged = pipeline.merge(rt, batch_id)
    reconciled = pipeline.reconcile(rt, batch_id, rows)
    return {"transform": transformed, "merge": merged, "reconcile": reconciled}


@dataclass(frozen=True)
class Stages:
    """How a run calls its stages: directly by default; the flow passes Prefect tasks."""

    extract: Callable = pipeline.extract
    package: Callable = pipeline.package
    carry: Callable = carry


@dataclass
class SourceRun:
    """What one run did: its plan, and (unless nothing was new) where it landed and what it carried."""

    batch: object
    key: str | None = None
    result: dict | None = None

    @property
    def status(self) -> str:
        return "unchanged" if self.result is None else "loaded"


def run_source(rt: Runtime, source, full_refresh: bool = False, lock_wait: float | None = None, *,
               stages: Stages = Stages(), on_planned: Callable[[object], None] | None = None,
               advance_watermark: bool = True) -> SourceRun:
    """Run ``source`` once under its lock; ``advance_watermark=False`` for a backfill (its own window)."""
    from flows.locks import source_lock

    wait = rt.settings.source_lock_wait if lock_wait is None else lock_wait
    lock_key = getattr(source, "base_source_key", source.source_key)
    with source_lock(lock_key, source.name, wait, runtime=rt):
        try:
            batch = pipeline.plan(rt, source, full_refresh)
            pipeline.record_source_misses(rt, batch)
            if on_planned is not None:
                on_planned(batch)
            if batch.is_empty:
                return SourceRun(batch)
            raw = stages.extract(rt, source, batch)
        finally:
            source.close()
        zip_path = stages.package(rt, batch, raw, source.kind)
        key = pipeline.landing_key(batch.source_name, batch.batch_id)
        result = stages.carry(rt, batch.batch_id, zip_path, key, raw.rows)
        if advance_watermark:
            pipeline.commit(rt, source, batch)
    return SourceRun(batch, key, result)
