"""Side-by-side benchmark: moviepipe, dlt and a bare-DuckDB floor on the same source, in one invocation.

    .venv/bin/pip install -e '.[bench]'
    .venv/bin/python bench/peer_bench.py [--sizes 100000 1000000] [--repeats 3] [--changes 1] \\
        [--engine duckdb|spark] [--tools moviepipe dlt floor] [--out bench/results] [--seed 0]

For each size: generate N films (``moviepipe generate``) into one SQLite file, then for each tool
(each run in its own process, ``bench/peers.py``, so its peak memory is its own):

- **initial**: a full load from empty state (repeated from empty state, ``--repeats`` times, when a
  run takes under a minute; the last repetition's state is kept);
- **incremental**: ``--changes``% of the films are changed in the source, then every tool loads
  them (``--repeats`` rounds, each with fresh changes, while the runs take under a minute);
- **nochange**: every tool runs again with nothing new (``--repeats`` times).

Medians are reported, with the ratios moviepipe/dlt and moviepipe/floor, the peak resident memory
of each run's whole process tree (psutil, every 50 ms), moviepipe's seconds per stage, and the
machine's load average (``uptime``: the machine may be shared). The pipeline runs its stage
functions in-process (``bench/inprocess.py``): Prefect's start-up is not in the figures; each
process's start (imports included) is reported separately as ``process_seconds``.
Writes ``peer_bench.json`` and ``peer_bench.png`` in ``--out``; ``bench/readme_table.py`` turns the
JSON into the README's table. Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "CRITICAL")

import psutil
from rich.console import Console

import moviepipe.generate as synthetic
from bench.peer_report import print_tables, write_chart
from bench.peers import RUNS, TOOLS
from bench.rss import run_watched

WORKER = Path(__file__).with_name("peers.py")
#: A run at least this long is not repeated (medians of 3 only where a run is under a minute).
REPEAT_UNDER_SECONDS = 60.0
console = Console(width=max(Console().width, 140))


class BenchError(RuntimeError):
    """A tool's run failed: the benchmark stops and says which, with the tool's own output."""


def run_tool(tool: str, run: str, source: Path, state: Path, engine: str) -> dict:
    """One run of one tool in its own process; its figures plus peak RSS and process wall time."""
    result = state.parent / f"{state.name}-{run}.json"
    result.unlink(missing_ok=True)
    command = [sys.executable, str(WORKER), tool, run, "--source", str(source), "--state", str(state),
               "--result", str(result), "--engine", engine]
    log = state.parent / f"{state.name}-{run}.log"
    with open(log, "w") as output:
        code, peak, wall = run_watched(command, stdout=output, stderr=subprocess.STDOUT)
    if code != 0 or not result.is_file():
        tail = log.read_text()[-3000:]
        raise BenchError(f"{tool} {run} failed (exit {code}); its output ends:\n{tail}")
    figures = json.loads(result.read_text())
    figures.update(peak_rss=peak, process_seconds=wall)
    return figures


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def summarise(runs: list[dict]) -> dict:
    """Medians of a tool's repeated runs (seconds, per stage), the highest peak RSS, every run kept."""
    summary = {"seconds": statistics.median(r["seconds"] for r in runs),
               "process_seconds": statistics.median(r["process_seconds"] for r in runs),
               "peak_rss": max(r["peak_rss"] for r in runs), "rows": runs[-1].get("rows"), "repeats": len(runs),
               "runs": runs}
    if all("stages" in r for r in runs):
        names = [name for name in runs[-1]["stages"] if all(name in r["stages"] for r in runs)]
        summary["stages"] = {name: statistics.median(r["stages"][name] for r in runs) for name in names}
    return summary


def ratios(by_tool: dict) -> dict:
    """moviepipe's median over each peer's (None when a tool did not run or took no time)."""
    ours = by_tool.get("moviepipe", {}).get("seconds")
    return {f"moviepipe/{peer}": (round(ours / by_tool[peer]["seconds"], 2)
                                  if ours is not None and by_tool.get(peer, {}).get("seconds") else None)
            for peer in ("dlt", "floor")}


