"""Where the dashboard's queries go: the one place that picks the connection backend.

Both backends run the same Snowflake SQL (``moviepipe.dashboard.queries``) through a
Snowflake connector cursor and ``fetch_pandas_all()``; only the connection differs:

- ``local`` (default): fakesnow over a read-only copy of the local warehouse
  (``moviepipe.dashboard.snapshot``), so the dashboard works while a run is going
  and never blocks the next one;
- ``snowflake``: ``st.connection("snowflake")``, Streamlit's own Snowflake connection.
  In Streamlit in Snowflake it is the app's session; elsewhere it reads
  ``[connections.snowflake]`` in ``.streamlit/secrets.toml`` or the Snowflake
  connector's ``connections.toml`` (docs/bi.md).

``MOVIEPIPE_DASHBOARD_BACKEND`` (set by ``moviepipe dashboard --backend``) chooses;
without it, Streamlit in Snowflake means ``snowflake`` and anything else ``local``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

from pathlib import Path

import pandas as pd
import streamlit as st

BACKEND_ENV = "MOVIEPIPE_DASHBOARD_BACKEND"
BACKENDS = ("local", "snowflake")
#: How long the Snowflake backend keeps a query's result (seconds): the merges run every few minutes.
SNOWFLAKE_TTL = 300


class BackendError(Exception):
    """The backend cannot be chosen or reached; the message says what to do."""


@dataclass(frozen=True)
class DataAge:
    """What the sidebar says about the data on the page."""

    label: str
    taken_at: datetime | None = None


class Backend(Protocol):
    name: str

    def refresh(self, force: bool = False) -> DataAge: ...

    def query(self, sql: str) -> pd.DataFrame: ...


def tidy(frame: pd.DataFrame) -> pd.DataFrame:
    """The same frame from both backends: NUMBER columns the connector hands over as Decimal become
    numbers (integers where every value is whole), so pages and tests compare plain values."""
    for column in frame.columns:
        values = frame[column].dropna()
        if len(values) and values.map(lambda v: isinstance(v, Decimal)).all():
            whole = values.map(lambda v: v == v.to_integral_value()).all()
            frame[column] = frame[column].map(lambda v, w=whole: None if v is None or pd.isna(v)
                                              else (int(v) if w else float(v)))
            frame[column] = frame[column].astype("Int64" if whole else "float64")
    return frame


class LocalSnapshotBackend:
    """The local warehouse, read through a private read-only copy."""

    name = "local"

    def __init__(self, snapshot):
        self.snapshot = snapshot

    def refresh(self, force: bool = False) -> DataAge:
        info = self.snapshot.refresh(force)
        return DataAge(info.label, info.taken_at)

    def query(self, sql: str) -> pd.DataFrame:
        with self.snapshot.lock:
            cursor = self.snapshot.cursor()
            try:
                cursor.execute(sql)
                return tidy(cursor.fetch_pandas_all())
            finally:
                cursor.close()


class SnowflakeBackend:
    """``st.connection("snowflake")``: results cached for ``ttl`` seconds by Streamlit."""

    name = "snowflake"

    def __init__(self, connection: Any, ttl: int = SNOWFLAKE_TTL):
        self.connection = connection
        self.ttl = ttl

    def refresh(self, force: bool = False) -> DataAge:
        if force:
            st.cache_data.clear()  # conn.query caches through st.cache_data
        return DataAge(f"Snowflake, live (results kept up to {self.ttl // 60} min)")

    def query(self, sql: str) -> pd.DataFrame:
        return tidy(self.connection.query(sql, ttl=self.ttl, show_spinner=False))


def backend_name() -> str:
    """``MOVIEPIPE_DASHBOARD_BACKEND`` if set, else ``snowflake`` inside Streamlit in Snowflake, else ``local``."""
    name = os.environ.get(BACKEND_ENV, "").strip().lower()
    if name:
        if name not in BACKENDS:
            raise BackendError(f"{BACKEND_ENV}={name!r}: use one of {', '.join(BACKENDS)}")
        return name
    from streamlit.connections.util import running_in_sis

    return "snowflake" if running_in_sis() else "local"


def open_backend() -> Backend:
    """The backend for this process, built once (Streamlit's resource cache) and shared by sessions."""
    if backend_name() == "snowflake":
        return SnowflakeBackend(st.connection("snowflake"))
    from moviepipe.settings import load_settings

    settings = load_settings()
    return _local_backend(str(settings.home_dir / "warehouse"), settings.database, settings.duckdb_memory_limit)


@st.cache_resource(show_spinner=False)
def _local_backend(folder: str, database: str, memory_limit: str) -> LocalSnapshotBackend:
    from moviepipe.dashboard.snapshot import WarehouseSnapshot

    return LocalSnapshotBackend(WarehouseSnapshot(Path(folder), database, memory_limit=memory_limit))
