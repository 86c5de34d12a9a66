"""Acceptance: the default dataset in PostgreSQL and in MariaDB gives the same DIM_MOVIE as in SQLite.

The whole bokeh-sampledata movies.db (17,472 films) is copied into a fresh
database on each server and run through the real flow; the dimensions are
compared column by column (minus surrogate keys and load lineage, which name
the source). Skips with the reason when a server is not reachable; CI has both.
"""

from __future__ import annotations

import pytest

from flows.pipeline import run_flow
from tests.conftest import default_db_path
from tests.conftest import warehouse_query as query
from tests.servers import SERVERS, scratch_database
from tests.sources.test_sql_servers import copy_sqlite_to

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("prefect_harness")]

#: Columns that identify the load rather than the movie.
LOAD_COLUMNS = {"MOVIE_KEY", "BATCH_ID", "UPDATED_AT", "LOADED_AT", "CREATED_AT", "SOURCE_FILE"}


def dimension(home) -> list[tuple]:
    rows = query(home, "SELECT * FROM ANALYTICS.DIM_MOVIE")
    assert rows, "DIM_MOVIE is empty"
    columns = sorted(set(rows[0]) - LOAD_COLUMNS)
    return sorted(tuple(str(row[c]) for c in columns) for row in rows)


@pytest.fixture(scope="module")
def sqlite_dimension(tmp_path_factory):
    home = tmp_path_factory.mktemp("sqlite-home")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MOVIEPIPE_HOME", str(home))
        result = run_flow(source=f"sqlite:///{default_db_path()}", home=str(home))
    assert result["reconcile"]["extracted"] == 17472
    return dimension(home)


@pytest.mark.parametrize("server", sorted(SERVERS))
def test_default_dataset_from_a_server_gives_the_sqlite_dimension(server, sqlite_dimension, tmp_path, monkeypatch):
    with scratch_database(server, "moviepipe_full") as url:
        copy_sqlite_to(default_db_path(), url)
        home = tmp_path / "home"
        monkeypatch.setenv("MOVIEPIPE_HOME", str(home))
        monkeypatch.setenv("MOVIEPIPE_SOURCE", url)  # as the CLI passes it: never a flow parameter
        result = run_flow(home=str(home))
        assert result["reconcile"]["extracted"] == 17472
        assert result["reconcile"]["balanced"]
        assert dimension(home) == sqlite_dimension
