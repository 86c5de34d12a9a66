"""What runs remember between them, per source: watermarks, key scans, column baselines.

All of it lives in an ``ObjectStore`` (a folder locally, the state bucket in the
cloud: an ECS task's disk does not outlive its run) and moves only after a batch
reconciles, so a crash anywhere re-plans the same batch: same range, same
deletes, same batch id. Two runs of one source never overlap (the flows hold a
per-source concurrency slot), so a read-modify-write of the watermarks object
is safe; each run rewrites only its own source's entry after re-reading it.
"""

from __future__ import annotations

import hashlib
import io
import json
from datetime import datetime, timezone

from moviepipe.objectstore import ObjectStore

WATERMARKS_KEY = "state/watermarks.json"
SOURCES_PREFIX = "state/sources/"


class WatermarkStore:
    """One JSON object: source key -> the high watermark and batch of its last committed batch."""

    def __init__(self, store: ObjectStore, key: str = WATERMARKS_KEY):
        self.store = store
        self.key = key

    def _read(self) -> dict:
        if not self.store.exists(self.key):
            return {}
        return json.loads(self.store.get_bytes(self.key))

    def get(self, source_key: str) -> str | None:
        return self._read().get(source_key, {}).get("high")

    def advance(self, source_key: str, high: str | None, batch_id: str) -> None:
        data = self._read()
        data[source_key] = {"high": high, "batch_id": batch_id,
                            "updated_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
        self.store.put_bytes(self.key, json.dumps(data, indent=2).encode())


class SourceSnapshots:
    """What the last committed batch saw of a source: its keys and its column types.

    The key scan is what delete detection diffs against; the column types are
    the baseline retyped columns are found against.
    """

    def __init__(self, store: ObjectStore, prefix: str = SOURCES_PREFIX):
        self.store = store
        self.prefix = prefix

    def _key(self, source_key: str, name: str) -> str:
        return f"{self.prefix}{hashlib.sha256(source_key.encode()).hexdigest()[:16]}/{name}"

    def keys(self, source_key: str):
        import pyarrow.parquet as pq

        key = self._key(source_key, "keys.parquet")
        return pq.read_table(io.BytesIO(self.store.get_bytes(key))) if self.store.exists(key) else None

    def column_types(self, source_key: str) -> dict | None:
        key = self._key(source_key, "columns.json")
        return json.loads(self.store.get_bytes(key)) if self.store.exists(key) else None

    def commit(self, source_key: str, keys=None, column_types: dict | None = None) -> None:
        import pyarrow.parquet as pq

        if keys is not None:
            buffer = io.BytesIO()
            pq.write_table(keys, buffer)
            self.store.put_bytes(self._key(source_key, "keys.parquet"), buffer.getvalue())
        if column_types is not None:
            self.store.put_bytes(self._key(source_key, "columns.json"),
                                 json.dumps(column_types, indent=2, sort_keys=True).encode())
