"""Sources: where batches come from. One folder per source, one protocol for all.

Every source turns into the same thing for the pipeline: a *plan* (what one
batch will hold, with a batch id derived from the source and its watermark
range, so a retried extraction is the same batch) and a stream of Arrow record
batches in the raw contract's columns (``moviepipe.contract.RAW_COLUMNS`` plus
any source-specific extras). ``open_source`` picks the source from a spec.
"""

from __future__ import annotations

from typing import Iterator, Protocol

import pyarrow as pa


class BatchPlan(Protocol):
    """What one extraction will read. ``batch_id`` is deterministic."""

    source_name: str  # for people and manifests; never holds a secret
    source_key: str  # identifies the source for watermarks and batch ids
    watermark_column: str
    low: str | None  # exclusive lower bound (None: first or full extraction)
    high: str | None  # inclusive upper bound
    expected_rows: int

    @property
    def batch_id(self) -> str: ...

    @property
    def is_empty(self) -> bool: ...


class Source(Protocol):
    """An open source. ``schema`` is the Arrow schema ``batches`` yields."""

    kind: str  # manifest source kind: "sql" | "omdb"
    name: str
    schema: pa.Schema

    @property
    def source_key(self) -> str: ...

    def plan(self, low: str | None) -> BatchPlan: ...

    def batches(self, plan: BatchPlan) -> Iterator[pa.RecordBatch]: ...

    def close(self) -> None: ...
