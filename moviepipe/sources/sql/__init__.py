"""SQL source: movies from any SQLAlchemy database, incremental on a watermark column.

The signature is the configuration contract: ``url`` (secrets live in it, and
it is masked wherever it is shown), the mapping onto the raw contract, the
exclusive lower watermark and the chunk size. ``plan`` finds the batch's upper
bound first, so the extraction reads a closed range ``(low, high]``: a retried
extraction of the same range reads the same rows and gets the same batch id.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from typing import Iterator

import pyarrow as pa
import sqlalchemy as sa

from moviepipe.contract import WATERMARK_COLUMN, make_batch_id
from moviepipe.errors import SourceError
from moviepipe.sources.sql import helpers
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
    """What one incremental extraction will read: rows with low < watermark <= high."""

    source_name: str
    source_key: str
    watermark_column: str
    low: str | None
    high: str | None
    expected_rows: int

    @property
    def batch_id(self) -> str:
        return make_batch_id(self.source_key, self.low, self.high)

    @property
    def is_empty(self) -> bool:
        return self.expected_rows == 0


class SqlSource:
    """An open SQL source with its mapping resolved against the real tables."""

    def __init__(self, url: str | None = None, mapping: dict | None = None, chunk_rows: int = DEFAULT_CHUNK_ROWS):
        self.url = url or default_source_url()
        self.name = DEFAULT_SOURCE_NAME if not url else helpers.masked(self.url)
        self.mapping = mapping or DEFAULT_MAPPING
        self.chunk_rows = chunk_rows
        self.engine = helpers.connect(self.url)
        tables = helpers.reflect(self.engine, self.mapping, self.name)
        self.key = tables[self.mapping["base"]].c[self.mapping["key"]]
        self.query, self.watermark = helpers.build_select(tables, self.mapping)
        self.schema = helpers.arrow_schema(self.query)

    @property
    def source_key(self) -> str:
        # Identifies the source for batch ids and watermarks; never contains a password.
        return f"sql|{self.name}|{self.mapping['base']}"

    def _bounded(self, low: str | None, high: str | None = None) -> sa.Select:
        query = self.query
        if low is not None:
            query = query.where(self.watermark > helpers.watermark_param(self.watermark, low))
        if high is not None:
            bound = self.watermark <= helpers.watermark_param(self.watermark, high)
            # A first or full extraction also takes rows without a watermark (the transform
            # rejects them with a reason); incremental ones cannot tell when those changed.
            query = query.where(sa.or_(bound, self.watermark.is_(None)) if low is None else bound)
        return query

    def plan(self, low: str | None) -> SqlBatchPlan:
        """Count the new rows and find the batch's upper watermark in one query."""
        probe = self._bounded(low).subquery()
        column = probe.c[WATERMARK_COLUMN]
        statement = sa.select(sa.func.count(), sa.func.max(column))
        with self.engine.connect() as conn:
            count, high = conn.execute(statement).one()
        return SqlBatchPlan(
            source_name=self.name,
            source_key=self.source_key,
            watermark_column=WATERMARK_COLUMN,
            low=low,
            high=helpers.to_watermark_string(high),
            expected_rows=int(count),
        )

    def batches(self, plan: SqlBatchPlan) -> Iterator[pa.RecordBatch]:
        """The planned rows, ordered by watermark then key, in bounded chunks."""
        query = self._bounded(plan.low, plan.high).order_by(self.watermark, self.key)
        yield from helpers.stream_batches(self.engine, query, self.schema, self.chunk_rows)

    def close(self) -> None:
        self.engine.dispose()
