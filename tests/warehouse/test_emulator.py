"""Local Snowpipe / stream / task emulation over the real sql/ files on fakesnow."""

import shutil

import pytest
import sqlglot
from warehouse_testlib import movie, tree_with, write_batch

from moviepipe.errors import StageError
from moviepipe.objectstore import LocalObjectStore
from moviepipe.warehouse import sqlfiles
from moviepipe.warehouse.emulator import UNSUPPORTED

MOVIES = "RAW.MOVIES_PIPE"
DIM_TASK = "ANALYTICS.MERGE_DIM_MOVIE"
VALUES = {"database": "MOVIEPIPE", "warehouse": "WH", "archive_url": "file:///x/", "stage_options": ""}


def test_fresh_warehouse_has_every_table_and_view_of_the_tree(snow):
    names = {f"{r['TABLE_SCHEMA']}.{r['TABLE_NAME']}" for view in ("TABLES", "VIEWS") for r in snow.query(
        f"SELECT TABLE_SCHEMA, TABLE_NAME FROM INFORMATION_SCHEMA.{view} WHERE TABLE_SCHEMA IN ('RAW', 'ANALYTICS', 'OPS')")}
    declared = {sqlfiles_name(f) for kind in ("tables", "views") for f in sqlfiles.load(kind)}
    assert declared <= names
    assert snow.scalar("SELECT COUNT(*) FROM ANALYTICS.DIM_DATE") == 60630
    assert snow.scalar("SELECT MIN(DATE_DAY) || ' ' || MAX(DATE_DAY) FROM ANALYTICS.DIM_DATE") == "1870-01-01 2035-12-31"
    assert set(snow.emulator.pipes) == {"RAW.MOVIES_PIPE", "OPS.REJECTED_ROWS_PIPE", "RAW.MOVIE_RATINGS_PIPE",
                                        "RAW.MOVIE_GENRES_PIPE", "RAW.MOVIE_PEOPLE_PIPE", "RAW.MOVIE_DELETES_PIPE"}


def sqlfiles_name(sql_file) -> str:
    created = sqlglot.parse_one(sql_file.render(**VALUES), read="snowflake").this
    return (created.this if isinstance(created, sqlglot.exp.Schema) else created).sql("snowflake").upper()


def test_pipes_load_each_file_once_and_record_it(snow):
    counts = write_batch(snow.archive_dir, "b1", [movie("tt1", "2026-01-01 00:00:00")])
    first = snow.load()
    second = snow.load()
    assert {p: r.rows_loaded for p, r in first.items()} == {
        "RAW.MOVIES_PIPE": 1, "RAW.MOVIE_RATINGS_PIPE": counts["movie_ratings"],
        "RAW.MOVIE_GENRES_PIPE": counts["movie_genres"], "RAW.MOVIE_PEOPLE_PIPE": counts["movie_people"],
        "RAW.MOVIE_DELETES_PIPE": 0, "OPS.REJECTED_ROWS_PIPE": 0}
    assert all(not r.files_loaded and r.rows_loaded == 0 for r in second.values())
    assert second[MOVIES].files_skipped == ["movies/batch_id=b1/movies.csv"]
    recorded = snow.query("SELECT PIPE_NAME, FILE_NAME, BATCH_ID, ROWS_LOADED, CONTENT_MD5 FROM OPS.LOADED_FILES")
    assert len(recorded) == 6 and all(r["BATCH_ID"] == "b1" and len(r["CONTENT_MD5"]) == 32 for r in recorded)
    assert snow.scalar("SELECT COUNT(*) FROM RAW.MOVIES") == 1


