"""The Snowflake half of the cloud runtime: connection, Snowpipe progress, the task graph.

Snowpipe and the task graph run inside Snowflake; the runtime only watches them:

- load: rows per ``BATCH_ID`` in each pipe's target table, compared with the Glue
  job's counts (plain SQL), and ``INFORMATION_SCHEMA.COPY_HISTORY`` for the batch's
  files (a refused file, with Snowflake's first error), ``ALTER PIPE ... REFRESH
  PREFIX`` for a file Snowpipe never heard of (``snowpipe.py`` decides when);
- merge: ``SHOW STREAMS`` (a stale stream is a named error with its recovery), then
  ``EXECUTE TASK <root>`` and ``INFORMATION_SCHEMA.TASK_HISTORY`` until the graph's runs
  (automatic retries and the finalizer included) end; or, with ``merge_mode=direct``,
  the task bodies from ``sql/tasks`` executed here in dependency order (for accounts
  where tasks are suspended).

fakesnow has no pipes, streams, tasks, COPY_HISTORY or SHOW STREAMS, so tests replace
the methods marked *Snowflake-only* with answers shaped exactly like Snowflake's
(``tests/runtime/cloud_harness.py``); everything else here is exercised as written.
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
    "SELECT NAME, STATE, ERROR_MESSAGE, SCHEDULED_TIME, COMPLETED_TIME, ATTEMPT_NUMBER, GRAPH_RUN_GROUP_ID "
    "FROM TABLE({database}.INFORMATION_SCHEMA.TASK_HISTORY("
    "TASK_NAME => %s, SCHEDULED_TIME_RANGE_START => %s::TIMESTAMP_LTZ)) "
    "ORDER BY SCHEDULED_TIME DESC"
)
#: The COPY_HISTORY columns the load wait reads (the table function returns these and more).
COPY_HISTORY_SQL = (
    "SELECT FILE_NAME, STAGE_LOCATION, LAST_LOAD_TIME, ROW_COUNT, ROW_PARSED, FIRST_ERROR_MESSAGE, "
    "FIRST_ERROR_LINE_NUMBER, FIRST_ERROR_CHARACTER_POS, FIRST_ERROR_COLUMN_NAME, ERROR_COUNT, STATUS, PIPE_NAME "
    "FROM TABLE({database}.INFORMATION_SCHEMA.COPY_HISTORY("
    "TABLE_NAME => %s, START_TIME => %s::TIMESTAMP_LTZ))"
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


#: QUERY_TAG tags every query of the runtime, so QUERY_HISTORY tells its queries apart. TIMEZONE: the
#: sql/ files write audit times with SYSDATE() (UTC) whatever the session says; UTC here too keeps
#: CURRENT_TIMESTAMP and TIMESTAMP_LTZ results in this session readable as UTC.
SESSION_PARAMETERS = {"QUERY_TAG": "moviepipe", "TIMEZONE": "UTC"}


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

    def finalizer(self, root: str) -> sqlfiles.TaskDef | None:
        """The task that finalizes ``root``'s graph (FINALIZE = root), if any."""
        return next((t for t in self.tasks if (t.finalize or "").upper() == root.upper()), None)

    def graph_streams(self, root: str) -> list[str]:
        """Every stream the graph's tasks read or test (what must not be stale when it runs)."""
        names = {s.name for s in self.streams}
        found = {stream for task in self.task_graph(root)
                 for stream in (*task.streams, *sqlfiles.streams_read_by(task.body, names))}
        return sorted(found)

    @cached_property
    def streams(self) -> list[sqlfiles.StreamDef]:
        return [sqlfiles.parse_stream(f.render(**self.values)) for f in sqlfiles.load("streams")]

    def task_graph(self, root: str) -> list[sqlfiles.TaskDef]:
        """``root`` then its descendants, parents before children (not its finalizer)."""
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

    # ---------------------------------------------------------------- load (Snowflake-only)
    def copy_history(self, table: str, since: str) -> list[dict]:
        """COPY_HISTORY of one table since ``since`` (Snowpipe's loads and refusals, per file)."""
        return self.wh.query(COPY_HISTORY_SQL.format(database=self.database), (f"{self.database}.{table}", since))

    def refresh_pipe(self, pipe: str, prefix: str) -> list[dict]:
        """``ALTER PIPE <pipe> REFRESH PREFIX = '<prefix>'`` (relative to the pipe's stage path): the files it
        queued, as rows with ``File`` and ``Status`` (``SENT``). Files in the load history are not queued."""
        return self.wh.query(f"ALTER PIPE {self.database}.{pipe} REFRESH PREFIX = %s", (prefix,))

    def show_streams(self) -> list[dict]:
        """``SHOW STREAMS IN DATABASE``: one row per stream (lower-case columns, ``stale``, ``stale_after``...)."""
        return self.wh.query(f"SHOW STREAMS IN DATABASE {self.database}")

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
        """Run the graph's bodies here, each in its own transaction (a stream advances on commit). The
        finalizer is not among them: its body reads its own graph run, which only exists inside Snowflake."""
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


def check_streams(control: SnowflakeControl, names: list[str]) -> None:
    """Every stream in ``names`` exists and is not stale (SHOW STREAMS); else a named error and its recovery.

    A stream goes stale when it is not consumed within its table's data retention (plus
    MAX_DATA_EXTENSION_TIME_IN_DAYS): the changes it had not handed over can no longer be read,
    and a merge over it would silently miss them.
    """
    import logging
    from datetime import datetime, timedelta, timezone

    shown = {f"{row['schema_name']}.{row['name']}".upper(): row for row in control.show_streams()}
    missing = [name for name in names if name.upper() not in shown]
    if missing:
        raise StageError("merge", f"streams {', '.join(missing)} do not exist in {control.database} (SHOW STREAMS): "
                                  "deploy sql/streams (pulumi up)")
    tables = {s.name: s.table for s in control.streams}
    stale = [name for name in names if str(shown[name.upper()].get("stale")).lower() == "true"]
    if stale:
        recreate = "; ".join(f"CREATE OR REPLACE STREAM {control.database}.{name} ON TABLE "
                             f"{control.database}.{tables.get(name, '<table>')} "
                             "APPEND_ONLY = TRUE SHOW_INITIAL_ROWS = TRUE" for name in stale)
        since = ", ".join(f"{name} (stale after {shown[name.upper()].get('stale_after')})" for name in stale)
        raise StageError("merge", f"stale streams: {since}: the rows they had not handed over can no longer be read, "
                                  f"so merging would miss them. Recover: {recreate} (each then returns its whole table "
                                  "once; the merges ignore rows they already have), re-create the grants on them, "
                                  "and merge again; run the merges more often than the tables' data retention")
    soon = datetime.now(timezone.utc) + timedelta(days=1)
    for name in names:
        stale_after = shown[name.upper()].get("stale_after")
        if isinstance(stale_after, datetime) and stale_after.astimezone(timezone.utc) < soon:
            logging.getLogger(__name__).warning("stream %s becomes stale at %s unless it is consumed", name,
                                                stale_after)
