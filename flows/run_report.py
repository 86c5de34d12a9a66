"""The shareable run report of a batch: written as HTML under ``$MOVIEPIPE_HOME/reports/`` and
published as a markdown artifact (key ``moviepipe-run-report``) with the same figures.

Built from the batch's ledger rows (``OPS.BATCH_LEDGER``) alone, so every path that
publishes the batch's artifacts (a loaded batch, or one that failed part way) gets it;
the CLI prints the file's path. Best effort, like the other artifacts: a report that
cannot be written never changes the run's outcome.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from flows.reporting import output_locations, quality_table, stage_table
from moviepipe.alerts import redact
from moviepipe.report import RunReport, StageRow, detail_of
from moviepipe.report.html import render_html
from moviepipe.report.markdown import render_markdown

ARTIFACT_KEY = "moviepipe-run-report"


def report_path(home: Path, batch_id: str) -> Path:
    return Path(home) / "reports" / f"{batch_id}.html"


def build_report(rt, batch_id: str, landing_key: str | None = None) -> RunReport:
    rows = rt.ledger.rows(batch_id)
    by_stage = {row["STAGE"]: row for row in rows}
    merge = detail_of(by_stage.get("merge", {}))
    loaded = detail_of(by_stage.get("load", {})).get("rows_by_pipe", {})
    started = [row["STARTED_AT"] for row in rows if row.get("STARTED_AT")]
    ended = [row["ENDED_AT"] for row in rows if row.get("ENDED_AT")]
    return RunReport(
        batch_id=batch_id,
        source=next((row["SOURCE"] for row in rows if row.get("SOURCE")), None),
        runtime=rt.name,
        stages=[StageRow(r["stage"], r["state"], r["rows_in"], r["rows_out"], r["rows_rejected"], r["seconds"])
                for r in stage_table(rows)],
        rejects_by_rule={r["rule"]: r["rows_rejected"] or 0 for r in quality_table(rows)},
        rows_by_table={pipe.removesuffix("_PIPE"): int(n) for pipe, n in loaded.items()},
        outputs=output_locations(rt, batch_id, landing_key),
        new_versions=merge.get("new_versions"), closed_versions=merge.get("closed_versions"),
        started_at=min(started) if started else None, ended_at=max(ended) if ended else None)


def write_report(report: RunReport, home: Path) -> Path:
    """The HTML file, replaced atomically (a re-run of the batch rewrites it, a reader never sees half)."""
    path = report_path(home, report.batch_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(render_html(report), encoding="utf-8")
    os.replace(partial, path)
    return path


def publish_run_report(rt, batch_id: str, landing_key: str | None = None) -> Path:
    from prefect.artifacts import create_markdown_artifact

    report = build_report(rt, batch_id, landing_key)
    path = write_report(report, rt.settings.home_dir)
    create_markdown_artifact(render_markdown(report) + f"\n\nThe same report as a file: `{path}`", key=ARTIFACT_KEY,
                             description=f"Run report of batch {batch_id} ({report.status})")
    return path


def publish_run_report_safely(rt, batch_id: str | None, landing_key: str | None = None) -> Path | None:
    if not batch_id:
        return None
    try:
        return publish_run_report(rt, batch_id, landing_key)
    except Exception as error:
        print(f"moviepipe: could not write the run report of {batch_id}: {redact(str(error))[:300]}", file=sys.stderr)
        return None
