"""The Snowflake half of the cloud runtime: connection, Snowpipe progress, the task graph.

Snowpipe and the task graph run inside Snowflake; the runtime only watches them:

- load: rows per ``BATCH_ID`` in each pipe's target table, compared with the Glue
  job's counts. Plain SQL, so the same query runs on Snowflake and on fakesnow
  (``COPY_HISTORY``/``SYSTEM$PIPE_STATUS`` do not exist on fakesnow);
- merge: ``EXECUTE TASK <root>`` then ``INFORMATION_SCHEMA.TASK_HISTORY`` until the
  graph's runs end; or, with ``merge_mode=direct``, the task bodies from ``sql/tasks``
  executed here in dependency order (for accounts where tasks are suspended).

Pipes, streams and tasks cannot run on fakesnow, so tests replace the three methods
marked *Snowflake-only* (``execute_task``, ``task_runs``, ``stream_rows``/``run_direct``)
with the local emulator; everything else here is exercised as written.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cached_property

from moviepipe.errors import StageError
from moviepipe.runtime.cloud import blocks
from moviepipe.warehouse import sqlfiles
from moviepipe.warehouse.client import Warehouse

TASK_TERMINAL = {"SUCCEEDED", "FAILED", "SKIPPED", "CANCELLED", "FAILED_AND_AUTO_SUSPENDED"}
TASK_FAILED = {"FAILED", "CANCELLED", "FAILED_AND_AUTO_SUSPENDED"}

TASK_HISTORY_SQL = (
    "SELECT NAME, STATE, ERROR_MESSAGE, SCHEDULED_TIME, COMPLETED_TIME "
    "FROM TABLE({database}.INFORMATION_SCHEMA.TASK_HISTORY("
    "TASK_NAME => %s, SCHEDULED_TIME_RANGE_START => %s::TIMESTAMP_LTZ)) "
    "ORDER BY SCHEDULED_TIME DESC"
)


@dataclass
class PipeLoad:
    """Shaped like the emulator's ``PipeRun`` (what ``moviepipe.pipeline.load`` reads)."""

    pipe: str
    files_loaded: list[str] = field(default_factory=list)
    files_skipped: list[str] = field(default_factory=list)
    rows_loaded: int = 0


@dataclass
class TaskOutcome:
    """Shaped like the emulator's ``TaskRun`` (what ``moviepipe.pipeline.merge`` reads)."""

    task: str
    ran: bool
    consumed: dict[str, int] = field(default_factory=dict)
    reason: str = ""


#: Tags every query of the runtime, so QUERY_HISTORY tells its queries apart.
SESSION_PARAMETERS = {"QUERY_TAG": "moviepipe"}


def connect(settings) -> Warehouse:
    """A Snowflake connection: a prefect-snowflake ``SnowflakeConnector`` block, else the environment.

    The block (``MOVIEPIPE_SNOWFLAKE_CONNECTOR_BLOCK``) holds ``SnowflakeCredentials`` (key pair,
    with the key encrypted in Prefect), the database, warehouse and schema; its
    ``get_connection()`` is used (not ``execute()``: our ``Warehouse`` runs the statements,
    in its own transactions). Without one, ``MOVIEPIPE_SNOWFLAKE_ACCOUNT``/``_USER`` plus a
    password Secret block, ``SNOWFLAKE_PRIVATE_KEY_FILE`` or ``SNOWFLAKE_PASSWORD``.
    """
    if settings.snowflake_connector_block:
        return Warehouse(_connector(settings).get_connection(session_parameters=SESSION_PARAMETERS))
    import snowflake.connector

    if not (settings.snowflake_account and settings.snowflake_user):
        raise StageError("warehouse", "the cloud runtime needs MOVIEPIPE_SNOWFLAKE_CONNECTOR_BLOCK, or "
                                      "MOVIEPIPE_SNOWFLAKE_ACCOUNT and MOVIEPIPE_SNOWFLAKE_USER")
    auth: dict[str, str] = {}
    if settings.snowflake_password_block:
        from prefect.blocks.system import Secret

        auth["password"] = Secret.load(settings.snowflake_password_block).get()
    elif os.environ.get("SNOWFLAKE_PRIVATE_KEY_FILE"):
        auth["private_key_file"] = os.environ["SNOWFLAKE_PRIVATE_KEY_FILE"]
        if os.environ.get("SNOWFLAKE_PRIVATE_KEY_FILE_PWD"):
            auth["private_key_file_pwd"] = os.environ["SNOWFLAKE_PRIVATE_KEY_FILE_PWD"]
    elif os.environ.get("SNOWFLAKE_PASSWORD"):
        auth["password"] = os.environ["SNOWFLAKE_PASSWORD"]
    else:
        raise StageError("warehouse", "no Snowflake credentials: set MOVIEPIPE_SNOWFLAKE_CONNECTOR_BLOCK, "
                                      "MOVIEPIPE_SNOWFLAKE_PASSWORD_BLOCK, SNOWFLAKE_PRIVATE_KEY_FILE or "
                                      "SNOWFLAKE_PASSWORD")
    connection = snowflake.connector.connect(
        account=settings.snowflake_account, user=settings.snowflake_user,
        role=settings.snowflake_role or None, warehouse=settings.warehouse, database=settings.database,
        schema="RAW", session_parameters=SESSION_PARAMETERS, **auth)
    return Warehouse(connection)


