"""Local emulation of Snowpipe, streams and tasks over the same ``sql/`` files.

fakesnow runs tables, views, file formats, stages, COPY and MERGE, but not
CREATE PIPE / STREAM / TASK (and not STORAGE INTEGRATION, WAREHOUSE, GRANT).
Those statements are recognised by an explicit list (``EMULATED`` for the
kinds we emulate, ``UNSUPPORTED`` for the ones we refuse) and never silently
swallowed:

- a **pipe** runs its own COPY body on archive files it has not loaded yet,
  narrowed to one batch folder at a time, and records each file in
  ``OPS.LOADED_FILES`` in the same transaction (Snowflake's load history,
  kept forever);
- a **stream** is an offset per stream over the raw table's ``ROW_ID``, kept in
  ``OPS.STREAM_OFFSETS``; its consumer sees a view of the rows past the offset,
  and the offset advances only when the consuming statement commits;
- a **task graph** runs root tasks whose ``WHEN SYSTEM$STREAM_HAS_DATA(...)``
  holds, then their ``AFTER`` children, in dependency order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from moviepipe.errors import StageError
from moviepipe.objectstore import LocalObjectStore
from moviepipe.warehouse import sqlfiles
from moviepipe.warehouse.client import Warehouse

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
    files_loaded: list[str] = field(default_factory=list)
    files_skipped: list[str] = field(default_factory=list)
    rows_loaded: int = 0


@dataclass
class TaskRun:
    task: str
    ran: bool
    consumed: dict[str, int] = field(default_factory=dict)
    reason: str = ""


class LocalSnowflake:
    """Builds the warehouse from ``sql/`` and runs its pipes, streams and tasks."""

    def __init__(self, warehouse: Warehouse, render_values: dict[str, str]):
        self.wh = warehouse
        self.values = render_values
        self.pipes: dict[str, sqlfiles.PipeDef] = {}
        self.streams: dict[str, sqlfiles.StreamDef] = {}
        self.tasks: dict[str, sqlfiles.TaskDef] = {}

    # ------------------------------------------------------------------ setup
    def apply_sql_tree(self) -> None:
        """Apply every file in KIND_ORDER; emulated kinds are registered, not executed."""
        for sql_file in sqlfiles.load_all():
            statement = sql_file.render(**self.values)
            if sql_file.kind in EMULATED:
                definition = EMULATED[sql_file.kind](statement)
                getattr(self, sql_file.kind)[definition.name] = definition
                continue
            if UNSUPPORTED.match(statement):
                raise StageError("warehouse", f"{sql_file.path.name}: statement not runnable locally and not emulated")
            self.wh.execute(statement)
        for stream in self.streams.values():
            self._ensure_offset(stream.name)

    # ------------------------------------------------------------------ pipes
    def run_pipe(self, name: str, archive: LocalObjectStore) -> PipeRun:
        """Load every archive file under the pipe's stage path that is not loaded yet."""
        pipe = self.pipes[name]
        prefix = pipe.stage_path.strip("/") + "/"
        loaded = {row[0] for row in self.wh.execute(
            "SELECT FILE_NAME FROM OPS.LOADED_FILES WHERE PIPE_NAME = %s", (pipe.name,))}
        by_folder: dict[str, list[str]] = {}
        for key in archive.list(prefix):
            if key.lower().endswith(".csv"):
                by_folder.setdefault(key.rsplit("/", 1)[0], []).append(key)
        run = PipeRun(pipe=pipe.name)
        for folder, keys in sorted(by_folder.items()):
            new = [key for key in keys if key not in loaded]
            run.files_skipped += [key for key in keys if key in loaded]
            if not new:
                continue
            if len(new) != len(keys):
                raise StageError("load", f"{folder}: some files loaded, some not; refusing a partial reload")
            if all(_header_only(archive, key) for key in new):
                # Snowflake loads a header-only file as 0 rows; fakesnow's COPY fails on it.
                self._record_files(pipe, folder, {key: 0 for key in new})
            else:
                run.rows_loaded += self._copy_folder(pipe, folder, new)
            run.files_loaded += new
        return run

    def _copy_folder(self, pipe: sqlfiles.PipeDef, folder: str, keys: list[str]) -> int:
        narrowed = pipe.copy_statement.replace(f"@{self._stage_ref(pipe)}{pipe.stage_path}",
                                               f"@{self._stage_ref(pipe)}/{folder}/", 1)
        if narrowed == pipe.copy_statement:
            raise StageError("load", f"{pipe.name}: cannot narrow its COPY to {folder}")
        with self.wh.transaction():
            results = self.wh.query(narrowed)
            by_file = {row.get("file", "").rsplit("/", 1)[-1]: row for row in results if "file" in row}
            rows_by_key = {}
            for key in keys:
                row = by_file.get(key.rsplit("/", 1)[-1])
                if row is None or row.get("status") != "LOADED":
                    raise StageError("load", f"{pipe.name}: {key} was not loaded ({row})")
                rows_by_key[key] = int(row["rows_loaded"])
            self._record_files(pipe, folder, rows_by_key)
        return sum(rows_by_key.values())

    def _record_files(self, pipe: sqlfiles.PipeDef, folder: str, rows_by_key: dict[str, int]) -> None:
        batch_id = folder.split("batch_id=", 1)[1] if "batch_id=" in folder else None
        for key, rows in rows_by_key.items():
            self.wh.execute(
                "INSERT INTO OPS.LOADED_FILES (PIPE_NAME, FILE_NAME, BATCH_ID, ROWS_LOADED) VALUES (%s, %s, %s, %s)",
                (pipe.name, key, batch_id, rows),
            )

    def _stage_ref(self, pipe: sqlfiles.PipeDef) -> str:
        match = re.search(r"@([\w.$]+)", pipe.copy_statement)
        return match.group(1) if match else pipe.stage

    # ---------------------------------------------------------------- streams
    def _ensure_offset(self, stream: str) -> None:
        if self.wh.scalar("SELECT COUNT(*) FROM OPS.STREAM_OFFSETS WHERE STREAM_NAME = %s", (stream,)) == 0:
            self.wh.execute("INSERT INTO OPS.STREAM_OFFSETS (STREAM_NAME, LAST_ROW_ID) VALUES (%s, 0)", (stream,))

    def stream_offset(self, stream: str) -> int:
        return int(self.wh.scalar("SELECT LAST_ROW_ID FROM OPS.STREAM_OFFSETS WHERE STREAM_NAME = %s", (stream,)))

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

    def run_tasks(self) -> list[TaskRun]:
        runs: list[TaskRun] = []
        ran: set[str] = set()
        for task in self.task_order():
            if task.after and not any(parent in ran for parent in task.after):
                runs.append(TaskRun(task=task.name, ran=False, reason="no parent ran"))
                continue
            empty = [s for s in task.streams if self.stream_pending(s) == 0]
            if task.streams and len(empty) == len(task.streams):
                runs.append(TaskRun(task=task.name, ran=False, reason="stream has no data"))
                continue
            runs.append(self._run_task(task))
            ran.add(task.name)
        return runs

    def _run_task(self, task: sqlfiles.TaskDef) -> TaskRun:
        consumed = [name for name in self.streams if re.search(rf"\b{re.escape(name)}\b", task.body, re.IGNORECASE)]
        # The view's bounds are literals, so the merge sees exactly the rows the offset update
        # accounts for. fakesnow cannot run a MERGE inside an explicit transaction (it writes a
        # temporary table's metadata to a second DuckDB database), so the offset moves right
        # after the merge succeeds and never when it fails. A crash between the two replays the
        # same rows into the next merge, which the merges make a no-op (same hash, or not newer).
        bounds = {name: self._open_stream(name) for name in consumed}
        self.wh.execute(task.body)
        for name, (_, upper) in bounds.items():
            self.wh.execute("UPDATE OPS.STREAM_OFFSETS SET LAST_ROW_ID = %s, UPDATED_AT = CURRENT_TIMESTAMP() "
                            "WHERE STREAM_NAME = %s", (upper, name))
        return TaskRun(task=task.name, ran=True,
                       consumed={name: upper - offset for name, (offset, upper) in bounds.items()})


def _header_only(archive: LocalObjectStore, key: str) -> bool:
    """True when a CSV holds its header line and no record."""
    with open(archive.path(key), "rb") as handle:
        handle.readline()
        return not handle.read(1)
