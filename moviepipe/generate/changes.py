"""Edit and delete a share of a generated (or any default-schema) source, set-based.

The chosen films and their new values go into a scratch table in one bulk insert;
then one UPDATE per table rewrites exactly those films (``COALESCE(new, old)``: a
NULL in the scratch table means "this field keeps its value") and one DELETE per
table removes the deleted ones. Every changed film gets a ``lastUpdated`` later
than any in the source, so the next incremental extraction sees all of them, and
at least one of its title, runtime, ratings or box office really changes, so the
warehouse sees a new version and not a no-op.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa

from moviepipe.errors import SourceError
from moviepipe.generate import rows as R
from moviepipe.generate.sinks import sqlite_path
from moviepipe.sources.sql.drivers import with_driver
from moviepipe.sources.sql.helpers import first_line, masked

CHANGED_TABLE = "_moviepipe_changed"
DELETED_TABLE = "_moviepipe_deleted"
#: Chance that each group of fields changes on a changed film (at least one always does).
FIELD_GROUPS = ("title", "runtime", "ratings", "box_office")
GROUP_CHANCE = 0.5


@dataclass
class ChangeReport:
    rows_before: int
    changed: int
    deleted: int
    at: str
    fields: dict[str, int] = field(default_factory=dict)


def _check_share(name: str, value: float) -> None:
    if not 0 <= value <= 100:
        raise SourceError(f"{name} must be a percentage between 0 and 100, got {value}")


def _later_than(at: str | None, newest: str | None) -> str:
    """The new ``lastUpdated``: ``at`` if later than every film's, else the day after the newest."""
    newest_day = date.fromisoformat(newest[:10]) if newest else None
    if at is None:
        return (newest_day + timedelta(days=1) if newest_day else date.today()).isoformat()
    try:
        day = date.fromisoformat(at)
    except ValueError:
        raise SourceError(f"--at must be an ISO date (YYYY-MM-DD), got {at!r}") from None
    if newest_day is not None and day <= newest_day:
        raise SourceError(f"--at {at} is not later than the newest lastUpdated in the source ({newest[:10]}): "
                          "an incremental extraction would not see the changes")
    return day.isoformat()


def _new_values(rng, ids: np.ndarray, seed: int) -> pa.Table:
    """New values for the changed films; NULL where a field keeps its value."""
    n = len(ids)
    groups = rng.random((n, len(FIELD_GROUPS))) < GROUP_CHANCE
    groups[~groups.any(axis=1), 2] = True  # nothing picked: change the ratings
    title, runtime, ratings, box = (groups[:, i] for i in range(len(FIELD_GROUPS)))
    meter = np.round(R.from_quantiles(rng, "Meter", n)).astype(np.int64)
    return pa.table({
        "ID": pa.array(ids),
        "Title": pc.if_else(pa.array(title), R.titles(rng, R.pools(seed), n), pa.scalar(None, pa.string())),
        "Runtime": pa.array(np.round(R.from_quantiles(rng, "Runtime", n)), mask=~runtime),
        "Metacritic": pa.array(np.round(R.from_quantiles(rng, "Metacritic", n)).astype(np.int64), mask=~ratings),
        "Meter": pa.array(meter, mask=~ratings),
        "TomatoRating": pa.array(R.tomato_ratings(rng, meter), mask=~ratings),
        "BoxOffice": pa.array(R.box_office(rng, n), mask=~box),
    })


def _scratch(conn, name: str, table: pa.Table) -> sa.Table:
    types = {pa.int64(): sa.BigInteger, pa.float64(): sa.Double, pa.string(): sa.Text}
    scratch = sa.Table(name, sa.MetaData(), *(
        sa.Column(f.name, types[f.type](), primary_key=f.name == "ID", autoincrement=False) for f in table.schema))
    scratch.drop(conn, checkfirst=True)
    scratch.create(conn)
    if table.num_rows:
        conn.execute(scratch.insert(), table.to_pylist())
    return scratch


