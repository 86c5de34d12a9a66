"""Parity: the same transform on PySpark 3.5 and on sqlframe/DuckDB gives the same rows.

The value-changing differences between the engines raise no error (see
shared/notes/platform-facts.md), so this diff is the guard: it compares parsed
rows, sorted, of both outputs, change hashes included.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from glue_testlib import BatchRun, read_header, run

pytestmark = pytest.mark.spark


def rows_of(batch: BatchRun):
    def key(rows):
        return sorted(tuple(("" if v is None else v) for v in row.values()) for row in rows)

    return key(batch.movies), key(batch.rejected)


def assert_same(duck_run: BatchRun, spark_run: BatchRun) -> None:
    assert duck_run.result == spark_run.result
    duck_movies, duck_rejected = rows_of(duck_run)
    spark_movies, spark_rejected = rows_of(spark_run)
    assert read_header(duck_run.movies_path) == read_header(spark_run.movies_path)
    assert read_header(duck_run.rejected_path) == read_header(spark_run.rejected_path)
    assert len(duck_movies) == len(spark_movies)
    mismatched = [(d, s) for d, s in zip(duck_movies, spark_movies) if d != s]
    assert not mismatched, mismatched[:3]
    assert duck_rejected == spark_rejected


def spark_files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def test_fixture_parity_and_spark_file_layout(spark, fixture_run, fixture_csv, tmp_path):
    spark_run = run(spark, fixture_csv, tmp_path, batch_id=fixture_run.batch_id)
    assert_same(fixture_run, spark_run)
    # one file per output, no part files, .crc, _SUCCESS or staging folder left behind
    assert spark_files(tmp_path) == sorted(spark_run.result["files"].values())
    first = {name: (tmp_path / name).read_bytes() for name in spark_files(tmp_path)}
    again = run(spark, fixture_csv, tmp_path, batch_id=fixture_run.batch_id)  # idempotent on Spark too
    assert again.result == spark_run.result
    assert {name: (tmp_path / name).read_bytes() for name in spark_files(tmp_path)} == first


def test_empty_batch_on_spark(spark, tmp_path):
    from movies_cleanse import INPUT_COLUMNS, OUTPUT_COLUMNS

    raw = tmp_path / "empty.csv"
    raw.write_text(",".join(INPUT_COLUMNS) + "\n", encoding="utf-8")
    result = run(spark, str(raw), tmp_path / "out", batch_id="b-empty")
    assert result.result["rows_in"] == 0
    assert result.movies_path.read_text(encoding="utf-8").strip() == ",".join(OUTPUT_COLUMNS)
    assert result.rejected == []
    assert spark_files(tmp_path / "out") == sorted(result.result["files"].values())


@pytest.mark.integration
def test_default_dataset_parity(spark, duck, default_raw_csv, tmp_path):
    duck_run = run(duck, default_raw_csv, tmp_path / "duckdb", batch_id="b-default")
    spark_run = run(spark, default_raw_csv, tmp_path / "spark", batch_id="b-default")
    assert duck_run.result["rows_in"] == 17472
    assert_same(duck_run, spark_run)
