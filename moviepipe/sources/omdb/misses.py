"""The ids a source asked for and got no record for, in ``OPS.SOURCE_MISSES`` (sql/tables/080_...).

The cache (``responses.jsonl``) is the source's own memory; this table is where people
look: ``moviepipe status`` lists the current misses and anyone can query them. Each
answer is written once (SOURCE x IMDB_ID x CHECKED_AT): the rows come from the plan,
which reads them from the cache, so a run that crashed before writing them has them
written by the next run, and re-running writes nothing twice. Append-only, so the
cloud loader role's SELECT and INSERT are all it needs.
"""

from __future__ import annotations

from datetime import datetime

from moviepipe.warehouse.client import Warehouse

TABLE = "OPS.SOURCE_MISSES"
_COLUMNS = ("SOURCE", "IMDB_ID", "STATUS", "REASON", "CHECKED_AT", "RETRY_AFTER", "BATCH_ID")
_CHUNK = 500

#: The current misses: the latest answer per source and id, when it is not a record.
CURRENT_SQL = (
    f"SELECT SOURCE, IMDB_ID, STATUS, REASON, CHECKED_AT, RETRY_AFTER, BATCH_ID FROM {TABLE} "
    "QUALIFY ROW_NUMBER() OVER (PARTITION BY SOURCE, IMDB_ID ORDER BY CHECKED_AT DESC) = 1 "
    "AND STATUS <> 'found' ORDER BY SOURCE, STATUS, IMDB_ID"
)


def _stamp(value) -> str:
    """A CHECKED_AT as the cache writes it (microseconds), whether read back as datetime or text."""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")
    text = str(value)
    return text if "." in text else text + ".000000"


def record(wh: Warehouse, source: str, plan, batch_id: str | None) -> int:
    """Write the plan's misses (and ids found after a miss) not written yet; returns rows written."""
    rows = [(source, m.imdb_id, m.status, m.reason or None, m.checked_at, m.retry_after, batch_id)
            for m in plan.misses]
    rows += [(source, imdb_id, "found", None, checked_at, None, batch_id) for imdb_id, checked_at in plan.resolved]
    if not rows:
        return 0
    seen = {(row["IMDB_ID"], _stamp(row["CHECKED_AT"]))
            for row in wh.query(f"SELECT IMDB_ID, CHECKED_AT FROM {TABLE} WHERE SOURCE = %s", (source,))}
    new = [row for row in rows if (row[1], _stamp(row[4])) not in seen]
    placeholders = "(" + ", ".join(["%s"] * len(_COLUMNS)) + ")"
    with wh.transaction():
        for start in range(0, len(new), _CHUNK):
            chunk = new[start:start + _CHUNK]
            wh.execute(f"INSERT INTO {TABLE} ({', '.join(_COLUMNS)}) VALUES " + ", ".join([placeholders] * len(chunk)),
                       tuple(value for row in chunk for value in row))
    return len(new)


def current(wh: Warehouse, limit: int | None = None) -> list[dict]:
    """The current misses of every source (latest answer per id, not a record)."""
    return wh.query(CURRENT_SQL + (f" LIMIT {int(limit)}" if limit else ""))
