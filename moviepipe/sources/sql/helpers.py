"""SQLAlchemy plumbing of the SQL source: connect, reflect, build the query, stream rows.

The query is built with SQLAlchemy Core from reflected tables, so identifier
quoting and parameter types are right on SQLite, PostgreSQL and MySQL/MariaDB
alike. Rows are streamed with a server-side cursor in chunks of ``chunk_rows``,
so memory stays bounded whatever the table size.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Iterator

import pyarrow as pa
import sqlalchemy as sa
from sqlalchemy.engine import URL, Engine, make_url

from moviepipe.errors import SourceError
from moviepipe.sources.sql.drivers import with_driver


def masked(url: str | URL) -> str:
    """The URL as it may appear in logs, manifests and errors: password hidden."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not a URL at all: say nothing of its content
        return "<unparseable source URL>"


def connect(url: str) -> Engine:
    """An engine for ``url`` that fails early and clearly (never creates an empty SQLite file)."""
    url = with_driver(url)  # postgresql:// and mysql:// get the installed driver, or name its extra
    try:
        parsed = make_url(url)
    except Exception:
        raise SourceError(f"source URL is not a SQLAlchemy URL: {masked(url)}") from None
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if not database or database == ":memory:":
            raise SourceError("source is an in-memory SQLite database; point --source at a file")
        path = Path(database).expanduser()
        if not path.is_file():
            raise SourceError(f"source database not found: {path}")
        # Read-only: an extraction must never create or change the source.
        parsed = parsed.set(database=f"file:{path.resolve()}?mode=ro", query={"uri": "true"})
    try:
        engine = sa.create_engine(parsed, pool_pre_ping=True)
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except SourceError:
        raise
    except Exception as error:
        raise SourceError(f"cannot open source {masked(url)}: {first_line(error)}") from None
    return engine


def reflect(engine: Engine, mapping: dict, source_name: str) -> dict[str, sa.Table]:
    """The mapped tables; a missing table, key or watermark column is an error under any policy."""
    metadata = sa.MetaData()
    tables = {}
    for name in [mapping["base"], *mapping.get("joins", {})]:
        try:
            tables[name] = sa.Table(name, metadata, autoload_with=engine)
        except sa.exc.NoSuchTableError:
            raise SourceError(f"source {source_name} has no table '{name}'") from None
        except sa.exc.DatabaseError as error:
            raise SourceError(f"source {source_name} is not a readable database: {first_line(error)}") from None
    needed = [(mapping["base"], mapping["key"]), tuple(mapping["watermark"]),
              *[(name, key) for name, key in mapping.get("joins", {}).items()]]
    for table, column in needed:
        if column not in tables[table].c:
            raise SourceError(f"source {source_name}: key or watermark column '{table}.{column}' does not exist")
    return tables


def find_drift(tables: dict[str, sa.Table], mapping: dict) -> tuple[list[dict], list[str]]:
    """Columns the source has beyond the mapping (added) and mapped columns it lacks (missing).

    ``added`` entries are ``{"name": label, "type": family, "table": t, "column": c}``;
    the label is the column's own name unless it clashes with a contract name or
    another added column, then ``table__column``. ``missing`` holds contract names.
    """
    used = {tuple(target) for target in mapping["columns"].values() if isinstance(target, tuple)}
    used |= {(mapping["base"], mapping["key"]), tuple(mapping["watermark"])}
    ignored = {tuple(item.split(".", 1)) if isinstance(item, str) else tuple(item)
               for item in mapping.get("ignore", [])}
    join_keys = {(name, key) for name, key in mapping.get("joins", {}).items()}
    taken = set(mapping["columns"])
    added = []
    for table_name, table in tables.items():
        for column in table.c:
            ref = (table_name, column.name)
            if ref in used or ref in ignored or ref in join_keys:
                continue
            label = column.name if column.name not in taken else f"{table_name}__{column.name}"
            taken.add(label)
            added.append({"name": label, "type": type_family(column.type), "table": table_name, "column": column.name})
    missing = [name for name, target in mapping["columns"].items()
               if isinstance(target, tuple) and target[1] not in tables[target[0]].c]
    return added, missing