def bench_size(rows: int, args, work: Path) -> dict:
    folder = work / str(rows)
    folder.mkdir(parents=True)
    source = folder / "source.db"
    load_before = load_average()
    generated = synthetic.generate(f"sqlite:///{source}", rows, args.seed)
    console.print(f"[bold]{rows:,} films[/]: generated in {generated.seconds:.1f} s "
                  f"({source.stat().st_size / 2**20:,.0f} MB), load average {load_before}")
    raw: dict[str, dict[str, list[dict]]] = {run: {tool: [] for tool in args.tools} for run in RUNS}
    state = {tool: folder / tool for tool in args.tools}

    def once(tool: str, run: str) -> dict:
        figures = run_tool(tool, run, source, state[tool], args.engine)
        raw[run][tool].append(figures)
        console.print(f"  {run:<11} {tool:<9} {figures['seconds']:8.2f} s  {figures['peak_rss'] / 2**20:7,.0f} MB  "
                      f"rows {figures.get('rows')}")
        return figures

    for tool in args.tools:  # initial: from empty state each time
        for _ in range(args.repeats):
            shutil.rmtree(state[tool], ignore_errors=True)
            if once(tool, "initial")["seconds"] >= REPEAT_UNDER_SECONDS:
                break
    changes = []
    for round_ in range(args.repeats):  # incremental: fresh changes each round, every tool loads them
        change = synthetic.apply_changes(f"sqlite:///{source}", args.changes, args.seed + 1 + round_)
        changes.append({"changed": change.changed, "deleted": change.deleted, "at": change.at})
        slowest = max(once(tool, "incremental")["seconds"] for tool in args.tools)
        if slowest >= REPEAT_UNDER_SECONDS:
            break
    for _ in range(args.repeats):
        slowest = max(once(tool, "nochange")["seconds"] for tool in args.tools)
        if slowest >= REPEAT_UNDER_SECONDS:
            break
    result = {"rows": rows, "generate_seconds": generated.seconds, "source_bytes": source.stat().st_size,
              "changes": changes, "load_average": {"before": load_before, "after": load_average()}}
    for run in RUNS:
        by_tool = {tool: summarise(raw[run][tool]) for tool in args.tools if raw[run][tool]}
        result[run] = {"tools": by_tool, "ratios": ratios(by_tool)}
    if not args.keep:
        shutil.rmtree(folder, ignore_errors=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000], help="films per size")
    parser.add_argument("--repeats", type=int, default=3, help="runs per measurement while a run is under a minute")
    parser.add_argument("--changes", type=float, default=1.0, help="percent of films changed per incremental")
    parser.add_argument("--engine", default="duckdb", choices=["duckdb", "spark"], help="moviepipe's Glue engine")
    parser.add_argument("--tools", nargs="+", default=list(TOOLS), choices=TOOLS)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("results"))
    parser.add_argument("--keep", action="store_true", help="keep the sources and every tool's state")
    args = parser.parse_args()
    if args.repeats < 1:
        parser.error("--repeats must be 1 or more")
    args.out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="moviepipe-peer-"))
    figures = {"command": " ".join(["python", "bench/peer_bench.py", *sys.argv[1:]]),
               "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
               "engine": args.engine, "changes_percent": args.changes, "repeats": args.repeats,
               "tools": args.tools, "versions": _versions(),
               "machine": {"cpus": os.cpu_count(), "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
                           "python": platform.python_version(), "uptime": _uptime()},
               "sizes": {}}
    console.print(f"peer bench: sizes {args.sizes}, repeats {args.repeats}, work folder {work}")
    started = time.perf_counter()
    for rows in args.sizes:
        figures["sizes"][str(rows)] = bench_size(rows, args, work)
    figures["seconds"] = time.perf_counter() - started
    figures["machine"]["uptime_after"] = _uptime()
    print_tables(figures, console)
    path = args.out / "peer_bench.json"
    path.write_text(json.dumps(figures, indent=2, default=str))
    console.print(f"figures: {path}")
    console.print(write_chart(figures, args.out / "peer_bench.png"))
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)


def _uptime() -> str:
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return f"load average {load_average()}"


def _versions() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    found = {}
    for name in ("moviepipe", "dlt", "duckdb", "sqlframe", "fakesnow", "pyarrow"):
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = None
    return found


if __name__ == "__main__":
    main()
