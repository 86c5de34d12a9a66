"""What a task sees of its own graph run, emulated: TASK_HISTORY and SYSTEM$TASK_RUNTIME_INFO.

A finalizer task reads the outcome of its graph run from ``TABLE(INFORMATION_SCHEMA.TASK_HISTORY(...))``
filtered on ``SYSTEM$TASK_RUNTIME_INFO('CURRENT_TASK_GRAPH_RUN_GROUP_ID')``; fakesnow has neither. The
emulator keeps the current graph run's task attempts as TASK_HISTORY rows (Snowflake's column names
and types) and rewrites a task body before running it: the table function becomes a temporary table
holding exactly this graph run's rows, each runtime-info call becomes its value. The table function's
time-range and limit arguments only narrow Snowflake's history to one that includes this run, so they
are accepted and have nothing left to narrow; every other argument, runtime-info value or ``SYSTEM$``
function is refused when ``sql/`` is applied, never ignored.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone

import sqlglot
from sqlglot import exp

HISTORY_TABLE = "_TASK_HISTORY"
#: TASK_HISTORY columns the emulated table has (Snowflake's names; TIMESTAMP_LTZ as a time zone-aware instant).
HISTORY_COLUMNS = {
    "NAME": "VARCHAR", "DATABASE_NAME": "VARCHAR", "SCHEMA_NAME": "VARCHAR", "STATE": "VARCHAR",
    "ERROR_MESSAGE": "VARCHAR", "SCHEDULED_TIME": "TIMESTAMPTZ", "QUERY_START_TIME": "TIMESTAMPTZ",
    "COMPLETED_TIME": "TIMESTAMPTZ", "ATTEMPT_NUMBER": "INTEGER", "GRAPH_RUN_GROUP_ID": "VARCHAR",
}
HISTORY_ARGUMENTS = {"SCHEDULED_TIME_RANGE_START", "SCHEDULED_TIME_RANGE_END", "RESULT_LIMIT"}
RUNTIME_INFO = {"CURRENT_TASK_GRAPH_RUN_GROUP_ID", "CURRENT_ROOT_TASK_NAME", "CURRENT_TASK_NAME"}
#: SYSTEM$ functions a task body may call (WHEN's SYSTEM$STREAM_HAS_DATA is evaluated by the emulator).
SYSTEM_FUNCTIONS = {"SYSTEM$TASK_RUNTIME_INFO"}


class TaskRuntimeError(ValueError):
    """A task body asks for runtime information the emulator does not provide."""


@dataclass
class TaskAttempt:
    task: str  # SCHEMA.NAME
    state: str  # SUCCEEDED | FAILED | FAILED_AND_AUTO_SUSPENDED
    attempt: int
    scheduled: datetime
    started: datetime
    completed: datetime | None
    error: str | None = None


@dataclass
class GraphRun:
    """One run of a task graph: its run group id and every task attempt, in order."""

    root: str
    database: str
    group_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    scheduled: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    attempt: int = 1
    attempts: list[TaskAttempt] = field(default_factory=list)

    def record(self, task: str, state: str, started: datetime, error: str | None = None) -> TaskAttempt:
        attempt = TaskAttempt(task, state, self.attempt, self.scheduled, started, datetime.now(timezone.utc), error)
        self.attempts.append(attempt)
        return attempt

    def last_failure(self) -> TaskAttempt | None:
        return next((a for a in reversed(self.attempts) if a.state.startswith("FAILED")), None)

    def history_rows(self) -> list[dict]:
        """The attempts as TASK_HISTORY rows (what Snowflake's table function returns for this run group)."""
        return [{"NAME": a.task.split(".")[-1], "DATABASE_NAME": self.database, "SCHEMA_NAME": a.task.split(".")[0],
                 "STATE": a.state, "ERROR_MESSAGE": a.error, "SCHEDULED_TIME": a.scheduled,
                 "QUERY_START_TIME": a.started, "COMPLETED_TIME": a.completed, "ATTEMPT_NUMBER": a.attempt,
                 "GRAPH_RUN_GROUP_ID": self.group_id} for a in self.attempts]


def check_body(task: str, body: str) -> None:
    """Refuse, when sql/ is applied, a body using runtime information the emulator does not provide."""
    _rewrite(sqlglot.parse_one(body, read="snowflake"), task, {name: "" for name in RUNTIME_INFO})


def rewrite(task: str, body: str, run: GraphRun) -> str:
    """The body with TASK_HISTORY read from the emulated table and runtime info filled in (Snowflake SQL)."""
    values = {"CURRENT_TASK_GRAPH_RUN_GROUP_ID": run.group_id, "CURRENT_ROOT_TASK_NAME": run.root.split(".")[-1],
              "CURRENT_TASK_NAME": task.split(".")[-1]}
    return _rewrite(sqlglot.parse_one(body, read="snowflake"), task, values).sql("snowflake")


def write_history(duck, run: GraphRun) -> None:
    """The graph run's TASK_HISTORY rows into the temporary table the rewritten body reads."""
    import pyarrow as pa

    duck.execute(f"CREATE OR REPLACE TEMP TABLE {HISTORY_TABLE} ("
                 + ", ".join(f"{name} {kind}" for name, kind in HISTORY_COLUMNS.items()) + ")")
    rows = run.history_rows()
    if rows:
        duck.register("_task_history_rows", pa.Table.from_pylist(rows))
        duck.execute(f"INSERT INTO {HISTORY_TABLE} SELECT {', '.join(HISTORY_COLUMNS)} FROM _task_history_rows")
        duck.unregister("_task_history_rows")


def _rewrite(tree: exp.Expression, task: str, values: dict[str, str]) -> exp.Expression:
    def replace(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.TableFromRows):
            function = node.this.expression if isinstance(node.this, exp.Dot) else node.this
            name = function.name.upper() if isinstance(function, exp.Anonymous) else function.sql("snowflake")
            if name != "TASK_HISTORY":
                raise TaskRuntimeError(f"task {task}: table function {name} is not emulated (only TASK_HISTORY)")
            for argument in function.expressions:
                key = argument.this.name.upper() if isinstance(argument, exp.Kwarg) else argument.sql("snowflake")
                if key not in HISTORY_ARGUMENTS:
                    raise TaskRuntimeError(f"task {task}: TASK_HISTORY argument {key} is not emulated "
                                           f"(only {', '.join(sorted(HISTORY_ARGUMENTS))}, passed by name)")
            return exp.to_table(HISTORY_TABLE, alias=node.alias or None)
        if isinstance(node, exp.Anonymous) and node.name.upper().startswith("SYSTEM$"):
            if node.name.upper() not in SYSTEM_FUNCTIONS:
                raise TaskRuntimeError(f"task {task}: {node.name.upper()} is not emulated in a task body")
            (argument,) = node.expressions if len(node.expressions) == 1 else (None,)
            if not isinstance(argument, exp.Literal) or argument.name.upper() not in values:
                raise TaskRuntimeError(f"task {task}: SYSTEM$TASK_RUNTIME_INFO({node.expressions}) is not emulated "
                                       f"(only {', '.join(sorted(RUNTIME_INFO))})")
            return exp.Literal.string(values[argument.name.upper()])
        return node

    return tree.transform(replace)
