"""The task graph's hardening, emulated as Snowflake runs it: retries, suspension, the finalizer's ledger."""

from __future__ import annotations

import pytest
from warehouse_testlib import movie, tree_with

from moviepipe.errors import StageError
from moviepipe.warehouse import sqlfiles

ROOT = "ANALYTICS.MERGE_DIM_MOVIE"
FACTS = "ANALYTICS.MERGE_FACT_MOVIE_RATING"
AT = "2026-01-01 00:00:00"


def graph_runs(snow) -> list[dict]:
    return snow.query("SELECT * FROM OPS.TASK_GRAPH_RUNS ORDER BY GRAPH_SCHEDULED_AT")


def break_task(snow, monkeypatch, name: str, failures: int | None = None) -> dict[str, int]:
    """Make a task fail (every time, or its first ``failures`` runs); count every task's runs."""
    calls: dict[str, int] = {}
    original = snow.emulator._run_task

    def run_task(task, consumed):
        calls[task.name] = calls.get(task.name, 0) + 1
        if task.name == name and (failures is None or calls[name] <= failures):
            raise RuntimeError(f"Numeric value 'abc' is not recognized (run {calls[name]})")
        return original(task, consumed)

    monkeypatch.setattr(snow.emulator, "_run_task", run_task)
    return calls


def test_the_finalizer_records_a_successful_graph_run(snow):
    _, runs = snow.run("b1", [movie("tt1", AT)])
    assert runs[-1].task == "ANALYTICS.RECORD_MERGE_OUTCOME" and runs[-1].ran
    (outcome,) = graph_runs(snow)
    assert outcome["STATE"] == "SUCCEEDED" and outcome["ROOT_TASK"] == "MERGE_DIM_MOVIE"
    assert (outcome["ATTEMPTS"], outcome["TASKS_SUCCEEDED"], outcome["TASKS_FAILED"]) == (1, 9, 0)
    assert outcome["GRAPH_RUN_GROUP_ID"] == snow.emulator.last_graph_run.group_id
    snow.emulator.run_tasks()  # nothing new: the root is skipped, no graph run, no finalizer
    assert len(graph_runs(snow)) == 1


def test_a_failed_task_is_retried_from_where_it_failed_and_the_finalizer_still_records_it(snow, monkeypatch):
    calls = break_task(snow, monkeypatch, FACTS)
    snow.write("b1", [movie("tt1", AT)])
    snow.load()
    with pytest.raises(StageError, match=rf"merge: task {FACTS} failed after 3 attempts \(TASK_AUTO_RETRY_ATTEMPTS"
                                         r" = 2\): Numeric value 'abc' is not recognized \(run 3\)"):
        snow.emulator.run_tasks()
    assert calls[FACTS] == 3 and calls[ROOT] == 1, "a retry starts at the failed task, not at the root"
    assert snow.scalar("SELECT COUNT(*) FROM ANALYTICS.DIM_MOVIE") == 1
    assert snow.emulator.stream_pending("RAW.MOVIE_RATINGS_STREAM") > 0, "the failed merge consumed nothing"
    (outcome,) = graph_runs(snow)
    assert (outcome["STATE"], outcome["ATTEMPTS"], outcome["FAILED_TASKS"]) == ("FAILED", 3, "MERGE_FACT_MOVIE_RATING")
    assert outcome["FIRST_ERROR"].startswith("MERGE_FACT_MOVIE_RATING: Numeric value 'abc'")


def test_a_retry_that_succeeds_ends_the_graph_run_succeeded(snow, monkeypatch):
    calls = break_task(snow, monkeypatch, FACTS, failures=1)
    snow.run("b1", [movie("tt1", AT)])
    assert calls[FACTS] == 2
    (outcome,) = graph_runs(snow)
    assert (outcome["STATE"], outcome["ATTEMPTS"]) == ("SUCCEEDED", 2)
    assert snow.emulator.stream_pending("RAW.MOVIE_RATINGS_STREAM") == 0


