"""Watermarks in S3: an ECS task's disk does not outlive the run, the state bucket does."""

from __future__ import annotations

import json
from datetime import datetime, timezone

from moviepipe.objectstore import ObjectStore

WATERMARKS_KEY = "state/watermarks.json"


class S3WatermarkStore:
    """Same interface as ``moviepipe.state.WatermarkStore``; one JSON object per bucket.

    Two runs of one source never overlap (the flows hold a per-source concurrency
    slot), so a read-modify-write of the object is safe between sources too:
    each run rewrites only its own key after re-reading the object.
    """

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
