"""Where the IMDb ids to fetch come from: a file, a SQL query (enrichment) or any iterable/callable (refresh).

Every feed yields the same ``IdList``: valid ids once each in first-seen order,
and every rejected entry with where it was and why, so a typo in an id file is
reported rather than silently skipped. Feeds are read when the source plans,
so a callable (e.g. the warehouse's current ``IMDB_ID``s) is asked at that
moment, not when the source is built.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, runtime_checkable

import sqlalchemy as sa

from moviepipe.errors import SourceError
from moviepipe.sources.omdb.settings import IMDB_ID_RE
from moviepipe.sources.sql import helpers as sql_helpers

_INVALID = "not an IMDb title id (tt followed by 7 or 8 digits)"


@dataclass
class IdList:
    label: str
    ids: list[str] = field(default_factory=list)
    #: (where, value, reason) for every entry that is not a valid id.
    invalid: list[tuple[str, str, str]] = field(default_factory=list)
    duplicates: int = 0

    def add(self, value, where: str, seen: set[str]) -> None:
        if value is None:
            self.invalid.append((where, "", "empty (NULL) id"))
            return
        text = str(value).strip()
        if not IMDB_ID_RE.match(text):
            self.invalid.append((where, text[:40], _INVALID))
        elif text in seen:
            self.duplicates += 1
        else:
            seen.add(text)
            self.ids.append(text)


@runtime_checkable
class IdFeed(Protocol):
    label: str

    def read(self) -> IdList: ...


@dataclass
class FileIds:
    """One id per line; blank lines and ``#`` comments (whole-line or trailing) are ignored."""

    path: Path

    @property
    def label(self) -> str:
        return f"file:{self.path.name}"

    def read(self) -> IdList:
        if not self.path.is_file():
            raise SourceError(f"OMDb id file not found: {self.path}")
        result, seen = IdList(self.label), set()
        with open(self.path, encoding="utf-8-sig") as handle:
            for number, line in enumerate(handle, start=1):
                text = line.split("#", 1)[0].strip()
                if text:
                    result.add(text, f"{self.path.name}:{number}", seen)
        return result


@dataclass
class SqlIds:
    """Ids from a SQLAlchemy database: a query's first column, or ``table.column`` (distinct, non-NULL kept)."""

    url: str
    query: str | None = None
    table: str | None = None
    column: str = "imdbID"

    def __post_init__(self):
        if (self.query is None) == (self.table is None):
            raise SourceError("OMDb SQL ids: give either a query or a table (with its column), not both or neither")

    @property
    def label(self) -> str:
        what = self.table and f"{self.table}.{self.column}" or "query"
        return f"sql:{sql_helpers.masked(self.url)}:{what}"

    def read(self) -> IdList:
        engine = sql_helpers.connect(self.url)  # read-only for SQLite, password masked in errors
        result, seen = IdList(self.label), set()
        try:
            if self.query is not None:
                statement = sa.text(self.query)
            else:
                try:
                    table = sa.Table(self.table, sa.MetaData(), autoload_with=engine)
                except sa.exc.NoSuchTableError:
                    raise SourceError(f"OMDb SQL ids: no table {self.table!r} in "
                                      f"{sql_helpers.masked(self.url)}") from None
                if self.column not in table.c:
                    raise SourceError(f"OMDb SQL ids: table {self.table!r} has no column {self.column!r}")
                statement = sa.select(table.c[self.column]).distinct()
            with engine.connect() as conn:
                rows = conn.execution_options(stream_results=True).execute(statement)
                for number, row in enumerate(rows, start=1):
                    result.add(row[0], f"row {number}", seen)
        except SourceError:
            raise
        except sa.exc.SQLAlchemyError as error:
            raise SourceError(f"OMDb SQL ids from {sql_helpers.masked(self.url)}: "
                              f"{sql_helpers.first_line(error)}") from None
        finally:
            engine.dispose()
        return result


@dataclass
class IterableIds:
    """Ids from a list, or from a callable asked at plan time (e.g. the warehouse's current movies)."""

    values: Iterable | Callable[[], Iterable]
    label: str = "ids"

    def read(self) -> IdList:
        values = self.values() if callable(self.values) else self.values
        result, seen = IdList(self.label), set()
        for number, value in enumerate(values, start=1):
            if isinstance(value, (tuple, list)):  # a DB-API row
                value = value[0] if value else None
            elif isinstance(value, dict):  # a warehouse row as a mapping
                value = next(iter(value.values()), None)
            result.add(value, f"item {number}", seen)
        return result


def as_feed(ids) -> IdFeed:
    """Accept a feed, a Path (an id file), or an iterable/callable of ids."""
    if isinstance(ids, IdFeed):
        return ids
    if isinstance(ids, Path):
        return FileIds(ids)
    if isinstance(ids, (str, bytes)):
        raise SourceError("OMDb ids: pass a Path for an id file (or ids_from_file), or a list of ids, not a string")
    if callable(ids):
        return IterableIds(ids, label=getattr(ids, "__name__", "ids"))
    if isinstance(ids, Iterable):
        return IterableIds(list(ids))
    raise SourceError(f"OMDb ids: cannot read ids from a {type(ids).__name__}")
