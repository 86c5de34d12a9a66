"""One run of one tool on a source, in its own process: what ``bench/peer_bench.py`` starts.

    .venv/bin/python bench/peers.py TOOL RUN --source FILE --state DIR --result FILE.json [--engine duckdb]

TOOL is ``moviepipe``, ``dlt`` or ``floor``; RUN is ``initial``, ``incremental`` or
``nochange`` (the tool's state from earlier runs lives in ``--state``). Each run is its
own process so that its peak memory is its own (the parent samples the whole tree of
this process, a Spark JVM included) and nothing one tool leaves in memory or in the
page cache of Python objects flatters or burdens the next. The figures written to
``--result``: ``seconds`` (the run itself, imports excluded), ``rows`` and, for
moviepipe, seconds per stage.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "CRITICAL")

TOOLS = ("moviepipe", "dlt", "floor")
RUNS = ("initial", "incremental", "nochange")


class _NoSampler:
    """The stage clock's sampler when the parent measures memory: phases cost nothing."""

    def __init__(self):
        self.peaks: dict = defaultdict(int)

    def begin(self, name: str) -> None:
        pass

    def end(self) -> int:
        return 0

    def phase(self, name: str):
        from contextlib import nullcontext

        return nullcontext()


def run_moviepipe(source: Path, state: Path, run: str, engine: str) -> dict:
    """The pipeline's stage functions in order (``bench/inprocess.py``), without Prefect."""
    from bench.inprocess import run_pipeline

    result = run_pipeline(f"sqlite:///{source}", str(state / "home"), engine, _NoSampler())
    return {"seconds": result["seconds"], "rows": result["rows"], "status": result["status"],
            "stages": {name: round(stage["seconds"], 4) for name, stage in result["stages"].items()},
            "merge": result.get("merge")}


def run_dlt(source: Path, state: Path, run: str) -> dict:
    """dlt's ``sql_database`` tables, pyarrow backend, into DuckDB: omdb as SCD2, tomatoes merged.

    Both are incremental on ``lastUpdated``. The SCD2 resource has a ``merge_key``: without one
    dlt's SCD2 retires every current row that is absent from an incremental load (a full-load
    semantics), which would be wrong here and is not what moviepipe does."""
    # SCD2 needs a row id on every row; dlt adds it to Arrow tables only when told to.
    os.environ["NORMALIZE__PARQUET_NORMALIZER__ADD_DLT_ID"] = "true"
    import dlt
    from dlt.sources.sql_database import sql_table

    started = time.perf_counter()
    url = f"sqlite:///{source}"
    pipeline = dlt.pipeline(pipeline_name="peer", pipelines_dir=str(state / "pipelines"),
                            destination=dlt.destinations.duckdb(str(state / "peer.duckdb")), dataset_name="movies")
    omdb = sql_table(credentials=url, table="omdb", backend="pyarrow", chunk_size=100_000,
                     incremental=dlt.sources.incremental("lastUpdated"))
    omdb.apply_hints(write_disposition={"disposition": "merge", "strategy": "scd2"}, merge_key="ID")
    tomatoes = sql_table(credentials=url, table="tomatoes", backend="pyarrow", chunk_size=100_000,
                         incremental=dlt.sources.incremental("lastUpdated"))
    tomatoes.apply_hints(write_disposition="merge", primary_key="ID")
    pipeline.run([omdb, tomatoes])
    counts = pipeline.last_trace.last_normalize_info.row_counts if pipeline.last_trace.last_normalize_info else {}
    return {"seconds": time.perf_counter() - started, "rows": int(counts.get("omdb", 0)),
            "rows_by_table": {k: int(v) for k, v in counts.items() if not k.startswith("_dlt")}}


def run_floor(source: Path, state: Path, run: str) -> dict:
    """The bare-DuckDB floor (``bench/floor.py``); its watermark is kept in the state folder."""
    from bench import floor

    mark = state / "watermark.json"
    started = time.perf_counter()
    if run == "initial":
        result = floor.initial(source, state, _NoSampler())
    else:
        result = floor.incremental(source, state, json.loads(mark.read_text()), _NoSampler())
    seconds = time.perf_counter() - started
    mark.write_text(json.dumps(floor.watermark(state)))
    return {"seconds": seconds, "rows": result["rows"],
            "stages": {name: round(stage["seconds"], 4) for name, stage in result["stages"].items()}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("tool", choices=TOOLS)
    parser.add_argument("run", choices=RUNS)
    parser.add_argument("--source", type=Path, required=True)
    parser.add_argument("--state", type=Path, required=True)
    parser.add_argument("--result", type=Path, required=True)
    parser.add_argument("--engine", default="duckdb", choices=["duckdb", "spark"])
    args = parser.parse_args()
    args.state.mkdir(parents=True, exist_ok=True)
    if args.tool == "moviepipe":
        figures = run_moviepipe(args.source, args.state, args.run, args.engine)
    elif args.tool == "dlt":
        figures = run_dlt(args.source, args.state, args.run)
    else:
        figures = run_floor(args.source, args.state, args.run)
    args.result.write_text(json.dumps(figures, default=str))


if __name__ == "__main__":
    main()
