"""The merge task graph as deployed: hardening options from the files, serverless or triggered as a stack option."""

from __future__ import annotations

import pytest
from infra_harness import run_program

from infra import sqltext
from moviepipe.warehouse import sqlfiles

DB = "MOVIEPIPE"
TASK = "snowflake:index/task:Task"
VALUES = {"database": DB, "warehouse": "MOVIEPIPE_WH", "archive_url": "s3://x/", "stage_options": ""}


def task_defs() -> dict[str, sqlfiles.TaskDef]:
    return {t.name: t for t in (sqlfiles.parse_task(f.render(**VALUES)) for f in sqlfiles.load("tasks"))}


def deployed(stack) -> dict[str, dict]:
    return {f"{t.inputs['schema']}.{t.inputs['name']}": t.inputs for t in stack.of(TASK)}


def test_the_root_retries_and_suspends_as_its_file_says_and_the_finalizer_finalizes_it(stack):
    tasks, defs = deployed(stack), task_defs()
    (root,) = [d for d in defs.values() if d.is_root]
    assert tasks[root.name]["taskAutoRetryAttempts"] == root.retry_attempts == 2
    assert tasks[root.name]["suspendTaskAfterNumFailures"] == root.suspend_after_failures == 6
    (finalizer,) = [d for d in defs.values() if d.finalize]
    assert tasks[finalizer.name]["finalize"] == sqltext.quoted(DB, root.name)
    assert "schedule" not in tasks[finalizer.name] and "afters" not in tasks[finalizer.name]
    for name, inputs in tasks.items():
        assert inputs["timezone"] == "UTC", name
        if name != root.name:
            assert "taskAutoRetryAttempts" not in inputs and "suspendTaskAfterNumFailures" not in inputs, name


def test_by_default_the_graph_runs_on_the_warehouse_every_five_minutes(stack):
    tasks = deployed(stack)
    root = next(d for d in task_defs().values() if d.is_root)
    assert tasks[root.name]["schedule"] == {"minutes": 5}
    assert all(t["warehouse"] == "MOVIEPIPE_WH" and "userTaskManagedInitialWarehouseSize" not in t
               for t in tasks.values())


def test_serverless_and_triggered_tasks_as_a_stack_option(config):
    stack = run_program({**config, "moviepipe:snowflakeTaskCompute": "serverless",
                         "moviepipe:snowflakeTaskTrigger": "stream"})
    tasks, defs = deployed(stack), task_defs()
    root = next(d for d in defs.values() if d.is_root)
    assert "schedule" not in tasks[root.name], "a triggered task has no schedule"
    assert sqltext.unqualify(tasks[root.name]["when"], DB) == root.when, "it runs when its streams have data"
    assert set(tasks) == set(defs)
    for name, inputs in tasks.items():
        assert "warehouse" not in inputs and inputs["userTaskManagedInitialWarehouseSize"] == "XSMALL", name
    assert stack.one("snowflake:index/warehouse:Warehouse"), "the loader role still has its warehouse"


@pytest.mark.parametrize(("key", "value"), [("moviepipe:snowflakeTaskCompute", "gpu"),
                                            ("moviepipe:snowflakeTaskTrigger", "cron")])
def test_an_unknown_task_option_value_is_refused(config, key, value):
    with pytest.raises(Exception, match=rf"{key} must be one of .*, got '{value}'"):
        run_program({**config, key: value})
