"""The README benchmark table is generated from peer_bench's JSON: its shape and the marker replacement.

No timing is asserted: the figures below are made up, only where they end up is checked."""

from __future__ import annotations

import pytest

from bench.peer_bench import ratios, summarise
from bench.peers import RUNS
from bench.readme_table import (
    BEGIN,
    END,
    ReadmeTableError,
    render,
    replace_between_markers,
)

MB = 1024 * 1024


def _run(seconds: float, rss_mb: int, stages: dict | None = None) -> dict:
    run = {"seconds": seconds, "process_seconds": seconds + 1, "peak_rss": rss_mb * MB, "rows": 10}
    if stages is not None:
        run["stages"] = stages
    return run


def _figures() -> dict:
    by_run = {}
    for run in RUNS:
        tools = {"moviepipe": summarise([_run(4.0, 900, {"load": 1.0}), _run(6.0, 1000, {"load": 3.0}),
                                         _run(5.0, 950, {"load": 2.0})]),
                 "dlt": summarise([_run(2.0, 500)]),
                 "floor": summarise([_run(0.5, 100)])}
        by_run[run] = {"tools": tools, "ratios": ratios(tools)}
    return {"command": "python bench/peer_bench.py --sizes 10000", "engine": "duckdb", "repeats": 3,
            "tools": ["moviepipe", "dlt", "floor"], "versions": {"dlt": "1.31.0", "duckdb": "2.0.0"},
            "machine": {"cpus": 2, "uptime": "load average: 1.00"}, "started_at": "2026-12-04T18:00:00+00:00",
            "sizes": {"10000": {"rows": 10000, "load_average": {"before": [1.0, 1.0, 1.0]}, **by_run}}}


def test_summarise_takes_medians_and_the_highest_peak():
    summary = summarise([_run(4.0, 900, {"load": 1.0}), _run(6.0, 1000, {"load": 3.0}),
                         _run(5.0, 950, {"load": 2.0})])
    assert summary["seconds"] == 5.0
    assert summary["stages"] == {"load": 2.0}
    assert summary["peak_rss"] == 1000 * MB
    assert summary["repeats"] == 3 and len(summary["runs"]) == 3


def test_ratios_are_moviepipe_over_each_peer():
    figures = _figures()["sizes"]["10000"]["initial"]
    assert figures["ratios"] == {"moviepipe/dlt": 2.5, "moviepipe/floor": 10.0}
    assert ratios({"moviepipe": {"seconds": 1.0}}) == {"moviepipe/dlt": None, "moviepipe/floor": None}


def test_render_has_a_row_per_size_and_run_with_the_ratios():
    table = render(_figures())
    rows = [line for line in table.splitlines() if line.startswith("| 10,000 |")]
    assert len(rows) == len(RUNS)
    assert "| 10,000 | initial | 5.00 s · 0.98 GB | 2.00 s · 0.49 GB | 0.50 s · 0.10 GB | 2.5x | 10.0x |" in rows
    assert "python bench/peer_bench.py --sizes 10000" in table


def test_render_names_a_missing_part_of_the_shape():
    figures = _figures()
    del figures["sizes"]["10000"]["nochange"]
    with pytest.raises(ReadmeTableError, match="nochange"):
        render(figures)


def test_only_the_text_between_the_markers_changes():
    readme = f"# Title\n\nbefore\n{BEGIN}\nold table\n{END}\nafter\n"
    updated = replace_between_markers(readme, "new table")
    assert updated == f"# Title\n\nbefore\n{BEGIN}\nnew table\n{END}\nafter\n"
    assert replace_between_markers(updated, "new table") == updated  # idempotent


@pytest.mark.parametrize("readme", ["no markers", f"{END}\n{BEGIN}", f"{BEGIN}{END}{BEGIN}{END}"])
def test_bad_markers_are_refused_by_name(readme):
    with pytest.raises(ReadmeTableError, match="peer-bench:begin"):
        replace_between_markers(readme, "table")
