"""Parity: the same transform on PySpark 3.5 and on sqlframe/DuckDB writes the same files.

The value-changing differences between the engines raise no error (see
shared/notes/platform-facts.md), so this diff is the guard: every entity's
file is compared row for row (a readable diff) and then byte for byte.
"""

from __future__ import annotations

import pytest
from glue_testlib import API_BATCH_CSV, API_BATCH_ID, BatchRun, all_files, run

from moviepipe.contract.archive import ENTITIES, column_names

pytestmark = pytest.mark.spark


def assert_same(duck_run: BatchRun, spark_run: BatchRun) -> None:
    assert duck_run.result == spark_run.result
    for entity in ENTITIES:
        duck_rows, spark_rows = duck_run.rows[entity], spark_run.rows[entity]
        assert len(duck_rows) == len(spark_rows), entity
        mismatched = [(d, s) for d, s in zip(duck_rows, spark_rows) if d != s]
        assert not mismatched, (entity, mismatched[:2])
    assert duck_run.file_bytes() == spark_run.file_bytes()


@pytest.fixture(scope="module")
def spark_fixture_run(spark, fixture_csv, fixture_run, tmp_path_factory) -> BatchRun:
    return run(spark, fixture_csv, tmp_path_factory.mktemp("fixture_spark"), batch_id=fixture_run.batch_id)


def test_fixture_parity(fixture_run, spark_fixture_run):
    assert_same(fixture_run, spark_fixture_run)


def test_spark_file_layout_and_idempotent_rerun(spark, fixture_csv, spark_fixture_run):
    root = spark_fixture_run.root
    # one file per entity, no part files, .crc, _SUCCESS or staging folder left behind
    assert all_files(root) == sorted(spark_fixture_run.result["files"].values())
    before = spark_fixture_run.file_bytes()
    again = run(spark, fixture_csv, root, batch_id=spark_fixture_run.batch_id)
    assert again.result == spark_fixture_run.result
    assert again.file_bytes() == before


def test_api_batch_parity_with_drift_and_deletes(spark, api_batch_run, tmp_path):
    spark_run = run(spark, API_BATCH_CSV, tmp_path, batch_id=API_BATCH_ID)
    assert spark_run.result["entities"]["movie_deletes"] > 0  # the deletes file was found and used
    assert_same(api_batch_run, spark_run)


def test_empty_batch_on_spark(spark, tmp_path):
    from movies_cleanse import INPUT_COLUMNS

    raw = tmp_path / "empty.csv"
    raw.write_text(",".join(INPUT_COLUMNS) + "\n", encoding="utf-8")
    result = run(spark, raw, tmp_path / "out", batch_id="b-empty")
    assert result.result["rows_in"] == 0
    for entity, path in result.paths.items():
        assert path.read_text(encoding="utf-8") == ",".join(column_names(entity)) + "\n"
    assert all_files(tmp_path / "out") == sorted(result.result["files"].values())


@pytest.mark.integration
def test_default_dataset_parity(spark, duck, default_raw_csv, tmp_path):
    duck_run = run(duck, default_raw_csv, tmp_path / "duckdb", batch_id="b-default")
    spark_run = run(spark, default_raw_csv, tmp_path / "spark", batch_id="b-default")
    assert duck_run.result["rows_in"] == 17472
    assert all(duck_run.result["entities"][e] > 0 for e in ("movies", "movie_ratings", "movie_genres",
                                                            "movie_people", "rejected"))
    assert_same(duck_run, spark_run)
