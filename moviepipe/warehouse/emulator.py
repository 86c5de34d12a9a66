"""Local emulation of Snowpipe, streams and tasks over the same ``sql/`` files.

fakesnow runs tables, views, file formats, stages, COPY and MERGE, but not
CREATE PIPE / STREAM / TASK (and not STORAGE INTEGRATION, WAREHOUSE, GRANT).
Those statements are recognised by an explicit list (``EMULATED`` for the
kinds we emulate, ``UNSUPPORTED`` for the ones we refuse) and never silently
swallowed:

- a **pipe** runs its own COPY (a COPY transformation: ``$n``, ``PARSE_JSON($n)``,
  ``METADATA$FILENAME``/``METADATA$FILE_ROW_NUMBER``) on each archive file it has not
  processed yet, with its file format, as ``copy_emulation`` describes: a file with one
  bad record loads nothing (``ON_ERROR = SKIP_FILE``) and is recorded, with the first
  error, in ``OPS.LOAD_FAILURES``; a good one is recorded with its content digest in
  ``OPS.LOADED_FILES`` in the same transaction (Snowflake's load history, kept forever).
  Like Snowpipe, which knows a file by name and ETag, a file re-written with the same
  bytes is not processed again (loaded or refused) and one with other bytes is. The
  history also keeps each file's size and stat signature, so a file already loaded is
  recognised by one ``stat`` and only new or re-written files are read and hashed: a load
  costs the new files, not the archive's history;
- a **stream** is an offset per stream over the raw table's ``ROW_ID``, kept in
  ``OPS.STREAM_OFFSETS``; its consumer sees a view of the rows past the offset,
  and the offset advances only when the consuming statement commits. This relies on
  one thing only: locally, DuckDB's sequence hands out increasing ROW_IDs in commit
  order (one writer), so "past the offset" means "inserted since the last consumption",
  which is what a Snowflake stream returns. Nothing reads ROW_ID as an order: on
  Snowflake it is NOORDER, and the merges order by (BATCH_ID, STAGED_FILE,
  STAGED_FILE_ROW_NUMBER) instead (tested by shuffling ROW_IDs);
- a **task graph** runs root tasks whose ``WHEN SYSTEM$STREAM_HAS_DATA(...)``
  holds (any of the streams it names), then their ``AFTER`` children once all their
  parents ran, in dependency order; a failed run is retried (``TASK_AUTO_RETRY_ATTEMPTS``),
  counted towards suspension (``SUSPEND_TASK_AFTER_NUM_FAILURES``, ``OPS.TASK_STATE``),
  and the graph's finalizer (``FINALIZE``) runs after it, also when a task failed, over an
  emulated TASK_HISTORY (``task_runtime``). A failed task stops its descendants (the other
  branches run), and the graph run then raises, naming it.
  Every task option in ``sqlfiles.TASK_OPTIONS`` is understood; any other is refused.

Any other statement runs on fakesnow; one that fails there raises a StageError
naming its file, so nothing in ``sql/`` is ever skipped without a word.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from moviepipe import faults
from moviepipe.errors import StageError
from moviepipe.objectstore import LocalObjectStore
from moviepipe.warehouse import copy_emulation, copy_statement, load_history, sqlfiles, task_runtime
from moviepipe.warehouse.client import Warehouse
from moviepipe.warehouse.load_history import FileLoad

#: Kinds whose statements the emulator takes over, with the parser for each.
EMULATED = {"pipes": sqlfiles.parse_pipe, "streams": sqlfiles.parse_stream, "tasks": sqlfiles.parse_task}

#: Statements fakesnow cannot run and that have no local meaning: refused loudly.
UNSUPPORTED = re.compile(
    r"^\s*(CREATE\s+(OR\s+REPLACE\s+)?(PIPE|STREAM|TASK|STORAGE\s+INTEGRATION|NOTIFICATION\s+INTEGRATION|WAREHOUSE)"
    r"|GRANT|REVOKE|ALTER\s+(PIPE|TASK)|EXECUTE\s+TASK)\b",
    re.IGNORECASE,
)

@dataclass
class PipeRun:
    pipe: str
    table: str = ""
    files_loaded: list[str] = field(default_factory=list)
    files_skipped: list[str] = field(default_factory=list)
    rows_loaded: int = 0
    #: files refused, in this run or an earlier one (Snowpipe does not try the same bytes again)
    files_failed: list[FileLoad] = field(default_factory=list)
    #: every file this run loaded or refused, shaped like COPY_HISTORY rows
    loads: list[FileLoad] = field(default_factory=list)


@dataclass
class TaskRun:
    task: str
    ran: bool
    consumed: dict[str, int] = field(default_factory=dict)
    reason: str = ""


class LocalSnowflake:
    """Builds the warehouse from ``sql/`` and runs its pipes, streams and tasks."""

    def __init__(self, warehouse: Warehouse, render_values: dict[str, str], sql_root: Path = sqlfiles.SQL_ROOT):
        self.wh = warehouse
        self.values = render_values
        self.sql_root = sql_root
        self.pipes: dict[str, sqlfiles.PipeDef] = {}
        self.streams: dict[str, sqlfiles.StreamDef] = {}
        self.tasks: dict[str, sqlfiles.TaskDef] = {}
        self.file_formats: dict[str, copy_statement.CsvFormat] = {}
        self.copy_plans: dict[str, copy_statement.CopyPlan] = {}  # pipe name -> its COPY
        self.last_graph_run: task_runtime.GraphRun | None = None  # its TASK_HISTORY, for the cloud test harness

    # ------------------------------------------------------------------ setup
    def apply_sql_tree(self) -> None:
        """Apply every file in KIND_ORDER; emulated kinds are registered, not executed."""
        for sql_file in sqlfiles.load_all(self.sql_root):
            statement = sql_file.render(**self.values)
            if sql_file.kind in EMULATED:
                try:
                    definition = EMULATED[sql_file.kind](statement)
                    if sql_file.kind == "pipes":
                        self.copy_plans[definition.name] = self._copy_plan(definition)
                    if sql_file.kind == "tasks":
                        task_runtime.check_body(definition.name, definition.body)
                except (sqlfiles.SqlParseError, copy_statement.CopyEmulationError,
                        task_runtime.TaskRuntimeError) as error:
                    raise StageError("warehouse", f"{sql_file.path.name}: {error}") from None
                getattr(self, sql_file.kind)[definition.name] = definition
                continue
            if sql_file.kind == "file_formats":
                try:
                    file_format = copy_statement.parse_file_format(statement)
                except copy_statement.CopyEmulationError as error:
                    raise StageError("warehouse", f"{sql_file.path.name}: {error}") from None
                self.file_formats[file_format.name] = file_format
            if UNSUPPORTED.match(statement):
                raise StageError("warehouse", f"{sql_file.path.name}: statement not runnable locally and not emulated")
            try:
                self.wh.execute(statement)
            except Exception as error:
                raise StageError("warehouse", f"{sql_file.path.name}: fakesnow cannot run this statement "
                                              f"({str(error).splitlines()[0][:300]})") from error
            if sql_file.kind == "tables":
                self._check_table_shape(sql_file.path.name, statement)
        for stream in self.streams.values():
            self._ensure_offset(stream.name)

    def _check_table_shape(self, file_name: str, statement: str) -> None:
        """A persisted table made by an older ``sql/`` keeps its columns (IF NOT EXISTS): say so
        plainly here instead of letting a later COPY or MERGE fail on a missing column."""
        import sqlglot
        from sqlglot import exp

        create = sqlglot.parse_one(statement, read="snowflake")
        if not isinstance(create.this, exp.Schema):  # CREATE TABLE ... AS SELECT: no column list
            return
        declared = {c.name.upper() for c in create.this.expressions if isinstance(c, exp.ColumnDef)}
        table = create.this.this
        present = {row[0].upper() for row in self.wh.execute(
            "SELECT COLUMN_NAME FROM INFORMATION_SCHEMA.COLUMNS WHERE TABLE_SCHEMA = %s AND TABLE_NAME = %s",
            (table.db.upper(), table.name.upper()))}
        missing = sorted(declared - present)
        if present and missing:
            raise StageError("warehouse", f"{file_name}: the local warehouse's {table.db}.{table.name} predates "
                                          f"this file (missing {', '.join(missing)}); rebuild it by deleting the "
                                          "warehouse folder under MOVIEPIPE_HOME")

    # ------------------------------------------------------------------ pipes
    def _copy_plan(self, pipe: sqlfiles.PipeDef) -> copy_statement.CopyPlan:
        plan = copy_statement.parse_copy(pipe.copy_statement)
        if plan.format_name not in self.file_formats:
            raise copy_statement.CopyEmulationError(f"pipe {pipe.name}: no file format {plan.format_name} under "
                                                    "sql/file_formats")
        return plan

    def run_pipe(self, name: str, archive: LocalObjectStore) -> PipeRun:
        """Process every archive file under the pipe's stage path that it has not processed yet."""
        pipe, plan = self.pipes[name], self.copy_plans[name]
        file_format = self.file_formats[plan.format_name]
        prefix = pipe.stage_path.strip("/") + "/"
        history = self.wh.execute("SELECT FILE_NAME, CONTENT_MD5, FILE_SIGNATURE FROM OPS.LOADED_FILES "
                                  "WHERE PIPE_NAME = %s", (pipe.name,))
        loaded = {(row[0], row[1]) for row in history}
        known = {(row[0], row[2]) for row in history if row[2]}
        refused = load_history.recorded_failures(self.wh, pipe.name)
        run = PipeRun(pipe=pipe.name, table=pipe.target_table)
        for key in sorted(k for k in archive.list(prefix) if k.lower().endswith(".csv")):
            size, signature = _signature(archive, key)
            if (key, signature) in known:  # the very file loaded before: known without reading it
                run.files_skipped.append(key)
                continue
            digest = _md5(archive, key)
            if (key, digest) in loaded:  # re-written with the same bytes: not loaded again
                self.wh.execute("UPDATE OPS.LOADED_FILES SET FILE_SIZE = %s, FILE_SIGNATURE = %s "
                                "WHERE PIPE_NAME = %s AND FILE_NAME = %s AND CONTENT_MD5 = %s",
                                (size, signature, pipe.name, key, digest))
                run.files_skipped.append(key)
                continue
            if (key, digest) in refused:  # Snowpipe does not try the same file again: still refused
                run.files_failed.append(refused[key, digest])
                continue
            if "'" in key:
                raise StageError("load", f"{pipe.name}: archive key {key!r} holds a quote")
            def record(result: FileLoad, key: str = key, digest: str = digest, size: int = size,
                       signature: str = signature) -> None:  # in the load's transaction
                if result.loaded:
                    self.wh.execute(
                        "INSERT INTO OPS.LOADED_FILES (PIPE_NAME, FILE_NAME, CONTENT_MD5, BATCH_ID, ROWS_LOADED, "
                        "FILE_SIZE, FILE_SIGNATURE) VALUES (%s, %s, %s, %s, %s, %s, %s)",
                        (pipe.name, key, digest, _batch_id(key), result.row_count, size, signature))
                else:
                    load_history.record_failure(self.wh, pipe.name, result, digest, _batch_id(key))

            result = copy_emulation.load_file(self.wh, plan, file_format, archive.path(key), key, record)
            run.loads.append(result)
            if result.loaded:
                run.files_loaded.append(key)
                run.rows_loaded += result.row_count
            else:
                run.files_failed.append(result)
        faults.point("load:between_pipes") if run.files_loaded else None  # tests: a crash between two pipes
        return run

    def run_pipes(self, archive: LocalObjectStore) -> list[PipeRun]:
        """Every pipe once (as Snowpipe would on the archive's events); refused files fail the load by name."""
        runs = [self.run_pipe(name, archive) for name in sorted(self.pipes)]
        failed = [f"{run.pipe}: {load.describe()}" for run in runs for load in run.files_failed]
        if failed:
            raise StageError("load", f"{len(failed)} archive file(s) refused by their pipe and not loaded "
                                     f"(ON_ERROR = SKIP_FILE; recorded in OPS.LOAD_FAILURES): {'; '.join(failed)}. "
                                     + load_history.RECOVERY)
        return runs

    # ---------------------------------------------------------------- streams
    def _ensure_offset(self, stream: str) -> None:
        if self.wh.scalar("SELECT COUNT(*) FROM OPS.STREAM_OFFSETS WHERE STREAM_NAME = %s", (stream,)) == 0:
            self.wh.execute("INSERT INTO OPS.STREAM_OFFSETS (STREAM_NAME, LAST_ROW_ID) VALUES (%s, 0)", (stream,))

    def stream_offset(self, stream: str) -> int:
        return int(self.wh.scalar("SELECT LAST_ROW_ID FROM OPS.STREAM_OFFSETS WHERE STREAM_NAME = %s", (stream,)))

    def stream_offsets(self) -> dict[str, int]:
        """Every stream's offset, in one query."""
        return {row[0]: int(row[1]) for row in self.wh.execute(
            "SELECT STREAM_NAME, LAST_ROW_ID FROM OPS.STREAM_OFFSETS")}

    def stream_has_data(self, stream: str, offsets: dict[str, int]) -> bool:
        table = self.streams[stream].table
        return int(self.wh.scalar(f"SELECT COALESCE(MAX(ROW_ID), 0) FROM {table}")) > offsets[stream]

    def stream_pending(self, stream: str) -> int:
        table = self.streams[stream].table
        return int(self.wh.scalar(f"SELECT COUNT(*) FROM {table} WHERE ROW_ID > %s", (self.stream_offset(stream),)))

    def _open_stream(self, stream: str) -> tuple[int, int]:
        """Expose rows (offset, upper] as a view named like the stream; return the bounds."""
        table = self.streams[stream].table
        offset = self.stream_offset(stream)
        upper = int(self.wh.scalar(f"SELECT COALESCE(MAX(ROW_ID), 0) FROM {table}"))
        self.wh.execute(
            f"CREATE OR REPLACE VIEW {stream} AS SELECT * FROM {table} WHERE ROW_ID > {offset} AND ROW_ID <= {upper}")
        return offset, upper

    # ------------------------------------------------------------------ tasks
    def task_order(self) -> list[sqlfiles.TaskDef]:
        """Roots first, then children after all their parents (a topological sort)."""
        ordered: list[sqlfiles.TaskDef] = []
        done: set[str] = set()
        pending = dict(sorted(self.tasks.items()))
        while pending:
            ready = [t for t in pending.values() if all(parent in done for parent in t.after)]
            if not ready:
                raise StageError("merge", f"task graph has a cycle or unknown parent: {', '.join(pending)}")
            for task in ready:
                ordered.append(task)
                done.add(task.name)
                del pending[task.name]
        return ordered

    def graph(self, root: sqlfiles.TaskDef) -> list[sqlfiles.TaskDef]:
        """``root`` and its descendants, parents before children (its finalizer not included)."""
        members = {root.name}
        for task in self.task_order():
            if task.after and set(task.after) & members:
                members.add(task.name)
        return [task for task in self.task_order() if task.name in members]

    def finalizer(self, root: sqlfiles.TaskDef) -> sqlfiles.TaskDef | None:
        finalizers = [task for task in self.tasks.values() if task.finalize == root.name]
        return finalizers[0] if finalizers else None

    def run_tasks(self) -> list[TaskRun]:
        """Run each task graph once, as a scheduled run would.

        A root runs when any stream its WHEN names has data (otherwise it is skipped and no
        graph run happens); a child runs once every parent has run. A child whose own streams
        are all empty is not executed: a merge over an empty stream writes nothing, so this only
        saves time, and its children still run (a re-point task must follow a dimension change
        even without new facts). The root's options are honoured as Snowflake does:

        - ``TASK_AUTO_RETRY_ATTEMPTS``: a failed graph run is retried from the task that failed;
        - ``SUSPEND_TASK_AFTER_NUM_FAILURES``: each failed attempt counts, a success resets the
          count; at the limit the root is suspended (``OPS.TASK_STATE``) and refuses to run;
        - the finalizer (``FINALIZE = <root>``) runs after the graph, also when a task failed,
          and reads this graph run's TASK_HISTORY (``task_runtime``).

        A failure raises a StageError naming the task, after the finalizer ran.
        """
        runs: list[TaskRun] = []
        for root in self.task_order():
            if root.is_root:
                runs += self._run_graph(root)
        return runs

    def _run_graph(self, root: sqlfiles.TaskDef) -> list[TaskRun]:
        failures, suspended = self._task_state(root.name)
        if suspended:
            raise StageError("merge", suspended_message(root, failures))
        offsets = self.stream_offsets()
        if root.streams and not any(self.stream_has_data(s, offsets) for s in root.streams):
            return [TaskRun(task=root.name, ran=False, reason="stream has no data")]
        self.last_graph_run = graph_run = task_runtime.GraphRun(root=root.name, database=self.values["database"])
        runs: list[TaskRun] = []
        done: set[str] = set()
        failure: Exception | None = None
        while True:
            try:
                self._run_members(self.graph(root), done, runs, graph_run)
                failure = None
                break
            except Exception as error:  # noqa: BLE001 - recorded, retried, re-raised below
                failure, failures = error, failures + 1
                suspended = bool(root.suspend_after_failures) and failures >= root.suspend_after_failures
                if suspended:
                    graph_run.last_failure().state = "FAILED_AND_AUTO_SUSPENDED"
                if suspended or graph_run.attempt > root.retry_attempts:
                    break
                graph_run.attempt += 1
        self._save_task_state(root.name, 0 if failure is None else failures, suspended)
        failed = graph_run.last_failure()
        finalizer, finalizer_error = self.finalizer(root), None
        if finalizer:
            try:
                runs.append(self._run_finalizer(finalizer, graph_run))
            except StageError as error:
                if failure is None:
                    raise
                finalizer_error = error
        if failure is not None:
            retried = f" after {graph_run.attempt} attempts (TASK_AUTO_RETRY_ATTEMPTS = {root.retry_attempts})" \
                if graph_run.attempt > 1 else ""
            note = f"; {suspended_message(root, failures)}" if suspended else ""
            note += f"; and {str(finalizer_error).removeprefix('merge: ')}" if finalizer_error else ""
            raise StageError("merge", f"task {failed.task} failed{retried}: {failed.error}{note}") from failure
        return runs

    def _run_members(self, tasks: list[sqlfiles.TaskDef], done: set[str], runs: list[TaskRun],
                     graph_run: task_runtime.GraphRun) -> None:
        """Run the graph's tasks not done yet in this graph run (a retry starts at the failed ones).

        As in Snowflake, a failed task stops its descendants only: the other branches still run.
        The first failure is raised once every runnable task has run."""
        blocked: set[str] = set()  # failed, skipped, or below one of those: their children do not run
        failures: list[Exception] = []
        for task in tasks:
            if task.name in done:
                continue
            started = datetime.now(timezone.utc)
            if task.after and set(task.after) & blocked:
                runs.append(TaskRun(task=task.name, ran=False, reason="a parent did not run"))
                blocked.add(task.name)
                continue
            offsets = self.stream_offsets()
            if task.after and task.streams and not any(self.stream_has_data(s, offsets) for s in task.streams):
                runs.append(TaskRun(task=task.name, ran=False, reason="stream has no data"))
                graph_run.record(task.name, "SKIPPED", started)
                blocked.add(task.name)
                continue
            consumed = self.consumed_streams(task)
            if task.after and consumed and not any(self.stream_has_data(s, offsets) for s in consumed):
                runs.append(TaskRun(task=task.name, ran=False, reason="its streams have no data (no-op)"))
            else:
                try:
                    runs.append(self._run_task(task, consumed))
                except Exception as error:  # noqa: BLE001 - recorded here, raised below
                    graph_run.record(task.name, "FAILED", started, str(error).splitlines()[0][:1000])
                    blocked.add(task.name)
                    failures.append(error)
                    continue
            graph_run.record(task.name, "SUCCEEDED", started)
            faults.point("merge:between") if task.name == "ANALYTICS.MERGE_DIM_MOVIE" else None  # tests
            done.add(task.name)
        if failures:
            raise failures[0]

    def _run_finalizer(self, task: sqlfiles.TaskDef, graph_run: task_runtime.GraphRun) -> TaskRun:
        started = datetime.now(timezone.utc)
        task_runtime.write_history(self.wh.connection._duck_conn, graph_run)  # fakesnow's DuckDB: engine side
        try:
            self.wh.execute(task_runtime.rewrite(task.name, task.body, graph_run))
        except Exception as error:
            graph_run.record(task.name, "FAILED", started, str(error).splitlines()[0][:1000])
            raise StageError("merge", f"finalizer {task.name} failed: {str(error).splitlines()[0][:300]}") from error
        graph_run.record(task.name, "SUCCEEDED", started)
        return TaskRun(task=task.name, ran=True, reason="finalizer")

    def _task_state(self, task: str) -> tuple[int, bool]:
        """(consecutive failed attempts, suspended) of a root task, from OPS.TASK_STATE."""
        rows = self.wh.execute("SELECT CONSECUTIVE_FAILURES, STATE FROM OPS.TASK_STATE WHERE TASK_NAME = %s", (task,))
        return (int(rows[0][0]), rows[0][1] == "suspended") if rows else (0, False)

    def _save_task_state(self, task: str, failures: int, suspended: bool) -> None:
        with self.wh.transaction():
            self.wh.execute("DELETE FROM OPS.TASK_STATE WHERE TASK_NAME = %s", (task,))
            self.wh.execute("INSERT INTO OPS.TASK_STATE (TASK_NAME, STATE, CONSECUTIVE_FAILURES) VALUES (%s, %s, %s)",
                            (task, "suspended" if suspended else "started", failures))

    def resume_task(self, task: str) -> None:
        """``ALTER TASK <task> RESUME``: the root runs again and its failure count starts over."""
        self._save_task_state(task.upper(), 0, False)

    def consumed_streams(self, task: sqlfiles.TaskDef) -> list[str]:
        """The streams a task's statement reads (and so consumes when it commits)."""
        return sqlfiles.streams_read_by(task.body, self.streams)

    def _run_task(self, task: sqlfiles.TaskDef, consumed: list[str]) -> TaskRun:
        # The view's bounds are literals, so the merge sees exactly the rows the offset update
        # accounts for. fakesnow cannot run a MERGE inside an explicit transaction (it writes a
        # temporary table's metadata to a second DuckDB database), so the offset moves right
        # after the merge succeeds and never when it fails. A crash between the two replays the
        # same rows into the next merge, which the merges make a no-op (same hash, or not newer).
        bounds = {name: self._open_stream(name) for name in consumed}
        self.wh.execute(task.body)
        faults.point("merge:after_dim_movie") if task.name == "ANALYTICS.MERGE_DIM_MOVIE" else None  # tests
        for name, (_, upper) in bounds.items():
            self.wh.execute("UPDATE OPS.STREAM_OFFSETS SET LAST_ROW_ID = %s, UPDATED_AT = SYSDATE() "
                            "WHERE STREAM_NAME = %s", (upper, name))
        return TaskRun(task=task.name, ran=True,
                       consumed={name: upper - offset for name, (offset, upper) in bounds.items()})