def _connector(settings):
    """The named ``SnowflakeConnector`` block; it must name the database and warehouse ``sql/`` is rendered for."""
    setting = "MOVIEPIPE_SNOWFLAKE_CONNECTOR_BLOCK"
    connector = blocks.load("prefect_snowflake", "SnowflakeConnector", settings.snowflake_connector_block, setting)
    for field, ours, variable in (("database", settings.database, "MOVIEPIPE_DATABASE"),
                                  ("warehouse", settings.warehouse, "MOVIEPIPE_WAREHOUSE")):
        theirs = getattr(connector, field)
        if theirs.upper() != ours.upper():
            raise StageError("warehouse", f"{setting}={settings.snowflake_connector_block} connects to {field} "
                                          f"{theirs}, but {variable} is {ours} (the SQL is rendered with it): "
                                          "make them agree")
    return connector


class SnowflakeControl:
    """Reads Snowpipe's progress and drives the task graph, over one ``Warehouse``."""

    def __init__(self, warehouse: Warehouse, database: str, warehouse_name: str):
        self.wh = warehouse
        self.database = database
        self.values = {"database": database, "warehouse": warehouse_name, "archive_url": "", "stage_options": ""}

    @cached_property
    def pipes(self) -> list[sqlfiles.PipeDef]:
        return [sqlfiles.parse_pipe(f.render(**self.values)) for f in sqlfiles.load("pipes")]

    @cached_property
    def tasks(self) -> list[sqlfiles.TaskDef]:
        return [sqlfiles.parse_task(f.render(**self.values)) for f in sqlfiles.load("tasks")]

    def task_graph(self, root: str) -> list[sqlfiles.TaskDef]:
        """``root`` then its descendants, parents before children."""
        names = {t.name.upper(): t for t in self.tasks}
        if root.upper() not in names:
            raise StageError("merge", f"no task {root} under sql/tasks (known: {', '.join(sorted(names))})")
        ordered, seen = [names[root.upper()]], {root.upper()}
        changed = True
        while changed:
            changed = False
            for task in self.tasks:
                if task.name.upper() not in seen and any(p.upper() in seen for p in task.after):
                    ordered.append(task)
                    seen.add(task.name.upper())
                    changed = True
        return ordered

    # ---------------------------------------------------------------- load
    def batch_rows(self, batch_id: str) -> dict[str, int]:
        """Rows of one batch in each pipe's target table (works on Snowflake and fakesnow)."""
        return {pipe.name: int(self.wh.scalar(f"SELECT COUNT(*) FROM {pipe.target_table} WHERE BATCH_ID = %s",
                                              (batch_id,)))
                for pipe in self.pipes}

    def record_loaded_files(self, pipe: str, files: dict[str, int], batch_id: str) -> None:
        """Our own load history (Snowpipe forgets after 14 days): one row per file, once."""
        known = {row[0] for row in self.wh.execute(
            "SELECT FILE_NAME FROM OPS.LOADED_FILES WHERE PIPE_NAME = %s AND BATCH_ID = %s", (pipe, batch_id))}
        for name, rows in files.items():
            if name not in known:
                self.wh.execute("INSERT INTO OPS.LOADED_FILES (PIPE_NAME, FILE_NAME, BATCH_ID, ROWS_LOADED) "
                                "VALUES (%s, %s, %s, %s)", (pipe, name, batch_id, rows))

    # ---------------------------------------------------------------- merge (Snowflake-only)
    def now(self) -> str:
        return str(self.wh.scalar("SELECT TO_VARCHAR(CURRENT_TIMESTAMP(), 'YYYY-MM-DD HH24:MI:SS.FF3 TZHTZM')"))

    def stream_rows(self, stream: str) -> int:
        """Rows waiting in a stream (a SELECT does not advance its offset)."""
        return int(self.wh.scalar(f"SELECT COUNT(*) FROM {stream}"))

    def execute_task(self, task: str) -> None:
        self.wh.execute(f"EXECUTE TASK {task}")

    def task_runs(self, task: str, since: str) -> list[dict]:
        """TASK_HISTORY rows of ``task`` scheduled at or after ``since``, newest first."""
        return self.wh.query(TASK_HISTORY_SQL.format(database=self.database), (task.split(".")[-1], since))

    def run_direct(self, root: str) -> list[TaskOutcome]:
        """Run the graph's bodies here, each in its own transaction (a stream advances on commit)."""
        outcomes = []
        for task in self.task_graph(root):
            pending = {stream: self.stream_rows(stream) for stream in task.streams}
            if task.streams and not any(pending.values()):
                outcomes.append(TaskOutcome(task.name, False, reason="stream has no data"))
                continue
            with self.wh.transaction():
                self.wh.execute(task.body)
            outcomes.append(TaskOutcome(task.name, True, consumed=pending))
        return outcomes
