"""Where ``moviepipe generate`` spends its time: drawing rows, and each SQLite writer.

    .venv/bin/python bench/generate_bench.py [--rows 500000]

Prints rows/s for: generating the Arrow chunks only; generate() through ADBC
(``adbc-driver-sqlite``, when installed); generate() through the standard
library's ``sqlite3.executemany``. Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import moviepipe.generate as synthetic  # noqa: E402
from moviepipe.generate import sinks  # noqa: E402
from moviepipe.generate.rows import chunk  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=500_000)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="moviepipe-generate-bench-"))

    started = time.perf_counter()
    for index, start in enumerate(range(0, args.rows, synthetic.CHUNK_ROWS)):
        chunk(0, index, start, min(synthetic.CHUNK_ROWS, args.rows - start))
    seconds = time.perf_counter() - started
    print(f"{'arrow chunks only':<28} {seconds:6.2f} s {args.rows / seconds:>12,.0f} rows/s")

    writers = [("adbc", sinks.adbc_sqlite)] if sinks.adbc_sqlite is not None else []
    writers.append(("sqlite3 executemany", None))
    original = sinks.adbc_sqlite
    try:
        for name, module in writers:
            sinks.adbc_sqlite = module
            target = folder / f"{name.split()[0]}.db"
            report = synthetic.generate(f"sqlite:///{target}", args.rows, seed=0)
            print(f"{'generate → ' + name:<28} {report.seconds:6.2f} s {report.rows_per_second:>12,.0f} rows/s "
                  f"({target.stat().st_size / 2**20:,.0f} MB)")
            target.unlink()
    finally:
        sinks.adbc_sqlite = original


if __name__ == "__main__":
    main()