def _signature(archive: LocalObjectStore, key: str) -> tuple[int, str]:
    """(size, "size:mtime_ns:inode"): what tells a file from a re-written one without reading it.

    The archive's writers replace a file (write a temporary file, rename it), which always
    gives it a new inode, so a re-written file never keeps its signature, whatever its bytes."""
    stat = archive.path(key).stat()
    return stat.st_size, f"{stat.st_size}:{stat.st_mtime_ns}:{stat.st_ino}"


def _md5(archive: LocalObjectStore, key: str) -> str:
    """The file's MD5: S3's ETag for a single-part upload, which Snowpipe's history keys on."""
    with open(archive.path(key), "rb") as handle:
        return hashlib.file_digest(handle, lambda: hashlib.md5(usedforsecurity=False)).hexdigest()


def _batch_id(key: str) -> str | None:
    folder = key.rsplit("/", 1)[0]
    return folder.split("batch_id=", 1)[1].split("/", 1)[0] if "batch_id=" in folder else None


def suspended_message(root: sqlfiles.TaskDef, failures: int) -> str:
    return (f"task {root.name} is suspended after {failures} consecutive failed runs (SUSPEND_TASK_AFTER_NUM_FAILURES"
            f" = {root.suspend_after_failures}): fix the cause, then resume it (Snowflake: ALTER TASK {root.name} "
            f"RESUME; locally: moviepipe sql \"DELETE FROM OPS.TASK_STATE WHERE TASK_NAME = '{root.name}'\")")
