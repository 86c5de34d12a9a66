"""Scale benchmark: N synthetic films through the whole local pipeline, against a bare-DuckDB floor.

    .venv/bin/python bench/scale_bench.py --rows 1000000 [--changes 1] [--delete 0] \\
        [--engine duckdb|spark] [--seed 0] [--out DIR] [--keep]

In one process: generate N films (``moviepipe generate``), run the floor's initial
load, run the pipeline's initial load, change ``--changes``% of the films, run the
floor's and the pipeline's incremental loads. Each stage: seconds, films per second
and the peak resident memory of the whole process tree (sampled with psutil every
50 ms, so a Spark JVM counts). The pipeline runs in-process, stage by stage
(``bench/inprocess.py``), so no measurement pays Prefect's temporary server start.
Figures are printed and written as JSON (and a PNG with matplotlib) in ``--out``
(default: the run's temporary folder); never asserted anywhere.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "CRITICAL")

import psutil  # noqa: E402
from rich.console import Console  # noqa: E402

import moviepipe.generate as synthetic  # noqa: E402
from bench import floor  # noqa: E402
from bench.inprocess import run_pipeline  # noqa: E402
from bench.report import print_table, write_chart, write_json  # noqa: E402
from bench.rss import RssSampler  # noqa: E402

console = Console(width=max(Console().width, 132))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000, help="films to generate (default 100,000)")
    parser.add_argument("--changes", type=float, default=1.0, help="percent of films changed before the incremental")
    parser.add_argument("--delete", type=float, default=0.0, help="percent of films deleted before the incremental")
    parser.add_argument("--engine", default="duckdb", choices=["duckdb", "spark"])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=None, help="folder for the JSON and PNG (default: the run folder)")
    parser.add_argument("--keep", action="store_true", help="keep the source database and MOVIEPIPE_HOME")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix=f"moviepipe-scale-{args.rows}-"))
    out = args.out or work
    out.mkdir(parents=True, exist_ok=True)
    source = work / "source.db"
    url = f"sqlite:///{source}"
    home = work / "home"
    figures = {"rows": args.rows, "engine": args.engine, "seed": args.seed, "folder": str(work),
               "machine": {"cpus": os.cpu_count(), "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
                           "python": platform.python_version()},
               "pipeline_mode": "in-process stage functions (bench/inprocess.py), no Prefect"}
    console.print(f"scale bench: {args.rows:,} films, engine {args.engine}, folder {work}")

    with RssSampler() as sampler:
        with sampler.phase("generate"):
            generated = synthetic.generate(url, args.rows, args.seed)
        figures["generate"] = {"seconds": generated.seconds, "rows": generated.rows, "writer": generated.writer,
                               "bytes": source.stat().st_size, "peak_rss": sampler.peaks["generate"]}
        console.print(f"generated in {generated.seconds:.1f} s ({generated.rows_per_second:,.0f} rows/s, "
                      f"{source.stat().st_size / 2**20:,.0f} MB)")

        figures["floor"] = {"initial": floor.initial(source, work / "floor", sampler)}
        console.print(f"floor initial: {_total(figures['floor']['initial']):.1f} s")
        figures["initial"] = _pipeline(url, home, args.engine, sampler, "initial")

        started = time.perf_counter()
        change = synthetic.apply_changes(url, args.changes, args.seed + 1, args.delete)
        figures["changes"] = {"changed": change.changed, "deleted": change.deleted, "at": change.at,
                              "fields": change.fields, "seconds": time.perf_counter() - started}
        console.print(f"changed {change.changed:,} films, deleted {change.deleted:,} "
                      f"in {figures['changes']['seconds']:.1f} s")

        watermark = figures["floor"]["initial"]["watermark"]
        figures["floor"]["incremental"] = floor.incremental(source, work / "floor", watermark, sampler)
        figures["incremental"] = _pipeline(url, home, args.engine, sampler, "incremental")
    figures["peak_rss_overall"] = sampler.overall

    print_table(figures, console)
    json_path = out / f"scale_bench_{args.rows}.json"
    write_json(figures, json_path)
    console.print(f"figures: {json_path}")
    console.print(write_chart(figures, out / f"scale_bench_{args.rows}.png"))
    if not args.keep:
        shutil.rmtree(home, ignore_errors=True)
        shutil.rmtree(work / "floor", ignore_errors=True)
        source.unlink(missing_ok=True)


def _pipeline(url: str, home: Path, engine: str, sampler, label: str) -> dict:
    result = run_pipeline(url, str(home), engine, sampler)
    total = sum(stage["seconds"] for stage in result["stages"].values())
    console.print(f"pipeline {label}: {result['status']}, {result['rows']:,} films, {total:.1f} s in stages, "
                  f"{result['seconds']:.1f} s wall")
    return result


def _total(run: dict) -> float:
    return sum(stage["seconds"] for stage in run["stages"].values())


if __name__ == "__main__":
    main()
