"""Configuration from the environment (``MOVIEPIPE_*``), validated by pydantic-settings.

Only the runtime factory (``moviepipe.runtime``) reads ``runtime``; the rest of
the code is handed resources and never asks where it runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MOVIEPIPE_", extra="ignore")

    #: ``local`` (default): folders + fakesnow. ``cloud``: S3, Lambda, Glue, Snowflake.
    runtime: Literal["local", "cloud"] = "local"
    #: Where the local runtime keeps buckets, warehouse, state and alerts.
    home: Path = Field(default=Path(".moviepipe"))
    #: Glue transform engine when run locally: sqlframe on DuckDB (no JVM) or PySpark.
    engine: Literal["duckdb", "spark"] = "duckdb"
    #: Source SQLAlchemy URL; empty means the bundled bokeh-sampledata movies.db.
    source: str = ""
    #: Rows per chunk when streaming from the source (bounds extraction memory).
    chunk_rows: int = Field(default=50_000, ge=1)
    #: Snowflake names used to render ``sql/``.
    database: str = "MOVIEPIPE"
    warehouse: str = "MOVIEPIPE_WH"

    @property
    def home_dir(self) -> Path:
        return self.home.expanduser().resolve()


def load_settings(**overrides) -> Settings:
    return Settings(**{key: value for key, value in overrides.items() if value is not None})
