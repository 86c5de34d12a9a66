"""SQL source: movies from any SQLAlchemy database, incremental on a watermark column.

The signature is the configuration contract: ``url`` (secrets live in it, and
it is masked wherever it is shown), the mapping onto the raw contract, the
exclusive lower watermark and the chunk size. ``plan`` finds the batch's upper
bound first, so the extraction reads a closed range ``(low, high]``: a retried
extraction of the same range reads the same rows and gets the same batch id.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from importlib import resources
from typing import Iterator

import pyarrow as pa
import sqlalchemy as sa

from moviepipe.contract import WATERMARK_COLUMN, make_batch_id
from moviepipe.errors import SourceError
from moviepipe.sources.sql import helpers
from moviepipe.sources.sql.mapping import mapping_options
from moviepipe.sources.sql.settings import (
    DEFAULT_CHUNK_ROWS,
    DEFAULT_DB_PACKAGE,
    DEFAULT_DB_PATH,
    DEFAULT_MAPPING,
    DEFAULT_SOURCE_NAME,
)


def default_source_url() -> str:
    """SQLAlchemy URL of bokeh-sampledata's movies.db (located without importing bokeh)."""
    try:
        path = resources.files(DEFAULT_DB_PACKAGE).joinpath(*DEFAULT_DB_PATH)
    except ModuleNotFoundError:
        raise SourceError("default source missing: install bokeh-sampledata>=2026.1") from None
    return f"sqlite:///{path}"


@dataclass
class SqlBatchPlan:
    """What one incremental extraction will read: rows with low < watermark <= high.

    ``low`` is where reading starts (the stored watermark minus the look-back
    window); ``deletes`` holds the keys the source lost since the last
    committed key scan (``None`` when delete detection is off).
    """

    source_name: str
    source_key: str
    watermark_column: str
    low: str | None
    high: str | None
    expected_rows: int
    new_rows: int = 0
    deletes: pa.Table | None = None
    current_keys: pa.Table | None = field(default=None, repr=False)
    drift: dict | None = None
    column_types: dict[str, str] = field(default_factory=dict)

    @property
    def batch_id(self) -> str:
        key = self.source_key
        if self.deletes is not None and self.deletes.num_rows:
            digest = hashlib.sha256("\n".join(sorted(self.deletes.column("imdbID").to_pylist())).encode())
            key = f"{key}|deletes:{digest.hexdigest()[:16]}"
        return make_batch_id(key, self.low, self.high)

    @property
    def delete_count(self) -> int:
        return 0 if self.deletes is None else self.deletes.num_rows

    @property
    def is_empty(self) -> bool:
        return self.new_rows == 0 and self.delete_count == 0


