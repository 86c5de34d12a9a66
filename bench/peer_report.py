"""``bench/peer_bench.py``'s figures as rich tables and a PNG chart.

The figures' shape (``peer_bench.json``)::

    {"command", "engine", "repeats", "tools", "versions", "machine": {"cpus", "uptime", ...},
     "sizes": {"<rows>": {"rows", "changes", "load_average",
                          "<run>": {"tools": {"<tool>": {"seconds", "peak_rss", "repeats", "stages"?, "runs"}},
                                    "ratios": {"moviepipe/dlt", "moviepipe/floor"}}}}}

with ``<run>`` one of ``initial``, ``incremental``, ``nochange`` (``bench.peers.RUNS``).
"""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table

from bench.peers import RUNS, TOOLS

MB = 1024 * 1024
RUN_LABELS = {"initial": "initial", "incremental": "incremental (1% changed)", "nochange": "no-change rerun"}


def seconds(figures: dict, size: str, run: str, tool: str) -> float | None:
    return figures["sizes"][size][run]["tools"].get(tool, {}).get("seconds")


def peak_mb(figures: dict, size: str, run: str, tool: str) -> float | None:
    peak = figures["sizes"][size][run]["tools"].get(tool, {}).get("peak_rss")
    return peak / MB if peak else None


def _s(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def _x(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}x"


def print_tables(figures: dict, console: Console | None = None) -> None:
    console = console or Console()
    tools = [t for t in TOOLS if t in figures["tools"]]
    table = Table(title=f"moviepipe vs dlt vs bare DuckDB · engine {figures['engine']} · "
                        f"{figures['machine']['cpus']} CPUs · medians of up to {figures['repeats']}")
    for column in ["films", "run", *(f"{t} s" for t in tools), "moviepipe/dlt", "moviepipe/floor",
                   *(f"{t} MB" for t in tools), "runs"]:
        table.add_column(column, justify="left" if column in ("films", "run") else "right")
    for size, by_size in figures["sizes"].items():
        for run in RUNS:
            tools_here = by_size[run]["tools"]
            table.add_row(f"{int(size):,}", RUN_LABELS[run], *(_s(seconds(figures, size, run, t)) for t in tools),
                          _x(by_size[run]["ratios"]["moviepipe/dlt"]), _x(by_size[run]["ratios"]["moviepipe/floor"]),
                          *(f"{peak_mb(figures, size, run, t) or 0:,.0f}" for t in tools),
                          "/".join(str(tools_here[t]["repeats"]) for t in tools if t in tools_here),
                          end_section=run == RUNS[-1])
    console.print(table)
    if "moviepipe" not in tools:
        return
    stages = Table(title="moviepipe seconds per stage (medians)")
    names = []
    for by_size in figures["sizes"].values():
        for run in RUNS:
            for name in by_size[run]["tools"]["moviepipe"].get("stages", {}):
                if name not in names:
                    names.append(name)
    for column in ["films", "run", *names]:
        stages.add_column(column, justify="left" if column in ("films", "run") else "right")
    for size, by_size in figures["sizes"].items():
        for run in RUNS:
            per_stage = by_size[run]["tools"]["moviepipe"].get("stages", {})
            stages.add_row(f"{int(size):,}", run, *(_s(per_stage.get(n)) for n in names))
    console.print(stages)
    console.print(f"machine: {figures['machine'].get('uptime')}")


def write_chart(figures: dict, path: Path) -> str:
    """One panel per size: seconds per run for each tool (log scale); says why when it cannot."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return "no chart: matplotlib is not installed (pip install -e '.[bench]')"
    sizes = list(figures["sizes"])
    tools = [t for t in TOOLS if t in figures["tools"]]
    fig, axes = plt.subplots(1, len(sizes), figsize=(6 * len(sizes), 4.5), squeeze=False)
    width = 0.8 / max(len(tools), 1)
    for ax, size in zip(axes[0], sizes):
        for index, tool in enumerate(tools):
            values = [seconds(figures, size, run, tool) or 0 for run in RUNS]
            positions = [p + (index - (len(tools) - 1) / 2) * width for p in range(len(RUNS))]
            bars = ax.bar(positions, values, width=width, label=tool)
            ax.bar_label(bars, labels=[f"{v:.1f}" for v in values], fontsize=7)
        ax.set_xticks(range(len(RUNS)), [RUN_LABELS[r] for r in RUNS], fontsize=8)
        ax.set_yscale("log")
        ax.set_ylabel("seconds (median, log scale)")
        ax.set_title(f"{int(size):,} films")
        ax.legend(fontsize=8)
    fig.suptitle(f"moviepipe (engine {figures['engine']}) vs dlt vs bare DuckDB, "
                 f"{figures['machine']['cpus']} CPUs")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return f"chart: {path}"
