import sqlite3

import pyarrow as pa
import pytest

from moviepipe.contract import EXTRA_COLUMNS, RAW_COLUMNS
from moviepipe.errors import SourceError
from moviepipe.sources.sql import SqlSource


def test_default_source_has_the_whole_dataset():
    source = SqlSource()
    try:
        plan = source.plan(None)
        assert plan.expected_rows == 17472
        assert plan.high == "2026-10-18"
        assert source.schema.names == list(RAW_COLUMNS + EXTRA_COLUMNS)
    finally:
        source.close()


def test_streams_in_bounded_chunks(subset_db):
    source = SqlSource(f"sqlite:///{subset_db}", chunk_rows=64)
    try:
        plan = source.plan(None)
        sizes = [batch.num_rows for batch in source.batches(plan)]
        assert max(sizes) <= 64
        with sqlite3.connect(subset_db) as conn:
            films = conn.execute("SELECT COUNT(*) FROM omdb").fetchone()[0]
        assert sum(sizes) == plan.expected_rows == films > 300
    finally:
        source.close()


def test_incremental_reads_only_rows_past_the_watermark(subset_db):
    with sqlite3.connect(subset_db) as conn:
        conn.execute("UPDATE omdb SET lastUpdated = '2026-11-01', Title = Title || ' (restored)' "
                     "WHERE ID IN (SELECT ID FROM omdb ORDER BY ID LIMIT 5)")
    source = SqlSource(f"sqlite:///{subset_db}")
    try:
        plan = source.plan("2026-10-18")
        table = pa.Table.from_batches(list(source.batches(plan)), schema=source.schema)
        assert plan.expected_rows == table.num_rows == 5
        assert plan.high == "2026-11-01"
        assert all(title.endswith("(restored)") for title in table.column("Title").to_pylist())
        assert source.plan("2026-11-01").is_empty
    finally:
        source.close()


def test_same_range_gives_same_batch_id(subset_db):
    url = f"sqlite:///{subset_db}"
    first, second = SqlSource(url), SqlSource(url)
    try:
        assert first.plan(None).batch_id == second.plan(None).batch_id
    finally:
        first.close()
        second.close()


def test_missing_source_is_a_clear_error(tmp_path):
    missing = tmp_path / "nope.db"
    with pytest.raises(SourceError, match="source database not found: .*nope.db"):
        SqlSource(f"sqlite:///{missing}")
    assert not missing.exists(), "a missing SQLite source must never be created"


def test_unreadable_source_is_a_clear_error(tmp_path):
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"this is not a database" * 100)
    with pytest.raises(SourceError, match="not a readable database|cannot open source"):
        SqlSource(f"sqlite:///{garbage}")


def test_source_without_the_table_names_it(tmp_path):
    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).execute("CREATE TABLE other (x INTEGER)").connection.close()
    with pytest.raises(SourceError, match="has no table 'omdb'"):
        SqlSource(f"sqlite:///{empty}")


def test_password_never_in_error(tmp_path):
    with pytest.raises(SourceError) as raised:
        SqlSource("postgresql+psycopg://moviepipe:hunter2@127.0.0.1:1/nowhere")
    assert "hunter2" not in str(raised.value)
    assert "***" in str(raised.value)


def test_rows_without_a_watermark_travel_in_a_full_extraction(subset_db):
    with sqlite3.connect(subset_db) as conn:
        conn.execute("UPDATE omdb SET lastUpdated = NULL WHERE ID = (SELECT MIN(ID) FROM omdb)")
        films = conn.execute("SELECT COUNT(*) FROM omdb").fetchone()[0]
    source = SqlSource(f"sqlite:///{subset_db}")
    try:
        plan = source.plan(None)
        rows = sum(batch.num_rows for batch in source.batches(plan))
        assert plan.expected_rows == rows == films, "nothing is silently left behind"
        assert source.plan(plan.high).is_empty
    finally:
        source.close()
