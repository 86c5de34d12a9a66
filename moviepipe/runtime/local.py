"""The local runtime: every cloud service stood in for on one machine.

- buckets are folders under ``$MOVIEPIPE_HOME/buckets/``;
- the unzip Lambda's handler is called in-process with an S3-shaped event;
- the Glue job's transform runs locally, on sqlframe + DuckDB (no JVM) or PySpark;
- Snowflake is fakesnow persisted under ``$MOVIEPIPE_HOME/warehouse/``, with pipes,
  streams and tasks emulated over the same ``sql/`` files (``LocalSnowflake``).
"""

from __future__ import annotations

import atexit
import importlib.util
import sys
from functools import cached_property
from pathlib import Path

from moviepipe.alerts import FanoutAlerts, LocalAlerts, secondary_targets
from moviepipe.errors import StageError
from moviepipe.ledger import Ledger
from moviepipe.objectstore import LocalObjectStore
from moviepipe.settings import Settings
from moviepipe.state import SourceSnapshots, WatermarkStore
from moviepipe.warehouse.client import Warehouse, local_warehouse
from moviepipe.warehouse.emulator import LocalSnowflake

REPO_ROOT = Path(__file__).resolve().parents[2]
LAMBDA_HANDLER = REPO_ROOT / "lambda" / "unzip_handler.py"
GLUE_DIR = REPO_ROOT / "glue"


def load_unzip_handler():
    """The Lambda module, loaded from its file (``lambda`` is not an importable name)."""
    if "unzip_handler" in sys.modules:
        return sys.modules["unzip_handler"]
    spec = importlib.util.spec_from_file_location("unzip_handler", LAMBDA_HANDLER)
    module = importlib.util.module_from_spec(spec)
    sys.modules["unzip_handler"] = module
    spec.loader.exec_module(module)
    return module


def load_glue_modules():
    """The Glue job's flat modules, importable the way AWS Glue ships them (--extra-py-files)."""
    if str(GLUE_DIR) not in sys.path:
        sys.path.insert(0, str(GLUE_DIR))
    import movies_engine
    import movies_transform

    return movies_engine, movies_transform


_SESSIONS: dict[str, object] = {}


def transform_session(engine: str, memory_limit: str | None = None):
    """One transform session per engine per process: start-up (a JVM, or sqlframe's
    planning caches) is paid once, and sqlframe's session is a process-wide singleton
    that cannot be reopened once stopped. Stopped at interpreter exit."""
    if engine not in _SESSIONS:
        engine_module, _ = load_glue_modules()
        try:
            _SESSIONS[engine] = engine_module.make_session(engine, memory_limit=memory_limit)
        except ImportError as error:
            raise StageError("transform", f"engine '{engine}' needs {error.name}: "
                                          "pip install -e '.[spark]'") from None
        except RuntimeError as error:  # e.g. no Java for Spark
            raise StageError("transform", str(error)) from None
    return _SESSIONS[engine]


@atexit.register
def _stop_sessions() -> None:
    if _SESSIONS:
        engine_module, _ = load_glue_modules()
        for session in _SESSIONS.values():
            engine_module.stop_session(session)
        _SESSIONS.clear()


def s3_event(bucket: str, key: str) -> dict:
    """The event S3 sends the Lambda on upload (keys arrive URL-encoded)."""
    from urllib.parse import quote_plus

    return {"Records": [{
        "eventSource": "aws:s3",
        "eventName": "ObjectCreated:Put",
        "s3": {"bucket": {"name": bucket}, "object": {"key": quote_plus(key, safe="/")}},
    }]}


class LocalRuntime:
    name = "local"

    def __init__(self, settings: Settings):
        self.settings = settings
        self.home = settings.home_dir
        buckets = self.home / "buckets"
        self.landing = LocalObjectStore(buckets / "landing", "landing")
        self.processed = LocalObjectStore(buckets / "processed", "processed")
        self.archive = LocalObjectStore(buckets / "archive", "archive")
        state = LocalObjectStore(self.home, bucket="state")
        self.watermarks = WatermarkStore(state)
        self.snapshots = SourceSnapshots(state)
        self.alerts = FanoutAlerts(LocalAlerts(self.home / "alerts.jsonl"), secondary_targets(settings))
        self.work_dir = self.home / "work"

    # ---------------------------------------------------------------- warehouse
    @cached_property
    def warehouse(self) -> Warehouse:
        return local_warehouse(self.home / "warehouse", self.settings.database,
                               memory_limit=self.settings.duckdb_memory_limit)

    @cached_property
    def snowflake(self) -> LocalSnowflake:
        emulator = LocalSnowflake(self.warehouse, {
            "database": self.settings.database,
            "warehouse": self.settings.warehouse,
            "archive_url": self.archive.uri(),
            "stage_options": "",
        })
        emulator.apply_sql_tree()  # stages and file formats do not persist in fakesnow: every run
        return emulator

    @cached_property
    def ledger(self) -> Ledger:
        self.snowflake  # the OPS tables must exist first
        return Ledger(self.warehouse)

    # ------------------------------------------------------------------ stages
    def land(self, zip_path: Path, key: str) -> None:
        self.landing.upload(zip_path, key)

    def unzip(self, key: str):
        handler = load_unzip_handler()
        results = handler.handle_event(
            s3_event(self.landing.bucket, key),
            store_for=lambda bucket: self._bucket(bucket),
            processed=self.processed,
        )
        if len(results) != 1:
            raise StageError("unzip", f"expected one result for {key}, got {len(results)}")
        return results[0]

    def transform(self, batch_id: str, raw_key: str) -> dict:
        _, transform_module = load_glue_modules()
        session = transform_session(self.settings.engine, self.settings.duckdb_memory_limit)
        # as the Glue job does: the unzip stage always leaves the manifest beside the raw CSV
        return transform_module.run_batch(session, str(self.processed.path(raw_key)), str(self.archive.root), batch_id,
                                          require_manifest=True)

    def load(self) -> list:
        return self.snowflake.run_pipes(self.archive)

    def merge(self) -> list:
        return self.snowflake.run_tasks()

    def alert(self, subject: str, detail: dict) -> None:
        self.alerts.send(subject, detail)

    def close(self) -> None:
        if "warehouse" in self.__dict__:
            self.warehouse.close()
            del self.__dict__["warehouse"]
            self.__dict__.pop("snowflake", None)
            self.__dict__.pop("ledger", None)

    def _bucket(self, name: str) -> LocalObjectStore:
        for store in (self.landing, self.processed, self.archive):
            if store.bucket == name:
                return store
        raise StageError("unzip", f"event names an unknown bucket '{name}'")
