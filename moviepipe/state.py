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
