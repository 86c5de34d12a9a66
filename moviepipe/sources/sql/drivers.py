"""Database drivers: plain URLs (``postgresql://``, ``mysql://``) mapped to the installed driver.

SQLAlchemy reads ``postgresql://`` as ``postgresql+psycopg2://`` and ``mysql://`` as
``mysql+mysqldb://``: drivers moviepipe does not install, so the URL most people type
failed with ``No module named 'psycopg2'``. The drivers moviepipe supports come as
extras (``[postgres]``: psycopg 3, ``[mysql]``: PyMySQL); a URL without a driver gets
the one that is installed, and a missing driver is named with the command that
installs it, before SQLAlchemy ever sees the URL.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from sqlalchemy.engine import URL, make_url

from moviepipe.errors import SourceError


@dataclass(frozen=True)
class Family:
    """A database family: its extra, and its drivers in order of preference (driver name, module)."""

    extra: str
    drivers: tuple[tuple[str, str], ...]

    @property
    def install(self) -> str:
        return f"pip install -e '.[{self.extra}]'"


POSTGRES = Family("postgres", (("psycopg", "psycopg"), ("psycopg2", "psycopg2")))
MYSQL = Family("mysql", (("pymysql", "pymysql"), ("mysqldb", "MySQLdb")))

#: URL backend names (``postgres`` is the Heroku/libpq spelling SQLAlchemy no longer accepts).
FAMILIES = {"postgresql": ("postgresql", POSTGRES), "postgres": ("postgresql", POSTGRES),
            "mysql": ("mysql", MYSQL), "mariadb": ("mariadb", MYSQL)}


def _importable(module: str) -> bool:
    try:
        importlib.import_module(module)
    except ImportError:
        return False
    return True


def _same_type(original: str | URL, url: URL) -> str | URL:
    """A string in, a string out, password kept (``str(URL)`` would mask it)."""
    return url.render_as_string(hide_password=False) if isinstance(original, str) else url


def with_driver(url: str | URL) -> str | URL:
    """``url`` with an installed driver named; other URLs (SQLite, DuckDB, ...) unchanged.

    Raises ``SourceError`` naming the install command when the driver the URL needs,
    or any supported one for a URL without a driver, is not installed.
    """
    try:
        parsed = make_url(url)
    except Exception:
        return url  # the caller reports a URL that does not parse (masked)
    backend, _, driver = parsed.drivername.partition("+")
    if backend not in FAMILIES:
        return url
    dialect, family = FAMILIES[backend]
    if driver:
        module = dict(family.drivers).get(driver)
        if module is None or _importable(module):
            return url if dialect == backend else _same_type(url, parsed.set(drivername=f"{dialect}+{driver}"))
        raise SourceError(f"the {backend}+{driver} driver is not installed (no module {module!r}): "
                          f"run {family.install}, or use {backend}://… with the driver it installs")
    for name, module in family.drivers:
        if _importable(module):
            return _same_type(url, parsed.set(drivername=f"{dialect}+{name}"))
    raise SourceError(f"no {dialect} driver is installed for {backend}:// URLs: run {family.install}")
