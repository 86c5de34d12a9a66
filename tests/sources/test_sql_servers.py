"""The SQL source against real PostgreSQL and MariaDB servers (skipped, with the reason, when absent)."""

from __future__ import annotations

import pyarrow as pa
import pytest
import sqlalchemy as sa

from moviepipe.sources.sql import SqlSource
from tests.servers import SERVERS, scratch_database

def copy_sqlite_to(sqlite_path, url: str) -> None:
    """Create omdb and tomatoes in the server with the source's column types, and copy the rows."""
    source = sa.create_engine(f"sqlite:///{sqlite_path}")
    target = sa.create_engine(url)
    metadata = sa.MetaData()
    metadata.reflect(source, only=["omdb", "tomatoes"])
    for table in metadata.tables.values():
        for column in table.columns:
            if isinstance(column.type, sa.Text):
                column.type = sa.Text()  # plain TEXT on every dialect
            elif isinstance(column.type, sa.Float):
                column.type = sa.Double()  # SQLite REAL is 8 bytes; PostgreSQL REAL is 4
    metadata.create_all(target)
    with source.connect() as src, target.begin() as dst:
        for table in metadata.tables.values():
            rows = [dict(row._mapping) for row in src.execute(sa.select(table))]
            dst.execute(table.insert(), rows)
    source.dispose()
    target.dispose()


@pytest.fixture(params=sorted(SERVERS))
def server_url(request, subset_db):
    with scratch_database(request.param) as url:
        copy_sqlite_to(subset_db, url)
        yield url


def extract_all(url: str) -> pa.Table:
    source = SqlSource(url, chunk_rows=100)
    try:
        plan = source.plan(None)
        table = pa.Table.from_batches(list(source.batches(plan)), schema=source.schema)
        assert table.num_rows == plan.expected_rows
        return table.sort_by("sourceId")
    finally:
        source.close()


def test_server_extraction_equals_sqlite(server_url, subset_db):
    expected = extract_all(f"sqlite:///{subset_db}")
    actual = extract_all(server_url)
    assert actual.column_names == expected.column_names
    for name in expected.column_names:
        assert actual.column(name).to_pylist() == expected.column(name).to_pylist(), name


def test_server_incremental_watermark(server_url):
    engine = sa.create_engine(server_url)
    with engine.begin() as conn:
        omdb = sa.Table("omdb", sa.MetaData(), autoload_with=conn)
        ids = [row[0] for row in conn.execute(sa.select(omdb.c.ID).order_by(omdb.c.ID).limit(7))]
        conn.execute(omdb.update().where(omdb.c.ID.in_(ids)).values(lastUpdated="2026-11-21"))
    engine.dispose()
    source = SqlSource(server_url)
    try:
        plan = source.plan("2026-10-18")
        assert plan.expected_rows == 7 and plan.high == "2026-11-21"
        assert sorted(b for batch in source.batches(plan) for b in batch.column("sourceId").to_pylist()) == ids
    finally:
        source.close()
