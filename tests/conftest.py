"""Shared fixtures: a private MOVIEPIPE_HOME per test, small copies of the real source."""

from __future__ import annotations

import os
import shutil
import sqlite3
from pathlib import Path

import pytest

os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")

REPO = Path(__file__).resolve().parents[1]
DUPLICATE_IMDB_IDS = ("tt0078788", "tt0850669")


def default_db_path() -> Path:
    from moviepipe.sources.sql import default_source_url

    return Path(default_source_url().removeprefix("sqlite:///"))


def make_subset(target: Path, limit: int, include_duplicates: bool = True) -> Path:
    """A copy of movies.db with its first ``limit`` films (plus the two shared imdbIDs)."""
    source = default_db_path()
    with sqlite3.connect(target) as conn:
        conn.execute("ATTACH DATABASE ? AS src", (f"file:{source}?mode=ro",))
        for (ddl,) in conn.execute("SELECT sql FROM src.sqlite_master WHERE type='table' AND name IN ('omdb','tomatoes')"):
            conn.execute(ddl)
        extra = ",".join(f"'{i}'" for i in DUPLICATE_IMDB_IDS) if include_duplicates else "''"
        ids = f"SELECT ID FROM src.omdb WHERE ID IN (SELECT ID FROM src.omdb ORDER BY ID LIMIT {int(limit)}) " \
              f"OR imdbID IN ({extra})"
        conn.execute(f"INSERT INTO omdb SELECT * FROM src.omdb WHERE ID IN ({ids})")
        conn.execute(f"INSERT INTO tomatoes SELECT * FROM src.tomatoes WHERE ID IN ({ids})")
        conn.commit()
        conn.execute("DETACH DATABASE src")
    return target


def warehouse_query(home: Path, sql: str) -> list[dict]:
    """Run SQL on the local warehouse under ``home`` (the sql/ tree applied first)."""
    from moviepipe.runtime import build_runtime
    from moviepipe.settings import load_settings

    rt = build_runtime(load_settings(home=str(home)))
    try:
        rt.snowflake
        return rt.warehouse.query(sql)
    finally:
        rt.close()


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    path = tmp_path / "home"
    monkeypatch.setenv("MOVIEPIPE_HOME", str(path))
    monkeypatch.delenv("MOVIEPIPE_RUNTIME", raising=False)
    monkeypatch.delenv("MOVIEPIPE_SOURCE", raising=False)
    return path


@pytest.fixture(scope="session")
def subset_template(tmp_path_factory) -> Path:
    return make_subset(tmp_path_factory.mktemp("src") / "movies_300.db", 300)


@pytest.fixture
def subset_db(tmp_path, subset_template) -> Path:
    """A private, writable copy of a 300-film (+ duplicates) subset of movies.db."""
    target = tmp_path / "movies.db"
    shutil.copyfile(subset_template, target)
    return target

@pytest.fixture(scope="session")
def prefect_harness():
    """One Prefect test server for the whole session (each costs 10-20 s to start)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield
