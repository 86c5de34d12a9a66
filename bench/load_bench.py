"""The emulated load alone: every pipe over an existing archive folder, into a fresh local warehouse.

    .venv/bin/python bench/load_bench.py ARCHIVE_DIR [--code-root DIR]

Times ``LocalSnowflake.run_pipes`` twice: once loading every file (the initial load), once
with nothing new (what each later load pays for the archive's history). ``--code-root`` runs
another checkout's emulator (e.g. ``git archive main | tar -x -C /tmp/base``) for a
before/after on the same files and machine. An archive comes from any local run:
``$MOVIEPIPE_HOME/buckets/archive``. Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("archive", type=Path)
    parser.add_argument("--code-root", type=Path, default=Path(__file__).resolve().parents[1])
    args = parser.parse_args()
    sys.path.insert(0, str(args.code_root.resolve()))
    from moviepipe.objectstore import LocalObjectStore
    from moviepipe.warehouse.client import local_warehouse
    from moviepipe.warehouse.emulator import LocalSnowflake

    work = Path(tempfile.mkdtemp(prefix="moviepipe-load-bench-"))
    archive = LocalObjectStore(args.archive, "archive")
    wh = local_warehouse(work / "warehouse", "MOVIEPIPE", memory_limit="2GB")
    try:
        snow = LocalSnowflake(wh, {"database": "MOVIEPIPE", "warehouse": "W", "archive_url": archive.uri(),
                                   "stage_options": ""})
        snow.apply_sql_tree()
        started = time.perf_counter()
        runs = snow.run_pipes(archive)
        figures = {"code_root": str(args.code_root), "load_every_file_s": time.perf_counter() - started,
                   "rows": sum(run.rows_loaded for run in runs)}
        started = time.perf_counter()
        snow.run_pipes(archive)
        figures["load_nothing_new_s"] = time.perf_counter() - started
    finally:
        wh.close()
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