def apply_changes(url: str, changes: float = 0.0, seed: int = 0, delete: float = 0.0,
                  at: str | None = None) -> ChangeReport:
    """Change ``changes``% of the films and delete ``delete``% (disjoint, chosen by ``seed``)."""
    _check_share("--changes", changes)
    _check_share("--delete", delete)
    if changes + delete > 100:
        raise SourceError(f"--changes {changes} plus --delete {delete} exceed 100%")
    path = sqlite_path(url)
    if path is not None and not path.is_file():
        raise SourceError(f"no such SQLite file: {path}")
    try:
        engine = sa.create_engine(with_driver(url))
        metadata = sa.MetaData()
        metadata.reflect(engine, only=["omdb", "tomatoes"])
    except sa.exc.InvalidRequestError:
        raise SourceError(f"{masked(url)} has no omdb and tomatoes tables (the default schema)") from None
    except Exception as error:  # the driver's message names the problem
        raise SourceError(f"cannot open {masked(url)}: {first_line(error)}") from None
    omdb, tomatoes = metadata.tables["omdb"], metadata.tables["tomatoes"]
    try:
        with engine.begin() as conn:
            ids = _all_ids(conn, omdb)
            newest = max(filter(None, (conn.execute(sa.select(sa.func.max(t.c.lastUpdated))).scalar()
                                       for t in (omdb, tomatoes))), default=None)
            stamp = _later_than(at, newest)
            n_changed, n_deleted = round(len(ids) * changes / 100), round(len(ids) * delete / 100)
            rng = R.stream(seed, 0xC4A6, len(ids))
            chosen = ids[rng.choice(len(ids), n_changed + n_deleted, replace=False)] if len(ids) else ids
            values = _new_values(rng, np.sort(chosen[:n_changed]), seed)
            report = ChangeReport(len(ids), n_changed, n_deleted, stamp, {
                name: values.num_rows - values.column(column).null_count
                for name, column in (("title", "Title"), ("runtime", "Runtime"), ("ratings", "Meter"),
                                     ("box_office", "BoxOffice"))})
            if n_changed:
                _update(conn, omdb, tomatoes, _scratch(conn, CHANGED_TABLE, values), stamp, n_changed)
            if n_deleted:
                gone = _scratch(conn, DELETED_TABLE, pa.table({"ID": pa.array(np.sort(chosen[n_changed:]))}))
                for table in (omdb, tomatoes):
                    conn.execute(table.delete().where(table.c.ID.in_(sa.select(gone.c.ID))))
            for name in (CHANGED_TABLE, DELETED_TABLE):
                sa.Table(name, sa.MetaData()).drop(conn, checkfirst=True)
    finally:
        engine.dispose()
    return report


def _all_ids(conn, omdb: sa.Table) -> np.ndarray:
    """Every film's ID in order, through the raw driver cursor (SQLAlchemy rows cost ~1 s per million)."""
    statement = str(sa.select(omdb.c.ID).order_by(omdb.c.ID).compile(dialect=conn.dialect))
    cursor = conn.connection.dbapi_connection.cursor()
    try:
        cursor.execute(statement)
        return np.fromiter((row[0] for row in cursor.fetchall()), dtype=np.int64)
    finally:
        cursor.close()


def _update(conn, omdb: sa.Table, tomatoes: sa.Table, new: sa.Table, stamp: str, expected: int) -> None:
    def fresh(column: str, target: sa.Table):
        return sa.select(new.c[column]).where(new.c.ID == target.c.ID).scalar_subquery()

    def keep(target: sa.Table, column: str, new_column: str | None = None):
        return sa.func.coalesce(fresh(new_column or column, target), target.c[column])

    chosen = sa.select(new.c.ID)
    result = conn.execute(omdb.update().where(omdb.c.ID.in_(chosen)).values(
        Title=keep(omdb, "Title"), Runtime=keep(omdb, "Runtime"), Metacritic=keep(omdb, "Metacritic"),
        lastUpdated=stamp))
    if result.rowcount != expected:
        raise SourceError(f"updated {result.rowcount} omdb rows, expected {expected}")
    meter = fresh("Meter", tomatoes)
    fresh_count = sa.cast(sa.func.round(meter * tomatoes.c.Reviews / 100.0), sa.BigInteger)
    conn.execute(tomatoes.update().where(tomatoes.c.ID.in_(chosen)).values(
        Meter=keep(tomatoes, "Meter"), Rating=keep(tomatoes, "Rating", "TomatoRating"),
        Fresh=sa.func.coalesce(fresh_count, tomatoes.c.Fresh),
        Rotten=sa.func.coalesce(tomatoes.c.Reviews - fresh_count, tomatoes.c.Rotten),
        BoxOffice=keep(tomatoes, "BoxOffice"), lastUpdated=stamp))
