"""Plain `postgresql://` / `mysql://` URLs get the installed driver; a missing one names its extra.

The unit tests hide a driver by blocking its module (``sys.modules[name] = None`` makes
``import name`` raise ImportError, as on a machine without the extra). The CLI tests run
`moviepipe run` as a user types it, against the machine's PostgreSQL (skipped, with the
reason, when it is not reachable).
"""

from __future__ import annotations

import re
import sqlite3
import sys
import types

import pytest
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from moviepipe.errors import SourceError
from moviepipe.sources.sql import SqlSource
from moviepipe.sources.sql.drivers import with_driver
from tests.servers import scratch_database
from tests.sources.test_sql_servers import copy_sqlite_to


def hide(monkeypatch, *modules: str) -> None:
    for module in modules:
        monkeypatch.setitem(sys.modules, module, None)


@pytest.mark.parametrize("typed, expected", [
    ("postgresql://u:pw@db:5432/movies", "postgresql+psycopg://u:pw@db:5432/movies"),
    ("postgres://u:pw@db/movies", "postgresql+psycopg://u:pw@db/movies"),
    ("mysql://root@db:3306/movies?charset=utf8mb4", "mysql+pymysql://root@db:3306/movies?charset=utf8mb4"),
    ("mariadb://root@db/movies", "mariadb+pymysql://root@db/movies"),
    ("postgresql+psycopg://u@db/movies", "postgresql+psycopg://u@db/movies"),
    ("postgres+psycopg://u@db/movies", "postgresql+psycopg://u@db/movies"),
    ("sqlite:///films.db", "sqlite:///films.db"),
    ("duckdb:///x.duckdb", "duckdb:///x.duckdb"),
])
def test_plain_urls_get_the_installed_driver_and_keep_the_password(typed, expected):
    assert with_driver(typed) == expected
    assert with_driver(make_url(typed)).render_as_string(hide_password=False) == expected


def test_a_driver_installed_by_other_means_is_used_when_the_extra_is_missing(monkeypatch):
    # psycopg2/mysqlclient are not installed here: a stand-in module shows the choice, not the driver.
    hide(monkeypatch, "psycopg", "pymysql")
    monkeypatch.setitem(sys.modules, "psycopg2", types.ModuleType("psycopg2"))
    monkeypatch.setitem(sys.modules, "MySQLdb", types.ModuleType("MySQLdb"))
    assert with_driver("postgresql://u@db/movies") == "postgresql+psycopg2://u@db/movies"
    assert with_driver("mysql://u@db/movies") == "mysql+mysqldb://u@db/movies"


@pytest.mark.parametrize("url, modules, command", [
    ("postgresql://u:hunter2@db/movies", ("psycopg", "psycopg2"), "pip install -e '.[postgres]'"),
    ("postgres://u@db/movies", ("psycopg", "psycopg2"), "pip install -e '.[postgres]'"),
    ("postgresql+psycopg://u@db/movies", ("psycopg",), "pip install -e '.[postgres]'"),
    ("mysql://root@db/movies", ("pymysql", "MySQLdb"), "pip install -e '.[mysql]'"),
    ("mysql+pymysql://root@db/movies", ("pymysql",), "pip install -e '.[mysql]'"),
])
def test_a_missing_driver_names_the_install_command(monkeypatch, url, modules, command):
    hide(monkeypatch, *modules)
    with pytest.raises(SourceError) as error:
        with_driver(url)
    assert command in str(error.value)
    assert "hunter2" not in str(error.value)
    # The source itself reports it the same way, before SQLAlchemy's "No module named ...".
    with pytest.raises(SourceError, match=re.escape(command)):
        SqlSource(url)


def rows_in(path) -> int:
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT COUNT(*) FROM omdb").fetchone()[0]


@pytest.mark.integration
@pytest.mark.usefixtures("prefect_harness")
class TestCli:
    runner = CliRunner()

    def invoke(self, *args):
        from moviepipe.cli import app

        return self.runner.invoke(app, list(args), catch_exceptions=False)

    def test_run_from_a_plain_postgresql_url(self, home, subset_db, monkeypatch):
        monkeypatch.setenv("MOVIEPIPE_SOURCE", "")  # restored after the test: the CLI sets it
        with scratch_database("postgresql", "moviepipe_conv") as url:
            copy_sqlite_to(subset_db, url)
            plain = url.replace("postgresql+psycopg://", "postgresql://")
            assert plain.startswith("postgresql://postgres@127.0.0.1:5432/")
            result = self.invoke("run", "--source", plain)
        assert result.exit_code == 0, result.output
        extracted = rows_in(subset_db)
        assert f"{extracted:,} extracted" in result.output

    def test_run_without_the_driver_names_the_command(self, home, monkeypatch):
        monkeypatch.setenv("MOVIEPIPE_SOURCE", "")
        hide(monkeypatch, "psycopg", "psycopg2")
        result = self.invoke("run", "--source", "postgresql://postgres@127.0.0.1:5432/movies")
        assert result.exit_code == 1
        errors = [line for line in result.output.splitlines() if line.startswith("error:")]
        assert errors == ["error: no postgresql driver is installed for postgresql:// URLs: "
                          "run pip install -e '.[postgres]'"]