def type_family(sql_type: sa.types.TypeEngine) -> str:
    """A coarse type name that survives dialect differences (INTEGER vs BIGINT is no drift)."""
    return {pa.bool_(): "boolean", pa.int64(): "integer", pa.float64(): "number", pa.timestamp("us"): "timestamp",
            pa.date32(): "date"}.get(arrow_type(sql_type), "text")


def build_select(tables: dict[str, sa.Table], mapping: dict, missing=(), added=()) -> tuple[sa.Select, sa.Column]:
    """SELECT of the contract columns (missing ones as NULL text), then any carried ``added`` columns."""
    base = tables[mapping["base"]]
    joined = base
    for name, key in mapping.get("joins", {}).items():
        joined = joined.outerjoin(tables[name], tables[name].c[key] == base.c[mapping["key"]])
    columns = []
    for contract_name, target in mapping["columns"].items():
        if isinstance(target, tuple) and contract_name not in missing:
            table, column = target
            columns.append(tables[table].c[column].label(contract_name))
        elif isinstance(target, str):
            columns.append(sa.literal(target, type_=sa.String).label(contract_name))
        else:
            columns.append(sa.null().cast(sa.String).label(contract_name))
    for extra in added:
        columns.append(tables[extra["table"]].c[extra["column"]].label(extra["name"]))
    watermark_table, watermark_column = mapping["watermark"]
    watermark = tables[watermark_table].c[watermark_column]
    return sa.select(*columns).select_from(joined), watermark


def watermark_param(column: sa.Column, value: str):
    """A watermark kept as an ISO string, typed for the column it is compared with."""
    if isinstance(column.type, sa.DateTime):
        return dt.datetime.fromisoformat(value)
    if isinstance(column.type, sa.Date):
        return dt.date.fromisoformat(value[:10])
    return value


