"""Watermarks kept between runs, one per source, in a small JSON file.

A watermark moves only after its batch is merged and reconciled, so a crash
anywhere before that re-extracts the same range (same batch id) next time.
"""

from __future__ import annotations

import json
import os
import tempfile
from datetime import datetime, timezone
from pathlib import Path


class WatermarkStore:
    def __init__(self, path: Path):
        self.path = path

    def _read(self) -> dict:
        if not self.path.exists():
            return {}
        return json.loads(self.path.read_text(encoding="utf-8"))

    def get(self, source_key: str) -> str | None:
        return self._read().get(source_key, {}).get("high")

    def advance(self, source_key: str, high: str | None, batch_id: str) -> None:
        data = self._read()
        data[source_key] = {"high": high, "batch_id": batch_id,
                            "updated_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", dir=self.path.parent, delete=False, encoding="utf-8") as handle:
            json.dump(data, handle, indent=2)
        os.replace(handle.name, self.path)


class SourceSnapshots:
    """What the last committed batch saw of a source: its keys and its column types.

    Kept beside the watermarks and advanced together with them (after the batch
    reconciles), so a crash re-detects the same deletes and the same drift.
    The key scan is what delete detection diffs against; the column types are
    the baseline retyped columns are found against.
    """

    def __init__(self, folder: Path):
        self.folder = folder

    def _dir(self, source_key: str) -> Path:
        import hashlib

        return self.folder / hashlib.sha256(source_key.encode()).hexdigest()[:16]

    def keys(self, source_key: str):
        import pyarrow.parquet as pq

        path = self._dir(source_key) / "keys.parquet"
        return pq.read_table(path) if path.exists() else None

    def column_types(self, source_key: str) -> dict | None:
        path = self._dir(source_key) / "columns.json"
        return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None

    def commit(self, source_key: str, keys=None, column_types: dict | None = None) -> None:
        import pyarrow.parquet as pq

        folder = self._dir(source_key)
        folder.mkdir(parents=True, exist_ok=True)
        if keys is not None:
            temp = folder / "keys.parquet.tmp"
            pq.write_table(keys, temp)
            os.replace(temp, folder / "keys.parquet")
        if column_types is not None:
            temp = folder / "columns.json.tmp"
            temp.write_text(json.dumps(column_types,
                                       indent=2, sort_keys=True), encoding="utf-8")
            os.replace(temp, folder / "columns.json")
