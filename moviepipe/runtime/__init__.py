"""The one place that picks where the pipeline runs.

``build_runtime`` returns the local resource set (folders, in-process Lambda,
local Glue transform, fakesnow) by default, and the cloud one (S3, the unzip
Lambda, Glue, Snowpipe, Snowflake tasks, SNS; ``moviepipe.runtime.cloud``) when
``MOVIEPIPE_RUNTIME=cloud``. Flows and stages receive a ``Runtime`` and never ask
which one it is.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from moviepipe.errors import StageError
from moviepipe.objectstore import ObjectStore
from moviepipe.settings import Settings, load_settings

if TYPE_CHECKING:
    from moviepipe.ledger import Ledger
    from moviepipe.state import SourceSnapshots, WatermarkStore
    from moviepipe.warehouse.client import Warehouse


class Runtime(Protocol):
    """What every stage needs from its environment."""

    name: str
    settings: Settings
    landing: ObjectStore
    processed: ObjectStore
    archive: ObjectStore
    work_dir: Path  # where batches are staged before landing
    watermarks: "WatermarkStore"
    snapshots: "SourceSnapshots"
    warehouse: "Warehouse"
    ledger: "Ledger"

    def land(self, zip_path, key: str) -> None: ...
    def unzip(self, key: str): ...
    def transform(self, batch_id: str, raw_key: str) -> dict: ...
    def load(self) -> list: ...
    def merge(self) -> list: ...
    def alert(self, subject: str, detail: dict) -> None: ...
    def close(self) -> None: ...


def build_runtime(settings: Settings | None = None) -> Runtime:
    settings = settings or load_settings()
    if settings.runtime == "local":
        from moviepipe.runtime.local import LocalRuntime

        return LocalRuntime(settings)
    if settings.runtime == "cloud":
        from moviepipe.runtime.cloud import CloudRuntime

        return CloudRuntime(settings)
    raise StageError("runtime", f"unknown runtime {settings.runtime!r}: use local or cloud")
