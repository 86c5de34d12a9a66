"""The local pipeline in-process, stage by stage, timed, without Prefect.

``flows.pipeline.run_flow`` starts Prefect's temporary server (11-20 s here) and wraps
every stage in a task; a benchmark of the stages themselves calls the same stage
functions of ``moviepipe.pipeline`` in the same order as the flow does (plan, extract,
package, land, unzip, transform, load, merge, reconcile, commit). Timings and rows
come from the stages' own ``moviepipe.progress`` events; peak memory per stage from
an ``RssSampler``.
"""

from __future__ import annotations

import time

from moviepipe import pipeline, progress
from moviepipe.runtime import build_runtime
from moviepipe.settings import load_settings
from moviepipe.sources.sql import SqlSource


class StageClock:
    """A ``moviepipe.progress`` listener: seconds, rows and peak RSS per stage."""

    def __init__(self, sampler):
        self.sampler = sampler
        self.stages: dict[str, dict] = {}

    def started(self, stage: str, batch_id: str) -> None:
        self.sampler.begin(stage)

    def finished(self, stage: str, rows, seconds: float, where: str) -> None:
        peak = self.sampler.end()
        self.stages[stage] = {"seconds": seconds, "rows_out": rows, "peak_rss": peak}

    def failed(self, stage: str, error: str) -> None:
        self.sampler.end()


def run_pipeline(url: str, home: str, engine: str, sampler) -> dict:
    """One run of the pipeline on ``url``: {"status", "rows", "stages": {stage: figures}, "seconds"}."""
    settings = load_settings(source=url, engine=engine, home=home)
    clock = StageClock(sampler)
    progress.subscribe(clock)
    started = time.perf_counter()
    rt = build_runtime(settings)
    try:
        source = SqlSource(url, chunk_rows=settings.chunk_rows)
        plan_started = time.perf_counter()
        with sampler.phase("plan"):
            batch = pipeline.plan(rt, source)
        clock.stages["plan"] = {"seconds": time.perf_counter() - plan_started, "rows_out": batch.expected_rows,
                                "peak_rss": sampler.peaks.get("plan", 0)}
        if batch.is_empty:
            source.close()
            return {"status": "unchanged", "rows": 0, "stages": clock.stages,
                    "seconds": time.perf_counter() - started}
        try:
            raw = pipeline.extract(rt, source, batch)
        finally:
            source.close()
        zip_path = pipeline.package(rt, batch, raw)
        key = pipeline.landing_key(batch.source_name, batch.batch_id)
        pipeline.land(rt, batch.batch_id, zip_path, key, raw.rows)
        raw_key = pipeline.unzip(rt, batch.batch_id, key, raw.rows)
        transformed = pipeline.transform(rt, batch.batch_id, raw_key)
        pipeline.load(rt, batch.batch_id)
        merged = pipeline.merge(rt, batch.batch_id)
        reconciled = pipeline.reconcile(rt, batch.batch_id, raw.rows)
        pipeline.commit(rt, source, batch)
        return {"status": "loaded", "rows": raw.rows, "stages": clock.stages, "merge": merged,
                "reconcile": reconciled, "rejected": transformed.get("rows_rejected"),
                "seconds": time.perf_counter() - started}
    finally:
        progress.unsubscribe(clock)
        rt.close()