def to_watermark_string(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return str(value)


def arrow_type(sql_type: sa.types.TypeEngine) -> pa.DataType:
    """Arrow type for a source column; anything unusual travels as text."""
    if isinstance(sql_type, sa.Boolean):
        return pa.bool_()
    if isinstance(sql_type, sa.Integer):
        return pa.int64()
    if isinstance(sql_type, (sa.Float, sa.Numeric)):
        return pa.float64()
    if isinstance(sql_type, sa.DateTime):
        return pa.timestamp("us")
    if isinstance(sql_type, sa.Date):
        return pa.date32()
    return pa.string()


def arrow_schema(query: sa.Select) -> pa.Schema:
    return pa.schema([pa.field(column.name, arrow_type(column.type)) for column in query.selected_columns])


def stream_batches(engine: Engine, query: sa.Select, schema: pa.Schema, chunk_rows: int) -> Iterator[pa.RecordBatch]:
    """Yield the query's rows as Arrow record batches of at most ``chunk_rows`` rows.

    Rows come straight from the DBAPI cursor (a server-side one: SQLAlchemy's
    ``stream_results``), skipping SQLAlchemy's per-row Row objects: that is
    about 4x faster, and Arrow does the type conversion per column instead.
    """
    with engine.connect() as conn:
        result = conn.execution_options(stream_results=True, yield_per=chunk_rows).execute(query)
        fetch = _raw_fetcher(result)
        try:
            while True:
                rows = fetch(chunk_rows)
                if not rows:
                    break
                columns = list(zip(*rows))
                arrays = [_to_array(values, field.type, field.name) for values, field in zip(columns, schema)]
                yield pa.RecordBatch.from_arrays(arrays, schema=schema)
        finally:
            result.close()


def _raw_fetcher(result):
    """``fetchmany`` returning the DBAPI's plain tuples, through the result's own buffer.

    SQLAlchemy pre-buffers rows of a streamed result, so reading its cursor
    directly would skip them; its fetch strategy serves the buffer first.
    (SQLAlchemy is pinned below 2.1; the public, slower path is the fallback.)
    """
    strategy = getattr(result, "cursor_strategy", None)
    if strategy is not None and hasattr(strategy, "fetchmany") and result.cursor is not None:
        return lambda size: strategy.fetchmany(result, result.cursor, size)
    return lambda size: [tuple(row) for row in result.fetchmany(size)]


def scan_keys(engine: Engine, key_column: sa.Column, natural_key: sa.Column, chunk_rows: int) -> pa.Table:
    """Every (imdbID, sourceId) the source holds now, for delete detection. Two columns only."""
    query = sa.select(natural_key.label("imdbID"), sa.cast(key_column, sa.String).label("sourceId"))
    schema = pa.schema([("imdbID", pa.string()), ("sourceId", pa.string())])
    batches = list(stream_batches(engine, query.where(natural_key.is_not(None)), schema, chunk_rows))
    return pa.Table.from_batches(batches, schema=schema)


def _coerce(values, arrow_type_: pa.DataType):
    """Drivers differ: MySQL returns Decimal for REAL/DOUBLE, PostgreSQL for NUMERIC."""
    if pa.types.is_floating(arrow_type_):
        return [float(v) if isinstance(v, Decimal) else v for v in values]
    if pa.types.is_integer(arrow_type_):
        return [int(v) if isinstance(v, Decimal) and v == v.to_integral_value() else v for v in values]
    return values


def _to_array(values, arrow_type_: pa.DataType, name: str) -> pa.Array:
    try:
        return pa.array(values, type=arrow_type_)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
        pass
    try:
        return pa.array(_coerce(values, arrow_type_), type=arrow_type_)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
        pass
    if pa.types.is_temporal(arrow_type_) or pa.types.is_string(arrow_type_):
        # raw DBAPI values: SQLite keeps dates as ISO text; other drivers may hand back numbers for text
        try:
            text = pa.array([None if v is None else str(v) for v in values], type=pa.string())
            return text if pa.types.is_string(arrow_type_) else text.cast(arrow_type_)
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
            pass
    # SQLite is loosely typed: say which value does not fit rather than guess.
    for value in values:
        try:
            pa.array(_coerce([value], arrow_type_), type=arrow_type_)
        except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
            raise SourceError(f"source column {name} holds {str(value)[:40]!r}, which is not {arrow_type_}") from None
    raise SourceError(f"source column {name}: values do not convert to {arrow_type_}")


def first_line(error: BaseException) -> str:
    """The first line of a driver's error (its ``orig`` when wrapped by SQLAlchemy); never empty."""
    text = str(getattr(error, "orig", None) or error)
    return text.strip().splitlines()[0] if text.strip() else type(error).__name__


def shift_watermark(value: str, days: float) -> str:
    """``value`` moved back by the look-back window, in the same textual form."""
    if not days:
        return value
    try:
        if len(value) == 10:
            return (dt.date.fromisoformat(value) - dt.timedelta(days=days)).isoformat()
        return (dt.datetime.fromisoformat(value) - dt.timedelta(days=days)).isoformat()
    except ValueError:
        pass
    try:
        number = float(value)
    except ValueError:
        raise SourceError(f"look-back needs a date, timestamp or numeric watermark, not {value[:30]!r}") from None
    shifted = number - days
    return str(int(shifted)) if shifted.is_integer() and "." not in value else str(shifted)


def deleted_keys(previous: pa.Table | None, current: pa.Table) -> pa.Table:
    """imdbIDs present in the previous key scan and absent now (with one sourceId each)."""
    schema = pa.schema([("imdbID", pa.string()), ("sourceId", pa.string())])
    if previous is None or previous.num_rows == 0:
        return schema.empty_table()
    import pyarrow.compute as pc

    gone = pc.invert(pc.is_in(previous.column("imdbID"), value_set=pc.unique(current.column("imdbID"))))
    table = previous.filter(gone).select(["imdbID", "sourceId"]).cast(schema)
    # one row per imdbID (two films may share one): keep the smallest sourceId
    return table.group_by("imdbID").aggregate([("sourceId", "min")]).rename_columns(["imdbID", "sourceId"]) \
        .sort_by("imdbID")
