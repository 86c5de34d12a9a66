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


def masked(url: str | URL) -> str:
    """The URL as it may appear in logs, manifests and errors: password hidden."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not a URL at all: say nothing of its content
        return "<unparseable source URL>"


def connect(url: str) -> Engine:
    """An engine for ``url`` that fails early and clearly (never creates an empty SQLite file)."""
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
        raise SourceError(f"cannot open source {masked(url)}: {_first_line(error)}") from None
    return engine


def reflect(engine: Engine, mapping: dict, source_name: str) -> dict[str, sa.Table]:
    metadata = sa.MetaData()
    tables = {}
    for name in [mapping["base"], *mapping.get("joins", {})]:
        try:
            tables[name] = sa.Table(name, metadata, autoload_with=engine)
        except sa.exc.NoSuchTableError:
            raise SourceError(f"source {source_name} has no table '{name}'") from None
        except sa.exc.DatabaseError as error:
            raise SourceError(f"source {source_name} is not a readable database: {_first_line(error)}") from None
    for contract_name, target in mapping["columns"].items():
        if isinstance(target, tuple):
            table, column = target
            if column not in tables[table].c:
                raise SourceError(f"source {source_name}: column '{table}.{column}' (mapped to {contract_name}) "
                                  "does not exist")
    return tables


def build_select(tables: dict[str, sa.Table], mapping: dict) -> tuple[sa.Select, sa.Column]:
    base = tables[mapping["base"]]
    joined = base
    for name, key in mapping.get("joins", {}).items():
        joined = joined.outerjoin(tables[name], tables[name].c[key] == base.c[mapping["key"]])
    columns = []
    for contract_name, target in mapping["columns"].items():
        if isinstance(target, tuple):
            table, column = target
            columns.append(tables[table].c[column].label(contract_name))
        else:
            columns.append(sa.literal(target, type_=sa.String).label(contract_name))
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
    """Yield the query's rows as Arrow record batches of at most ``chunk_rows`` rows."""
    with engine.connect() as conn:
        result = conn.execution_options(stream_results=True, yield_per=chunk_rows).execute(query)
        for rows in result.partitions(chunk_rows):
            columns = list(zip(*rows)) if rows else [[] for _ in schema]
            arrays = [_to_array(values, field.type, field.name) for values, field in zip(columns, schema)]
            yield pa.RecordBatch.from_arrays(arrays, schema=schema)


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
        values = _coerce(values, arrow_type_)
        try:
            return pa.array(values, type=arrow_type_)
        except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
            pass
        # SQLite is loosely typed: say which value does not fit rather than guess.
        for value in values:
            try:
                pa.array([value], type=arrow_type_)
            except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
                raise SourceError(f"source column {name} holds {str(value)[:40]!r}, which is not {arrow_type_}") from None
        raise


def _first_line(error: BaseException) -> str:
    text = str(getattr(error, "orig", None) or error)
    return text.strip().splitlines()[0] if text.strip() else type(error).__name__
