"""The batch ledger: one row per batch and stage in ``OPS.BATCH_LEDGER``.

Re-running a stage replaces its row (delete + insert in one transaction), so a
retried or re-run batch never shows a stage twice. Reconciliation reads the
ledger and the raw tables: rows extracted = rows loaded + rows rejected.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from moviepipe.warehouse.client import Warehouse

STAGES = ("extract", "package", "land", "unzip", "transform", "load", "merge", "reconcile")


@dataclass
class StageRecord:
    batch_id: str
    stage: str
    state: str
    rows_in: int | None = None
    rows_out: int | None = None
    rows_rejected: int | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    source: str | None = None
    detail: str | None = None


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


class Ledger:
    def __init__(self, warehouse: Warehouse):
        self.wh = warehouse

    def record(self, entry: StageRecord) -> None:
        with self.wh.transaction():
            self.wh.execute("DELETE FROM OPS.BATCH_LEDGER WHERE BATCH_ID = %s AND STAGE = %s",
                            (entry.batch_id, entry.stage))
            self.wh.execute(
                "INSERT INTO OPS.BATCH_LEDGER (BATCH_ID, STAGE, STATE, ROWS_IN, ROWS_OUT, ROWS_REJECTED, "
                "STARTED_AT, ENDED_AT, SOURCE, DETAIL) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                (entry.batch_id, entry.stage, entry.state, entry.rows_in, entry.rows_out, entry.rows_rejected,
                 entry.started_at, entry.ended_at, entry.source, entry.detail),
            )

    def rows(self, batch_id: str | None = None) -> list[dict]:
        """Ledger rows, batches in the order they started, stages in pipeline order."""
        where, params = ("WHERE BATCH_ID = %s", (batch_id,)) if batch_id else ("", None)
        rows = self.wh.query(f"SELECT * FROM OPS.BATCH_LEDGER {where}", params)
        first_start: dict[str, datetime] = {}
        for row in rows:
            started = row["STARTED_AT"] or datetime.max
            first_start[row["BATCH_ID"]] = min(first_start.get(row["BATCH_ID"], started), started)
        position = {stage: i for i, stage in enumerate(STAGES)}
        return sorted(rows, key=lambda r: (first_start[r["BATCH_ID"]], r["BATCH_ID"], position.get(r["STAGE"], 99)))

    def reconcile(self, batch_id: str, extracted: int) -> dict:
        """Rows extracted against rows that reached RAW.MOVIES and OPS.REJECTED_ROWS for this batch."""
        loaded = int(self.wh.scalar("SELECT COUNT(*) FROM RAW.MOVIES WHERE BATCH_ID = %s", (batch_id,)))
        rejected = int(self.wh.scalar("SELECT COUNT(*) FROM OPS.REJECTED_ROWS WHERE BATCH_ID = %s", (batch_id,)))
        return {"extracted": extracted, "loaded": loaded, "rejected": rejected,
                "balanced": extracted == loaded + rejected}
