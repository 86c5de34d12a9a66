"""Waiting for Snowpipe to load a batch, and saying why when it does not.

Snowpipe works inside Snowflake; the runtime watches. Rows per ``BATCH_ID`` in each pipe's table
say when the batch is in; ``COPY_HISTORY`` says what became of each of the batch's files meanwhile:

- a file Snowflake refused (``ON_ERROR = SKIP_FILE``: status *Load failed* or *Partially loaded*)
  ends the wait at once with the file and Snowflake's first error (line, column), and is recorded
  in ``OPS.LOAD_FAILURES``: waiting longer would only end in a time-out;
- a file with no load record ``load_refresh_after`` seconds into the wait most likely never produced
  an S3 event (delivery to Snowpipe is not guaranteed): its pipe is asked once to look again,
  ``ALTER PIPE <pipe> REFRESH PREFIX = 'batch_id=<id>/'`` (the prefix is relative to the pipe's stage
  path). A file the refresh does not queue is named at once; one that still has no record when the
  second wait ends is named in the time-out.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

from moviepipe.errors import StageError
from moviepipe.runtime.cloud.snowflake import SnowflakeControl
from moviepipe.warehouse import load_history
from moviepipe.warehouse.load_history import FileLoad


@dataclass
class BatchFiles:
    """One pipe's share of a batch: its table, the stage-relative prefix of the batch, the files under it."""

    pipe: str
    table: str
    prefix: str  # relative to the pipe's stage path, as ALTER PIPE ... REFRESH PREFIX takes it
    files: list[str]  # archive keys (relative to the stage URL)


@dataclass
class LoadState:
    rows: dict[str, int]
    unseen: dict[str, list[str]] = field(default_factory=dict)  # pipe -> files with no COPY_HISTORY record

    @property
    def unseen_files(self) -> list[str]:
        return [f"{pipe}: {key}" for pipe, keys in self.unseen.items() for key in keys]


class SnowpipeWait:
    def __init__(self, control: SnowflakeControl, wait: Callable, refresh_after: float, timeout: float,
                 clock: Callable[[], float] = time.monotonic):
        self.control = control
        self._wait = wait  # (check, stage, what, timeout) -> result, as CloudRuntime._wait
        self.refresh_after = refresh_after
        self.timeout = timeout
        self.clock = clock

    def wait(self, batch_id: str, expected: dict[str, int], shares: list[BatchFiles], since: str) -> dict[str, int]:
        """Rows loaded per pipe once they equal ``expected``; a named StageError otherwise."""
        started = self.clock()
        last: list[LoadState] = []
        refreshed: list[str] = []

        def check(refresh_due: bool):
            state = self._state(batch_id, expected, shares, since)
            last[:] = [state]
            if state.rows == expected:
                return state
            if refresh_due and state.unseen and self.clock() - started >= self.refresh_after:
                return state
            return None

        what = f"Snowpipe to load batch {batch_id} ({expected} rows expected)"
        try:
            state = self._wait(lambda: check(True), "load", what, self.timeout)
            if state.rows != expected:  # files Snowpipe has no record of: their S3 events never arrived
                refreshed = self._refresh(batch_id, state, shares)
                state = self._wait(lambda: check(False), "load", what, self.timeout)
        except StageError as error:
            if "timed out" not in str(error) or not last:
                raise
            state = last[0]
            unseen = f"; files with no load record in COPY_HISTORY: {', '.join(state.unseen_files)}" \
                if state.unseen else "; every file has a load record, but the rows differ (check the job's counts)"
            again = f" after ALTER PIPE ... REFRESH of {', '.join(refreshed)}" if refreshed else ""
            raise StageError("load", f"{error.args[0].removeprefix('load: ')}{again}: loaded {state.rows}{unseen}; "
                                     "see SYSTEM$PIPE_STATUS and the stage's files") from None
        return state.rows

    def _state(self, batch_id: str, expected: dict[str, int], shares: list[BatchFiles], since: str) -> LoadState:
        rows = {pipe: n for pipe, n in self.control.batch_rows(batch_id).items() if pipe in expected}
        over = {pipe: n for pipe, n in rows.items() if n > expected[pipe]}
        if over:
            raise StageError("load", f"batch {batch_id} loaded more rows than the transform wrote: {over} > "
                                     f"{expected} (a file was loaded twice)")
        state = LoadState(rows=rows)
        refused: list[tuple[str, FileLoad]] = []
        for share in shares:
            if rows.get(share.pipe) == expected[share.pipe]:
                continue
            history = self.control.copy_history(share.table, since)
            for key in share.files:
                record = next((row for row in history if _same_file(row["FILE_NAME"], key)), None)
                if record is None:
                    state.unseen.setdefault(share.pipe, []).append(key)
                elif load_history.status_of(record["STATUS"]) in ("LOAD_FAILED", "PARTIALLY_LOADED"):
                    refused.append((share.pipe, _file_load(key, record)))
        if refused:
            for pipe, failure in refused:  # once per file and batch, however often the load is retried
                if not self.control.wh.scalar("SELECT COUNT(*) FROM OPS.LOAD_FAILURES WHERE PIPE_NAME = %s AND "
                                              "FILE_NAME = %s AND BATCH_ID = %s", (pipe, failure.file_name, batch_id)):
                    load_history.record_failure(self.control.wh, pipe, failure, None, batch_id)
            named = "; ".join(f"{pipe}: {failure.describe()}" for pipe, failure in refused)
            raise StageError("load", f"Snowpipe refused {len(refused)} file(s) of batch {batch_id} (ON_ERROR = "
                                     f"SKIP_FILE; recorded in OPS.LOAD_FAILURES): {named}. {load_history.RECOVERY}")
        return state

    def _refresh(self, batch_id: str, state: LoadState, shares: list[BatchFiles]) -> list[str]:
        """One ALTER PIPE ... REFRESH per pipe with unseen files; a file it does not queue is named now."""
        refreshed, not_queued = [], []
        for share in shares:
            unseen = state.unseen.get(share.pipe)
            if not unseen:
                continue
            queued = [str(row.get("File") or row.get("FILE") or "") for row in
                      self.control.refresh_pipe(share.pipe, share.prefix)]
            refreshed.append(f"{share.pipe} PREFIX = '{share.prefix}'")
            not_queued += [f"{share.pipe}: {key}" for key in unseen if not any(_same_file(q, key) for q in queued)]
        if not_queued:
            raise StageError("load", f"batch {batch_id}: Snowpipe never received the S3 event of "
                                     f"{', '.join(not_queued)}, and ALTER PIPE ... REFRESH did not queue it (REFRESH "
                                     "only sees files staged in the last 7 days, under the pipe's stage path, not in "
                                     "its load history): check the file, then load it with the pipe's COPY by hand")
        return refreshed


def _same_file(recorded: str, key: str) -> bool:
    """COPY_HISTORY / REFRESH name a file by its path under the stage (some forms add the stage URL)."""
    recorded = str(recorded).lstrip("/")
    return recorded == key or recorded.endswith("/" + key)


def _file_load(key: str, row: dict) -> FileLoad:
    return FileLoad(key, load_history.LOAD_FAILED, row_parsed=int(row.get("ROW_PARSED") or 0),
                    row_count=int(row.get("ROW_COUNT") or 0), error_count=int(row.get("ERROR_COUNT") or 0),
                    first_error_message=row.get("FIRST_ERROR_MESSAGE") or "no message",
                    first_error_line_number=row.get("FIRST_ERROR_LINE_NUMBER"),
                    first_error_column_name=row.get("FIRST_ERROR_COLUMN_NAME"))