def test_rewritten_batch_folder_loads_only_changed_files(snow):
    write_batch(snow.archive_dir, "b1", [movie("tt1", "2026-01-01 00:00:00")])
    snow.load()
    shutil.rmtree(snow.archive_dir / "movies")  # a rerun of the Glue job re-writes the folder ...
    write_batch(snow.archive_dir, "b1", [movie("tt1", "2026-01-01 00:00:00")], only=("movies",))
    assert snow.load()[MOVIES].files_loaded == [], "... with the same bytes: nothing to load"
    write_batch(snow.archive_dir, "b1", [movie("tt1", "2026-01-01 00:00:00", TITLE="fixed")], only=("movies",))
    rerun = snow.load()[MOVIES]  # ... with other bytes: loaded again, as Snowpipe would (new ETag)
    assert rerun.files_loaded == ["movies/batch_id=b1/movies.csv"] and rerun.rows_loaded == 1
    assert snow.scalar("SELECT COUNT(*) FROM OPS.LOADED_FILES WHERE PIPE_NAME = %s", (MOVIES,)) == 2


def test_task_graph_runs_only_when_a_stream_has_data_and_children_after_parents(snow):
    assert all(not run.ran for run in snow.emulator.run_tasks())
    _, runs = snow.run("b1", [movie("tt1", "2026-01-01 00:00:00")])
    order = [run.task for run in runs]
    for task in snow.emulator.tasks.values():
        assert all(order.index(parent) < order.index(task.name) for parent in task.after)
    by_task = {run.task: run for run in runs}
    assert by_task[DIM_TASK].ran and by_task[DIM_TASK].consumed == {"RAW.MOVIES_STREAM": 1, "RAW.MOVIE_DELETES_STREAM": 0}
    assert by_task["ANALYTICS.MERGE_BRIDGE_MOVIE_GENRE"].ran
    assert not any(run.ran for run in snow.emulator.run_tasks()), "each raw row reaches the merges once"


def test_each_raw_row_reaches_its_merge_once_across_runs(snow):
    consumed: dict[str, int] = {}
    for number in range(3):
        _, runs = snow.run(f"b{number}", [movie(f"tt{number}{k}", "2026-01-01 00:00:00") for k in range(2)])
        runs += snow.emulator.run_tasks()  # a second scheduled run finds nothing new
        for run in runs:
            for stream, rows in run.consumed.items():
                consumed[stream] = consumed.get(stream, 0) + rows
    for stream in snow.emulator.streams.values():
        assert consumed.get(stream.name, 0) == snow.scalar(f"SELECT COUNT(*) FROM {stream.table}"), stream.name
        assert snow.emulator.stream_pending(stream.name) == 0


def test_failed_merge_keeps_the_stream_offset_and_the_next_run_consumes_once(snow, monkeypatch):
    write_batch(snow.archive_dir, "b1", [movie("tt1", "2026-01-01 00:00:00")])
    snow.load()
    task = snow.emulator.tasks[DIM_TASK]
    monkeypatch.setitem(snow.emulator.tasks, DIM_TASK, type(task)(**{**task.__dict__, "body": task.body + " BROKEN"}))
    with pytest.raises(Exception):
        snow.emulator.run_tasks()
    assert snow.emulator.stream_offset("RAW.MOVIES_STREAM") == 0
    assert snow.scalar("SELECT COUNT(*) FROM ANALYTICS.DIM_MOVIE") == 0
    monkeypatch.setitem(snow.emulator.tasks, DIM_TASK, task)
    runs = {run.task: run for run in snow.emulator.run_tasks()}
    assert runs[DIM_TASK].consumed["RAW.MOVIES_STREAM"] == 1
    assert snow.scalar("SELECT COUNT(*) FROM ANALYTICS.DIM_MOVIE") == 1
    assert not any(run.ran for run in snow.emulator.run_tasks())


@pytest.mark.parametrize("statement", [
    "CREATE PIPE P AS COPY INTO T FROM @S", "CREATE OR REPLACE TASK T AS SELECT 1", "GRANT SELECT ON T TO ROLE R",
    "CREATE STORAGE INTEGRATION I TYPE = EXTERNAL_STAGE", "CREATE WAREHOUSE W", "create stream s on table t",
])
def test_unsupported_statements_are_recognised(statement):
    assert UNSUPPORTED.match(statement)


