"""A run report people can share: one batch's end-of-run summary as a self-contained HTML file.

``RunReport`` holds what ``moviepipe run`` prints when a batch ends (rows in, out and
rejected per stage, the reconciliation, the versions the merge made, rejects per rule,
rows per warehouse table, where the outputs are), built from the batch's ledger rows
alone, so a failed batch gets the same report up to the stage that failed. Rendered as
HTML with inline SVG charts and inline CSS (``html.render_html``: no script, no external
asset; it opens from a mail attachment or a file share) and as markdown with the same
figures (``markdown.render_markdown``: the Prefect artifact). ``flows.run_report`` builds,
writes and publishes it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class StageRow:
    stage: str
    state: str
    rows_in: int | None
    rows_out: int | None
    rows_rejected: int | None
    seconds: float | None


@dataclass(frozen=True)
class RunReport:
    batch_id: str
    source: str | None
    runtime: str
    stages: list[StageRow]
    #: rule -> rows rejected (every rule the transform checked, zeros included)
    rejects_by_rule: dict[str, int]
    #: warehouse table (from the pipe's name) -> rows loaded
    rows_by_table: dict[str, int] = field(default_factory=dict)
    #: (what, where) pairs
    outputs: list[tuple[str, str]] = field(default_factory=list)
    new_versions: int | None = None
    closed_versions: int | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    created_at: datetime = field(default_factory=datetime.now)

    @property
    def status(self) -> str:
        states = {row.state for row in self.stages}
        if "failed" in states:
            return "failed"
        if "running" in states:
            return "running"
        return "loaded" if any(r.stage == "reconcile" and r.state == "succeeded" for r in self.stages) else "incomplete"

    @property
    def failed_stage(self) -> str | None:
        return next((row.stage for row in self.stages if row.state == "failed"), None)

    def _stage(self, name: str) -> StageRow | None:
        return next((row for row in self.stages if row.stage == name), None)

    @property
    def reconciliation(self) -> dict | None:
        """extracted = loaded + rejected, from the reconcile stage (None before it ran)."""
        row = self._stage("reconcile")
        if row is None or row.rows_in is None:
            return None
        loaded, rejected = row.rows_out or 0, row.rows_rejected or 0
        return {"extracted": row.rows_in, "loaded": loaded, "rejected": rejected,
                "balanced": row.rows_in == loaded + rejected}

    @property
    def seconds(self) -> float | None:
        if self.started_at and self.ended_at:
            return round((self.ended_at - self.started_at).total_seconds(), 1)
        return None

    def summary_line(self) -> str:
        """The CLI's closing line, in words."""
        parts = []
        rec = self.reconciliation
        if rec:
            parts.append(f"{rec['extracted']:,} extracted = {rec['loaded']:,} loaded + {rec['rejected']:,} rejected")
        if self.new_versions is not None:
            parts.append(f"DIM_MOVIE: {self.new_versions:,} new versions, {self.closed_versions or 0:,} closed")
        if self.seconds is not None:
            parts.append(f"{self.seconds:.1f}s in all")
        if self.failed_stage:
            parts.append(f"failed at {self.failed_stage}")
        return " · ".join(parts) or "no stage finished"


def detail_of(ledger_row: dict) -> dict:
    """A ledger row's DETAIL JSON (empty when absent or not an object)."""
    try:
        detail = json.loads(ledger_row.get("DETAIL") or "{}")
    except (TypeError, json.JSONDecodeError):
        return {}
    return detail if isinstance(detail, dict) else {}