def test_the_root_is_suspended_after_its_consecutive_failures_and_runs_again_once_resumed(snow, monkeypatch):
    limit = snow.emulator.tasks[ROOT].suspend_after_failures
    assert limit == 6 and snow.emulator.tasks[ROOT].retry_attempts == 2
    calls = break_task(snow, monkeypatch, ROOT)
    snow.write("b1", [movie("tt1", AT)])
    snow.load()
    with pytest.raises(StageError, match=r"failed after 3 attempts"):
        snow.emulator.run_tasks()
    with pytest.raises(StageError, match=rf"task {ROOT} is suspended after 6 consecutive failed runs "
                                         r"\(SUSPEND_TASK_AFTER_NUM_FAILURES = 6\)"):
        snow.emulator.run_tasks()
    assert calls[ROOT] == 6
    with pytest.raises(StageError, match=r"is suspended .*ALTER TASK ANALYTICS\.MERGE_DIM_MOVIE RESUME"):
        snow.emulator.run_tasks()
    assert calls[ROOT] == 6, "a suspended root does not run"
    assert [r["STATE"] for r in graph_runs(snow)] == ["FAILED", "FAILED"]
    monkeypatch.undo()
    snow.emulator.resume_task(ROOT)
    assert any(run.ran for run in snow.emulator.run_tasks())
    assert snow.scalar("SELECT CONSECUTIVE_FAILURES FROM OPS.TASK_STATE WHERE TASK_NAME = %s", (ROOT,)) == 0


def test_a_success_resets_the_failure_count(snow, monkeypatch):
    break_task(snow, monkeypatch, ROOT, failures=5)  # five failed attempts, then it works: never six in a row
    snow.write("b1", [movie("tt1", AT)])
    snow.load()
    with pytest.raises(StageError):
        snow.emulator.run_tasks()
    snow.emulator.run_tasks()
    assert snow.scalar("SELECT STATE || ':' || CONSECUTIVE_FAILURES FROM OPS.TASK_STATE") == "started:0"


ROOT_FILE = "010_merge_dim_movie.sql"


@pytest.mark.parametrize(("file_name", "change", "message"), [
    (ROOT_FILE, ("TASK_AUTO_RETRY_ATTEMPTS = 2", "ALLOW_OVERLAPPING_EXECUTION = TRUE"),
     r"options \['ALLOW_OVERLAPPING_EXECUTION'\] are not understood"),
    ("020_merge_dim_genre.sql", ("AFTER ANALYTICS.MERGE_DIM_MOVIE", "AFTER ANALYTICS.MERGE_DIM_MOVIE\n    "
                                 "TASK_AUTO_RETRY_ATTEMPTS = 1"), "TASK_AUTO_RETRY_ATTEMPTS belong to a root task"),
    ("100_record_merge_outcome.sql", ("RESULT_LIMIT => 10000", "TASK_NAME => 'X'"),
     "TASK_HISTORY argument TASK_NAME is not emulated"),
    ("100_record_merge_outcome.sql", ("'CURRENT_ROOT_TASK_NAME'", "'LAST_SUCCESSFUL_TASK_GRAPH_RUN_GROUP_ID'"),
     r"SYSTEM\$TASK_RUNTIME_INFO\(.*\) is not emulated"),
    ("100_record_merge_outcome.sql", ("SYSTEM$TASK_RUNTIME_INFO('CURRENT_ROOT_TASK_NAME')",
                                      "SYSTEM$GET_PREDECESSOR_RETURN_VALUE()"),
     r"SYSTEM\$GET_PREDECESSOR_RETURN_VALUE is not emulated"),
])
def test_task_options_and_runtime_calls_the_emulator_does_not_implement_are_refused(tmp_path, file_name, change,
                                                                                    message):
    text = (sqlfiles.SQL_ROOT / "tasks" / file_name).read_text()
    assert change[0] in text
    warehouse, emulator = tree_with(tmp_path, "tasks", file_name, text.replace(change[0], change[1], 1))
    try:
        with pytest.raises(StageError, match=rf"{file_name}: .*{message}"):
            emulator.apply_sql_tree()
    finally:
        warehouse.close()


def test_every_option_the_task_files_state_is_one_the_emulator_understands():
    for sql_file in sqlfiles.load("tasks"):
        task = sqlfiles.parse_task(sql_file.render(warehouse="WH"))
        assert set(task.options) <= set(sqlfiles.TASK_OPTIONS), sql_file.path.name
    root = sqlfiles.parse_task(sqlfiles.load("tasks")[0].render(warehouse="WH"))
    assert root.is_root and root.retry_attempts == 2 and root.suspend_after_failures == 6