@pytest.mark.parametrize(("kind", "text", "message"), [
    ("views", "GRANT SELECT ON ALL VIEWS IN SCHEMA ANALYTICS TO ROLE R", "not runnable locally"),
    ("tables", "CREATE ALERT OPS.LATE WAREHOUSE = WH SCHEDULE = '1 MINUTE' IF (EXISTS (SELECT 1)) THEN SELECT 1",
     "fakesnow cannot run"),
    ("tasks", "CREATE TASK ANALYTICS.X WAREHOUSE = WH WHEN 1 = 1 AS DELETE FROM OPS.BATCH_LEDGER", "WHEN must be"),
])
def test_a_statement_that_cannot_run_locally_raises_naming_its_file(tmp_path, kind, text, message):
    warehouse, emulator = tree_with(tmp_path, kind, "999_unexpected.sql", text)
    try:
        with pytest.raises(StageError, match=rf"999_unexpected\.sql: .*{message}"):
            emulator.apply_sql_tree()
    finally:
        warehouse.close()


def test_header_only_files_are_recorded_with_zero_rows(snow):
    write_batch(snow.archive_dir, "b1")
    runs = snow.load()
    assert all(len(r.files_loaded) == 1 and r.rows_loaded == 0 for r in runs.values())
    assert snow.scalar("SELECT COUNT(*) FROM OPS.LOADED_FILES WHERE ROWS_LOADED = 0") == 6


def test_archive_outside_a_pipe_prefix_is_not_loaded(snow):
    write_batch(snow.archive_dir, "b1", [movie("tt1", "2026-01-01 00:00:00")])
    store = LocalObjectStore(snow.archive_dir)
    assert not [k for k in store.list("") if not any(k.startswith(p.stage_path.strip("/") + "/")
                                                     for p in snow.emulator.pipes.values())]
    stray = "other/batch_id=b1/other.csv"
    assert not any(stray.startswith(p.stage_path.strip("/") + "/") for p in snow.emulator.pipes.values())
    store.put_bytes(stray, b"IMDB_ID,TITLE\ntt9,Stray\n")
    runs = snow.load()
    assert all(stray not in r.files_loaded and stray not in r.files_skipped for r in runs.values())
    assert any(r.files_loaded for r in runs.values())
    assert snow.scalar("SELECT COUNT(*) FROM OPS.LOADED_FILES WHERE FILE_NAME = %s", (stray,)) == 0


def test_a_local_table_older_than_its_file_is_reported_by_name(snow):
    snow.emulator.wh.execute("ALTER TABLE RAW.MOVIES DROP COLUMN EXTRA")
    with pytest.raises(StageError, match=r"010_raw_movies\.sql: .*RAW\.MOVIES predates .*missing EXTRA"):
        snow.emulator.apply_sql_tree()


def test_the_batch_that_introduced_a_genre_does_not_depend_on_row_id_order(snow):
    """Two batches in one stream slice name a new genre: the first batch is named, whatever ROW_IDs say."""
    snow.write("b1", [movie("tt1", "2026-01-01 00:00:00", GENRES="Noir")], only=("movie_genres",))
    snow.write("b2", [movie("tt2", "2026-01-01 00:00:00", GENRES="Noir")], only=("movie_genres",))
    snow.load()
    snow.emulator.wh.execute("UPDATE RAW.MOVIE_GENRES SET ROW_ID = 3 - ROW_ID")  # b2's row now has the lower id
    by_row_id = [r[0] for r in snow.emulator.wh.execute("SELECT BATCH_ID FROM RAW.MOVIE_GENRES ORDER BY ROW_ID")]
    assert by_row_id == ["b2", "b1"]
    snow.emulator.run_tasks()
    assert snow.scalar("SELECT FIRST_BATCH_ID FROM ANALYTICS.DIM_GENRE WHERE GENRE = 'Noir'") == "b1"
