"""Local Snowpipe / stream / task emulation over the real sql/ files on fakesnow."""

import csv
from pathlib import Path

import pytest

from moviepipe.errors import StageError
from moviepipe.objectstore import LocalObjectStore
from moviepipe.warehouse.client import local_warehouse
from moviepipe.warehouse.emulator import UNSUPPORTED, LocalSnowflake

COLUMNS = ["IMDB_ID", "SOURCE_ID", "TITLE", "YEAR", "RATED", "RELEASED", "RELEASED_PRECISION", "RUNTIME_MINUTES",
           "GENRES", "DIRECTOR", "WRITER", "ACTORS", "LANGUAGE", "COUNTRY", "AWARDS", "PRODUCTION", "WEBSITE",
           "OSCARS", "METASCORE", "IMDB_RATING", "IMDB_VOTES", "TOMATO_METER", "TOMATO_RATING", "TOMATO_REVIEWS",
           "TOMATO_USER_METER", "TOMATO_USER_RATING", "BOX_OFFICE", "LAST_UPDATED", "CHANGE_HASH", "BATCH_ID",
           "SOURCE_FILE"]


def write_batch(archive: Path, batch_id: str, rows: list[tuple[str, str, str, str]]):
    """rows: (imdb_id, title, last_updated, change_hash)."""
    key = f"movies/batch_id={batch_id}/movies.csv"
    path = archive / key
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, COLUMNS)
        writer.writeheader()
        for imdb_id, title, last_updated, change_hash in rows:
            record = dict.fromkeys(COLUMNS, "\\N")
            record.update(IMDB_ID=imdb_id, TITLE=title, LAST_UPDATED=last_updated, CHANGE_HASH=change_hash,
                          BATCH_ID=batch_id, SOURCE_FILE=key)
            writer.writerow(record)
    rejected = archive / f"rejected/batch_id={batch_id}/rejected.csv"
    rejected.parent.mkdir(parents=True, exist_ok=True)
    rejected.write_text("BATCH_ID,ENTITY,RECORD_KEY,RULE,REASON,RECORD,SOURCE_FILE\n", encoding="utf-8")


@pytest.fixture
def snow(tmp_path):
    archive = tmp_path / "archive"
    archive.mkdir()
    warehouse = local_warehouse(tmp_path / "wh", "MOVIEPIPE")
    emulator = LocalSnowflake(warehouse, {"database": "MOVIEPIPE", "warehouse": "WH",
                                          "archive_url": archive.as_uri() + "/", "stage_options": ""})
    emulator.apply_sql_tree()
    yield emulator, LocalObjectStore(archive), archive
    warehouse.close()


def dim(emulator):
    return emulator.wh.query("SELECT IMDB_ID, TITLE, VALID_FROM, VALID_TO, IS_CURRENT FROM ANALYTICS.DIM_MOVIE "
                             "ORDER BY IMDB_ID, VALID_FROM")


def load_and_merge(emulator, store):
    runs = {run.pipe: run for run in (emulator.run_pipe(name, store) for name in sorted(emulator.pipes))}
    return runs, emulator.run_tasks()


def test_pipe_loads_each_file_once(snow):
    emulator, store, archive = snow
    write_batch(archive, "b1", [("tt0000001", "A", "2026-01-01 00:00:00", "h1")])
    first, _ = load_and_merge(emulator, store)
    second, _ = load_and_merge(emulator, store)
    assert first["RAW.MOVIES_PIPE"].rows_loaded == 1
    assert second["RAW.MOVIES_PIPE"].rows_loaded == 0
    assert second["RAW.MOVIES_PIPE"].files_skipped == ["movies/batch_id=b1/movies.csv"]
    assert emulator.wh.scalar("SELECT COUNT(*) FROM RAW.MOVIES") == 1


def test_task_runs_only_when_stream_has_data(snow):
    emulator, store, archive = snow
    (run,) = emulator.run_tasks()
    assert not run.ran and run.reason == "stream has no data"
    write_batch(archive, "b1", [("tt0000001", "A", "2026-01-01 00:00:00", "h1")])
    _, (run,) = load_and_merge(emulator, store)
    assert run.ran and run.consumed == {"RAW.MOVIES_STREAM": 1}
    (again,) = emulator.run_tasks()
    assert not again.ran, "each raw row reaches the merge once"


def test_scd2_change_closes_old_version_and_ignores_replays_and_late_rows(snow):
    emulator, store, archive = snow
    write_batch(archive, "b1", [("tt0000001", "A", "2026-01-01 00:00:00", "h1"),
                                ("tt0000002", "B", "2026-01-01 00:00:00", "h2")])
    load_and_merge(emulator, store)
    write_batch(archive, "b2", [("tt0000001", "A2", "2026-02-01 00:00:00", "h1b"),
                                ("tt0000002", "B", "2026-02-01 00:00:00", "h2")])  # unchanged hash
    load_and_merge(emulator, store)
    write_batch(archive, "b3", [("tt0000001", "A-late", "2026-01-15 00:00:00", "hlate")])  # older than current
    load_and_merge(emulator, store)
    rows = dim(emulator)
    assert [(r["IMDB_ID"], r["TITLE"], r["IS_CURRENT"]) for r in rows] == [
        ("tt0000001", "A", False), ("tt0000001", "A2", True), ("tt0000002", "B", True)]
    old, new = rows[0], rows[1]
    assert old["VALID_TO"] == new["VALID_FROM"], "versions are contiguous"


def test_duplicates_in_one_batch_keep_the_newest(snow):
    emulator, store, archive = snow
    write_batch(archive, "b1", [("tt0000001", "old", "2026-01-01 00:00:00", "h1"),
                                ("tt0000001", "new", "2026-03-01 00:00:00", "h2")])
    load_and_merge(emulator, store)
    assert [(r["TITLE"], r["IS_CURRENT"]) for r in dim(emulator)] == [("new", True)]


def test_failed_merge_does_not_move_the_stream_offset(snow, monkeypatch):
    emulator, store, archive = snow
    write_batch(archive, "b1", [("tt0000001", "A", "2026-01-01 00:00:00", "h1")])
    for name in emulator.pipes:
        emulator.run_pipe(name, store)
    task = next(iter(emulator.tasks.values()))
    monkeypatch.setitem(emulator.tasks, task.name, type(task)(**{**task.__dict__, "body": task.body + " BROKEN"}))
    with pytest.raises(Exception):
        emulator.run_tasks()
    assert emulator.stream_offset("RAW.MOVIES_STREAM") == 0
    monkeypatch.setitem(emulator.tasks, task.name, task)
    (run,) = emulator.run_tasks()
    assert run.ran and emulator.stream_offset("RAW.MOVIES_STREAM") > 0


@pytest.mark.parametrize("statement", [
    "CREATE PIPE P AS COPY INTO T FROM @S", "CREATE OR REPLACE TASK T AS SELECT 1", "GRANT SELECT ON T TO ROLE R",
    "CREATE STORAGE INTEGRATION I TYPE = EXTERNAL_STAGE", "CREATE WAREHOUSE W", "create stream s on table t",
])
def test_unsupported_statements_are_recognised(statement):
    assert UNSUPPORTED.match(statement)


def test_partial_folder_reload_is_refused(snow):
    emulator, store, archive = snow
    write_batch(archive, "b1", [("tt0000001", "A", "2026-01-01 00:00:00", "h1")])
    load_and_merge(emulator, store)
    (archive / "movies/batch_id=b1/movies-2.csv").write_text("x\n1\n")
    with pytest.raises(StageError, match="partial"):
        emulator.run_pipe("RAW.MOVIES_PIPE", store)
