"""Regenerate the README's benchmark table from ``bench/results/peer_bench.json``.

    .venv/bin/python bench/readme_table.py [--json bench/results/peer_bench.json] [--readme README.md]

The table sits between ``<!-- peer-bench:begin -->`` and ``<!-- peer-bench:end -->``; everything
else in the README is left as it is. The README's figures therefore always come from the
committed JSON, never from a hand edit.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.peer_report import MB, RUN_LABELS
from bench.peers import RUNS

BEGIN, END = "<!-- peer-bench:begin -->", "<!-- peer-bench:end -->"
ROOT = Path(__file__).resolve().parents[1]


class ReadmeTableError(ValueError):
    """The README or the figures are not what the generator expects."""


def _cell(tools: dict, tool: str) -> str:
    figures = tools.get(tool)
    if not figures:
        return "–"
    return f"{figures['seconds']:.2f} s · {figures['peak_rss'] / MB / 1024:.2f} GB"


def _ratio(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}x"


def render(figures: dict) -> str:
    """The markdown table (with a line saying where and how the figures were made)."""
    try:
        sizes = figures["sizes"]
        lines = ["| films | run | moviepipe | dlt | bare-DuckDB floor | moviepipe/dlt | moviepipe/floor |",
                 "|---|---|---|---|---|---|---|"]
        for size, by_size in sizes.items():
            for run in RUNS:
                tools, ratios = by_size[run]["tools"], by_size[run]["ratios"]
                lines.append(f"| {int(size):,} | {RUN_LABELS[run]} | {_cell(tools, 'moviepipe')} | "
                             f"{_cell(tools, 'dlt')} | {_cell(tools, 'floor')} | "
                             f"{_ratio(ratios.get('moviepipe/dlt'))} | {_ratio(ratios.get('moviepipe/floor'))} |")
        machine, versions = figures["machine"], figures.get("versions", {})
    except (KeyError, TypeError, ValueError) as error:
        raise ReadmeTableError(f"the figures do not have the peer_bench.json shape (missing {error})") from None
    loads = "; ".join(f"{int(size):,}: {by_size.get('load_average', {}).get('before')}"
                      for size, by_size in sizes.items())
    lines += ["", (f"Seconds are medians of up to {figures.get('repeats')} runs (a run over a minute is not repeated), "
                  f"memory the peak resident set of the run's whole process tree; engine {figures.get('engine')}, "
                  f"dlt {versions.get('dlt')}, DuckDB {versions.get('duckdb')}, {machine.get('cpus')} CPUs, "
                  f"load average before each size ({loads}), started {figures.get('started_at')}. "
                  f"Made by `{figures.get('command')}`.")]
    return "\n".join(lines)


def replace_between_markers(readme: str, table: str) -> str:
    if readme.count(BEGIN) != 1 or readme.count(END) != 1 or readme.index(BEGIN) > readme.index(END):
        raise ReadmeTableError(f"the README needs exactly one {BEGIN} followed by one {END}")
    head, rest = readme.split(BEGIN)
    _, tail = rest.split(END)
    return f"{head}{BEGIN}\n{table}\n{END}{tail}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", type=Path, default=ROOT / "bench" / "results" / "peer_bench.json")
    parser.add_argument("--readme", type=Path, default=ROOT / "README.md")
    args = parser.parse_args()
    table = render(json.loads(args.json.read_text()))
    args.readme.write_text(replace_between_markers(args.readme.read_text(), table))
    print(f"{args.readme}: benchmark table regenerated from {args.json}")


if __name__ == "__main__":
    main()
