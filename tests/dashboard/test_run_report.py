"""The run report of real batches: written by the flow, printed by the CLI, published as an artifact,
opened in Chromium."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from flows.run_report import ARTIFACT_KEY
from tests.browser import Browser, assert_not_blank, assert_png, chromium_or_skip, keep_evidence
from tests.conftest import warehouse_query

pytestmark = pytest.mark.integration


def stage_rows(text: str) -> dict[str, tuple]:
    """stage -> (rows in, rows out, rejected) from the markdown table or the HTML table."""
    found = {}
    for match in re.finditer(r"\| (\w+) \| (?:succeeded|failed|running) \| ([\d,]*) \| ([\d,]*) \| ([\d,]*) \|", text):
        found[match.group(1)] = match.groups()[1:]
    for match in re.finditer(r"<tr><td>(\w+)</td><td>(?:succeeded|failed|running)</td><td class=n>([\d,]*)</td>"
                             r"<td class=n>([\d,]*)</td><td class=n>([\d,]*)</td>", text):
        found[match.group(1)] = match.groups()[1:]
    return found


def ledger_rows(home: Path, batch_id: str) -> dict[str, tuple]:
    rows = warehouse_query(home, f"SELECT STAGE, ROWS_IN, ROWS_OUT, ROWS_REJECTED FROM OPS.BATCH_LEDGER "
                                 f"WHERE BATCH_ID = '{batch_id}'")
    return {r["STAGE"]: tuple("" if v is None else f"{int(v):,}" for v in (r["ROWS_IN"], r["ROWS_OUT"],
                                                                         r["ROWS_REJECTED"])) for r in rows}


def test_the_flow_writes_the_report_and_publishes_the_same_figures_as_an_artifact(dashboard_home):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

    first = dashboard_home["first"]
    path = Path(first["report"])
    assert path == dashboard_home["home"] / "reports" / f"{first['batch_id']}.html" and path.is_file()
    html = path.read_text()
    with get_client(sync_client=True) as client:
        (artifact,) = [a for a in client.read_artifacts(artifact_filter=ArtifactFilter(
            flow_run_id=ArtifactFilterFlowRunId(any_=[dashboard_home["first_flow_run_id"]]))) if a.key == ARTIFACT_KEY]
    markdown = artifact.data
    expected = ledger_rows(dashboard_home["home"], first["batch_id"])
    assert len(expected) == 8
    assert stage_rows(markdown) == stage_rows(html) == expected
    rec = first["reconcile"]
    line = f"{rec['extracted']:,} extracted = {rec['loaded']:,} loaded + {rec['rejected']:,} rejected"
    assert line in markdown and line in html
    assert "| duplicate_imdb_id | 2 |" in markdown and "<td>duplicate_imdb_id</td><td class=n>2</td>" in html
    assert str(path) in markdown


def test_the_cli_prints_where_the_report_is(dashboard_home):
    output = dashboard_home["cli"]["output"]
    (printed,) = re.findall(r"Report (\S+\.html)", output)
    assert Path(printed).is_file() and Path(printed).parent == dashboard_home["home"] / "reports"
    assert "20 extracted = 20 loaded + 0 rejected" in Path(printed).read_text()


def test_the_report_opens_in_chromium_and_shows_its_content(dashboard_home, tmp_path):
    first = dashboard_home["first"]
    browser = Browser(chromium_or_skip("the run report screenshot"), tmp_path / "chromium", 1000, 1400)
    try:
        browser.open(Path(first["report"]).as_uri(), "document.readyState === 'complete'", settle=0.5)
        text = browser.text()
        drawn = browser.evaluate("document.querySelectorAll('svg rect').length")
        png = browser.screenshot(tmp_path / "run-report.png")
    finally:
        browser.close()
    for needle in (f"moviepipe batch {first['batch_id']}", "loaded", "Rows per stage", "Rejects by rule",
                   "duplicate_imdb_id", f"{first['reconcile']['extracted']:,} extracted"):
        assert needle in text, f"{needle!r} not in the report as Chromium shows it:\n{text[:1500]}"
    assert drawn >= 8 * 3
    assert_png(png, min_bytes=30_000)
    assert_not_blank(png, min_busy_rows=0.15)
    keep_evidence(png)