class SqlSource:
    """An open SQL source with its mapping resolved against the real tables.

    The mapping's ``options`` (or the keyword overrides) set the schema-drift
    policy, the look-back window and delete detection; see ``mapping.py``.
    """

    kind = "sql"

    def __init__(self, url: str | None = None, mapping: dict | None = None, chunk_rows: int = DEFAULT_CHUNK_ROWS,
                 *, drift_policy: str | None = None, lookback_days: float | None = None,
                 detect_deletes: bool | None = None, window: tuple[str, str] | None = None):
        self.window = _check_window(window)
        self.url = url or default_source_url()
        self.name = DEFAULT_SOURCE_NAME if not url else helpers.masked(self.url)
        self.mapping = mapping or DEFAULT_MAPPING
        options = mapping_options(self.mapping)
        self.drift_policy = drift_policy or options.drift_policy
        self.lookback_days = options.lookback_days if lookback_days is None else lookback_days
        self.detect_deletes = False if window else (options.detect_deletes if detect_deletes is None else detect_deletes)
        self.chunk_rows = chunk_rows
        self.engine = helpers.connect(self.url)
        try:
            tables = helpers.reflect(self.engine, self.mapping, self.name)
            added, missing = helpers.find_drift(tables, self.mapping)
            self.drift = {"policy": self.drift_policy, "added": [{"name": a["name"], "type": a["type"]} for a in added],
                          "missing": missing, "retyped": []}
            if self.drift_policy == "fail" and (added or missing):
                raise SchemaDriftError(self.name, self.drift)
            self.key = tables[self.mapping["base"]].c[self.mapping["key"]]
            natural = self.mapping["columns"]["imdbID"]
            self.natural_key = tables[natural[0]].c[natural[1]] if isinstance(natural, tuple) else None
            self.query, self.watermark = helpers.build_select(tables, self.mapping, missing, added)
            self.schema = helpers.arrow_schema(self.query)
            self.column_types = {c.name: helpers.type_family(c.type) for c in self.query.selected_columns}
        except Exception:
            self.engine.dispose()
            raise

    @property
    def base_source_key(self) -> str:
        """The source itself (its watermark, its one-run-at-a-time lock); never contains a password."""
        return f"sql|{self.name}|{self.mapping['base']}"

    @property
    def source_key(self) -> str:
        # A backfill window is its own key: its batch ids never collide with incremental ones
        # and it keeps its own (throwaway) watermark, leaving the source's where it is.
        if self.window:
            return f"{self.base_source_key}|backfill|{self.window[0]}|{self.window[1]}"
        return self.base_source_key

    def _bounded(self, low: str | None, high: str | None = None) -> sa.Select:
        query = self.query
        if self.window:  # a backfill: watermark in [from, to], inclusive
            query = query.where(self.watermark >= helpers.watermark_param(self.watermark, self.window[0]),
                                self.watermark <= helpers.watermark_param(self.watermark, self.window[1]))
        if low is not None:
            query = query.where(self.watermark > helpers.watermark_param(self.watermark, low))
        if high is not None:
            bound = self.watermark <= helpers.watermark_param(self.watermark, high)
            # A first or full extraction also takes rows without a watermark (the transform
            # rejects them with a reason); incremental ones cannot tell when those changed.
            query = query.where(sa.or_(bound, self.watermark.is_(None)) if low is None else bound)
        return query

    def check_retyped(self, baseline: dict[str, str] | None) -> list[dict]:
        """Columns whose type family changed since the recorded baseline; applies the policy."""
        if not baseline:
            return []
        retyped = [{"name": name, "was": baseline[name], "now": now} for name, now in self.column_types.items()
                   if name in baseline and baseline[name] != now]
        self.drift["retyped"] = retyped
        if retyped and self.drift_policy == "fail":
            raise SchemaDriftError(self.name, self.drift)
        return retyped

    def plan(self, low: str | None, previous_keys: pa.Table | None = None) -> SqlBatchPlan:
        """Count the new rows and find the batch's upper watermark in one query.

        A batch exists when rows past ``low`` exist (or keys were deleted); it
        then reads from ``low`` minus the look-back window, so late updates
        stamped just behind the watermark are picked up (re-read rows are
        no-ops in the warehouse: same hash, not newer).
        """
        with self.engine.connect() as conn:
            new_rows, high = self._count(conn, low)
            start = helpers.shift_watermark(low, self.lookback_days) if low is not None else None
            count = new_rows
            if start != low and new_rows:
                count, _ = self._count(conn, start, high)
        deletes = current = None
        if self.detect_deletes:
            if self.natural_key is None:
                raise SourceError(f"source {self.name}: delete detection needs imdbID mapped to a column")
            current = helpers.scan_keys(self.engine, self.key, self.natural_key, self.chunk_rows)
            deletes = helpers.deleted_keys(previous_keys, current)
        if not new_rows:
            high = low
        return SqlBatchPlan(
            source_name=self.name,
            source_key=self.source_key,
            watermark_column=WATERMARK_COLUMN,
            low=start if new_rows else low,
            high=helpers.to_watermark_string(high),
            expected_rows=int(count) if new_rows else 0,
            new_rows=int(new_rows),
            deletes=deletes,
            current_keys=current,
            drift=dict(self.drift),
            column_types=dict(self.column_types),
        )

    def _count(self, conn, low: str | None, high: str | None = None) -> tuple[int, object]:
        probe = self._bounded(low, high).subquery()
        column = probe.c[WATERMARK_COLUMN]
        count, top = conn.execute(sa.select(sa.func.count(), sa.func.max(column))).one()
        return int(count), (high if high is not None else top)

    def batches(self, plan: SqlBatchPlan) -> Iterator[pa.RecordBatch]:
        """The planned rows, ordered by watermark then key, in bounded chunks."""
        if plan.expected_rows == 0:
            return
        query = self._bounded(plan.low, plan.high).order_by(self.watermark, self.key)
        yield from helpers.stream_batches(self.engine, query, self.schema, self.chunk_rows)

    def close(self) -> None:
        self.engine.dispose()


def _check_window(window):
    if window is None:
        return None
    window_from, window_to = window
    if not window_from or not window_to:
        raise SourceError("a backfill window needs both a start and an end (ISO dates or timestamps)")
    if window_from > window_to:
        raise SourceError(f"backfill window is empty: {window_from} is after {window_to}")
    return (window_from, window_to)


class SchemaDriftError(SourceError):
    """The source's columns no longer match its mapping and the policy is ``fail``."""

    def __init__(self, source_name: str, drift: dict):
        parts = []
        if drift["added"]:
            parts.append("new columns " + ", ".join(a["name"] for a in drift["added"]))
        if drift["missing"]:
            parts.append("missing columns " + ", ".join(drift["missing"]))
        if drift["retyped"]:
            parts.append("retyped columns " + ", ".join(f"{r['name']} ({r['was']} -> {r['now']})"
                                                         for r in drift["retyped"]))
        super().__init__(f"schema drift in source {source_name}: {'; '.join(parts)} "
                         "(policy 'fail': nothing was landed; map or ignore them, or use policy 'evolve')")
        self.drift = drift
