"""Figures of a scale run as a rich table, a JSON file and (with matplotlib) a bar chart."""

from __future__ import annotations

import json
from pathlib import Path

from rich.console import Console
from rich.table import Table

#: Pipeline stages in order, and the floor phase each is compared with.
STAGES = ("plan", "extract", "package", "land", "unzip", "transform", "load", "merge", "reconcile")
FLOOR_PHASE = {"extract": "extract", "load": "load", "merge": "merge"}
MB = 1024 * 1024


def _rate(rows: int, seconds: float) -> str:
    return f"{rows / seconds:,.0f}" if rows and seconds > 0 else ""


def _mb(value: int | None) -> str:
    return f"{value / MB:,.0f}" if value else ""


def print_table(figures: dict, console: Console | None = None) -> None:
    console = console or Console()
    table = Table(title=f"moviepipe at {figures['rows']:,} films · engine {figures['engine']} · "
                        f"{figures['machine']['cpus']} CPUs · in-process stages (no Prefect server)")
    for column in ("run", "stage", "s", "films/s", "peak MB", "floor s", "floor films/s", "floor MB", "ours/floor"):
        table.add_column(column, justify="left" if column in ("run", "stage") else "right")
    gen = figures["generate"]
    table.add_row("setup", "generate", f"{gen['seconds']:.2f}", _rate(gen["rows"], gen["seconds"]),
                  _mb(gen["peak_rss"]), "", "", "", "")
    for run in ("initial", "incremental"):
        ours, floor = figures[run], figures["floor"][run]
        rows = ours["rows"]
        for stage in STAGES:
            if stage not in ours["stages"]:
                continue
            s = ours["stages"][stage]
            f = floor["stages"].get(FLOOR_PHASE.get(stage, ""), {})
            ratio = f"{s['seconds'] / f['seconds']:.1f}x" if f.get("seconds") else ""
            table.add_row(run, stage, f"{s['seconds']:.2f}", _rate(rows, s["seconds"]), _mb(s["peak_rss"]),
                          f"{f['seconds']:.2f}" if f else "", _rate(rows, f.get("seconds", 0)),
                          _mb(f.get("peak_rss")), ratio)
        ours_total = sum(s["seconds"] for s in ours["stages"].values())
        floor_total = sum(f["seconds"] for f in floor["stages"].values())
        table.add_row(run, "[bold]total[/]", f"{ours_total:.2f}", _rate(rows, ours_total),
                      _mb(max(s["peak_rss"] for s in ours["stages"].values())), f"{floor_total:.2f}",
                      _rate(rows, floor_total), _mb(max(f["peak_rss"] for f in floor["stages"].values())),
                      f"{ours_total / floor_total:.1f}x" if floor_total else "", end_section=True)
    console.print(table)
    inc = figures["incremental"]
    console.print(f"changes: {figures['changes']['changed']:,} films changed, {figures['changes']['deleted']:,} deleted; "
                  f"incremental extracted {inc['rows']:,}, merge {inc.get('merge', {}).get('new_versions')} new "
                  f"versions (floor: {figures['floor']['incremental'].get('versions')}); "
                  f"peak RSS of the process tree over the whole run {_mb(figures['peak_rss_overall'])} MB")


def write_json(figures: dict, path: Path) -> None:
    path.write_text(json.dumps(figures, indent=2, default=str))


def write_chart(figures: dict, path: Path) -> str:
    """A PNG of seconds per stage, ours against the floor; says why when it cannot."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return "no chart: matplotlib is not installed (pip install -e '.[bench]')"
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    for ax, run in zip(axes, ("initial", "incremental")):
        stages = [s for s in STAGES if s in figures[run]["stages"]]
        ours = [figures[run]["stages"][s]["seconds"] for s in stages]
        floor = [figures["floor"][run]["stages"].get(FLOOR_PHASE.get(s, ""), {}).get("seconds", 0) for s in stages]
        positions = range(len(stages))
        ax.barh([p + 0.2 for p in positions], ours, height=0.4, label="moviepipe")
        ax.barh([p - 0.2 for p in positions], floor, height=0.4, label="bare DuckDB floor")
        ax.set_yticks(list(positions), stages)
        ax.invert_yaxis()
        ax.set_xlabel("seconds")
        ax.set_title(f"{run}: {figures[run]['rows']:,} films")
        ax.legend(loc="lower right")
    fig.suptitle(f"moviepipe scale bench, {figures['rows']:,} films, engine {figures['engine']}")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return f"chart: {path}"
