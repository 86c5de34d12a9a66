"""Benchmark: the whole local pipeline on a source, per stage: seconds, rows/s, peak memory.

    .venv/bin/python bench/pipeline_bench.py [--source URL] [--engine duckdb|spark]

Runs ``moviepipe run`` twice in a fresh MOVIEPIPE_HOME (an initial load, then an
unchanged re-run) and prints a table. Figures are printed, never asserted.
Peak memory is the resident set of this process and of its children (the Prefect
server, a Spark JVM), as the kernel reports them after the run.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--source", default=None, help="SQLAlchemy URL (default: bundled movies.db)")
    parser.add_argument("--engine", default="duckdb", choices=["duckdb", "spark"])
    args = parser.parse_args()

    home = Path(tempfile.mkdtemp(prefix="moviepipe-bench-"))
    os.environ.update({"MOVIEPIPE_HOME": str(home), "DO_NOT_TRACK": "1", "PREFECT_LOGGING_LEVEL": "CRITICAL",
                       "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "90"})
    from flows.pipeline import run_flow

    started = time.perf_counter()
    first = run_flow(source=args.source, engine=args.engine)
    first_seconds = time.perf_counter() - started
    started = time.perf_counter()
    second = run_flow(source=args.source, engine=args.engine)
    second_seconds = time.perf_counter() - started

    print(f"\nmoviepipe local pipeline · engine={args.engine} · home={home}")
    print(f"{'stage':<10} {'rows in':>10} {'rows out':>10} {'rejected':>9} {'seconds':>8} {'rows/s':>10}")
    for row in first["ledger"]:
        seconds = (row["ENDED_AT"] - row["STARTED_AT"]).total_seconds()
        rows = int(row["ROWS_IN"] or row["ROWS_OUT"] or 0)
        rate = f"{rows / seconds:,.0f}" if seconds > 0 and rows else ""
        print(f"{row['STAGE']:<10} {row['ROWS_IN'] or 0:>10,} {row['ROWS_OUT'] or 0:>10,} "
              f"{row['ROWS_REJECTED'] or 0:>9,} {seconds:>8.2f} {rate:>10}")
    self_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(f"initial run: {first_seconds:.1f} s wall (Prefect's temporary server start included)")
    print(f"unchanged re-run: {second_seconds:.1f} s wall, status={second['status']}")
    print(f"peak RSS: this process {self_kb / 1024:,.0f} MB; largest child {children_kb / 1024:,.0f} MB")


if __name__ == "__main__":
    main()
