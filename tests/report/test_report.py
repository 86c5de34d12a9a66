"""The run report's content and rendering, from ledger rows: fast, no warehouse, no Prefect."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from types import SimpleNamespace

from flows.run_report import build_report, write_report
from moviepipe.report import RunReport, StageRow
from moviepipe.report.html import render_html
from moviepipe.report.markdown import render_markdown
from moviepipe.report.svg import LABEL_WIDTH, PLOT_WIDTH

T0 = datetime(2026, 11, 20, 8, 0, 0)


def ledger_row(stage, state="succeeded", rows_in=None, rows_out=None, rejected=None, detail=None, at=0, took=1.0,
               source=None):
    return {"BATCH_ID": "b1", "STAGE": stage, "STATE": state, "ROWS_IN": rows_in, "ROWS_OUT": rows_out,
            "ROWS_REJECTED": rejected, "STARTED_AT": T0 + timedelta(seconds=at),
            "ENDED_AT": T0 + timedelta(seconds=at + took), "SOURCE": source,
            "DETAIL": json.dumps(detail) if detail else None}


LOADED = [
    ledger_row("extract", rows_in=1000, rows_out=1000, source="films.db", at=0, took=2),
    ledger_row("package", rows_in=1000, rows_out=1000, source="films.db", at=2),
    ledger_row("transform", rows_in=1000, rows_out=990, rejected=10, at=3, took=8,
               detail={"rejected_by_rule": {"duplicate_imdb_id": 7, "year_range": 3, "title_required": 0}}),
    ledger_row("load", rows_out=990, rejected=10, at=11,
               detail={"rows_by_pipe": {"RAW.MOVIES_PIPE": 990, "OPS.REJECTED_ROWS_PIPE": 10}}),
    ledger_row("merge", rows_in=990, rows_out=990, at=12, detail={"new_versions": 990, "closed_versions": 4}),
    ledger_row("reconcile", rows_in=1000, rows_out=990, rejected=10, at=13, took=0.5),
]


class FakeLedger:
    def __init__(self, rows):
        self._rows = rows

    def rows(self, batch_id=None):
        return self._rows


def fake_runtime(rows, home):
    store = SimpleNamespace(uri=lambda key="": f"file:///buckets/{key}")
    return SimpleNamespace(name="local", ledger=FakeLedger(rows), landing=store, processed=store, archive=store,
                           settings=SimpleNamespace(home_dir=home))


def test_a_loaded_batch_reports_what_the_cli_prints(tmp_path):
    report = build_report(fake_runtime(LOADED, tmp_path), "b1", "incoming/x/b1.zip")
    assert report.status == "loaded" and report.source == "films.db"
    assert report.reconciliation == {"extracted": 1000, "loaded": 990, "rejected": 10, "balanced": True}
    assert report.summary_line() == ("1,000 extracted = 990 loaded + 10 rejected · DIM_MOVIE: 990 new versions, "
                                     "4 closed · 13.5s in all")
    assert report.rejects_by_rule == {"duplicate_imdb_id": 7, "year_range": 3, "title_required": 0}
    assert report.rows_by_table == {"RAW.MOVIES": 990, "OPS.REJECTED_ROWS": 10}
    assert ("batch zip", "file:///buckets/incoming/x/b1.zip") in report.outputs

    html = render_html(report)
    for text in ("b1", "films.db", "1,000 extracted = 990 loaded + 10 rejected", "duplicate_imdb_id", "RAW.MOVIES",
                 "Rows per stage", "Rejects by rule"):
        assert text in html
    assert html.count("<svg") == 2
    markdown = render_markdown(report)
    assert report.summary_line() in markdown
    assert "| transform | succeeded | 1,000 | 990 | 10 | 8.00 |" in markdown
    assert "| duplicate_imdb_id | 7 | ███████████████████" in markdown

    path = write_report(report, tmp_path)
    assert path == tmp_path / "reports" / "b1.html" and path.read_text() == html
    assert not list(path.parent.glob(".*partial"))


def test_the_html_is_self_contained():
    html = render_html(build_report(fake_runtime(LOADED, None), "b1"))
    assert "<script" not in html.lower()
    assert not re.search(r"""\b(src|href)\s*=|url\(|@import""", html, re.IGNORECASE)
    # the only address is the SVG namespace, which no browser fetches
    assert set(re.findall(r"https?://[^\s\"'<>]+", html)) == {"http://www.w3.org/2000/svg"}


def test_bars_are_to_scale_and_numbers_are_written_on_them():
    html = render_html(build_report(fake_runtime(LOADED, None), "b1"))
    widths = [float(w) for w in re.findall(r'<rect x="%d" y="[\d.]+" width="([\d.]+)"' % LABEL_WIDTH, html)]
    assert max(widths) == PLOT_WIDTH
    assert f'{PLOT_WIDTH * 990 / 1000:.1f}' in html  # rows out of the transform, 990 of 1,000
    assert ">990</text>" in html and ">7</text>" in html


def test_a_failed_batch_gets_a_report_up_to_the_failure_and_text_is_escaped():
    rows = LOADED[:2] + [ledger_row("transform", state="failed", rows_in=1000, at=3,
                                    detail={"error": "bad"})]
    rows[0]["SOURCE"] = "<script>alert(1)</script>"
    report = build_report(fake_runtime(rows, None), "b1")
    assert report.status == "failed" and report.failed_stage == "transform"
    assert report.reconciliation is None and report.summary_line().endswith("failed at transform")
    html = render_html(report)
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "did not report its rules" in html
    assert "failed" in render_markdown(report)


def test_an_empty_report_renders():
    report = RunReport(batch_id="b0", source=None, runtime="local", stages=[StageRow("extract", "running", 5, None,
                                                                                      None, None)],
                       rejects_by_rule={})
    assert report.status == "running" and report.summary_line() == "no stage finished"
    assert "b0" in render_html(report) and "b0" in render_markdown(report)
