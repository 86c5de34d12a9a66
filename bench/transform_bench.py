"""The Glue transform alone on the local engine (sqlframe over DuckDB): seconds per batch size.

    .venv/bin/python bench/transform_bench.py [--rows 10000 100000] [--repeat 3] [--profile out.prof]

Generates a synthetic source (``moviepipe.generate``) per size, writes it as the raw CSV the
extractor writes (the glue tests' column order), then times ``run_batch`` on one DuckDB session
(the first run of a size is included; the median of ``--repeat`` runs is printed). With
``--profile`` the last run of the smallest size is profiled with cProfile and the top entries
by cumulative time are printed. Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import pstats
import resource
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "glue"))
sys.path.insert(0, str(ROOT / "tests" / "glue"))

from glue_testlib import DEFAULT_SQL
from movies_engine import make_session, stop_session
from movies_transform import run_batch

import moviepipe.generate as synthetic
from moviepipe.contract import EXTRA_COLUMNS, RAW_COLUMNS


def raw_csv(folder: Path, rows: int) -> Path:
    db = folder / f"source_{rows}.db"
    synthetic.generate(f"sqlite:///{db}", rows, seed=0)
    out = folder / f"raw_{rows}" / "movies.csv"
    out.parent.mkdir()
    connection = sqlite3.connect(db)
    try:
        with open(out, "w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(RAW_COLUMNS + EXTRA_COLUMNS)
            writer.writerows(connection.execute(DEFAULT_SQL))
    finally:
        connection.close()
    db.unlink()
    return out


def _cpu_seconds() -> float:
    """User + system CPU of this process, DuckDB's threads included (steadier than wall time on a
    shared machine; wall time is the figure that counts)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--profile", help="write a cProfile of one run of the smallest size here")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="moviepipe-transform-bench-"))
    session = make_session("duckdb")
    try:
        for rows in sorted(args.rows):
            path = raw_csv(folder, rows)
            times, cpu = [], []
            for run in range(args.repeat):
                out = folder / f"out_{rows}_{run}"
                started, cpu_started = time.perf_counter(), _cpu_seconds()
                result = run_batch(session, str(path), str(out), f"bench_{rows}")
                times.append(time.perf_counter() - started)
                cpu.append(_cpu_seconds() - cpu_started)
            print(f"transform {rows:>9,} rows: median {statistics.median(times):6.2f} s wall, "
                  f"{statistics.median(cpu):6.2f} s CPU (wall runs {', '.join(f'{t:.2f}' for t in times)}; "
                  f"out {result['rows_out']:,}, rejected {result['rows_rejected']:,})", flush=True)
            if args.profile and rows == min(args.rows):
                profiler = cProfile.Profile()
                profiler.enable()
                run_batch(session, str(path), str(folder / f"out_{rows}_profile"), f"bench_{rows}")
                profiler.disable()
                profiler.dump_stats(args.profile)
                pstats.Stats(profiler).sort_stats("cumulative").print_stats(35)
    finally:
        stop_session(session)


if __name__ == "__main__":
    main()
