"""Files a pipe processed, as both runtimes record them: COPY_HISTORY-shaped results, refused files.

The local emulator produces a :class:`FileLoad` per file it loads or refuses; the cloud runtime
builds the same from Snowflake's ``COPY_HISTORY`` rows. Refused files (``ON_ERROR = SKIP_FILE``)
go to ``OPS.LOAD_FAILURES`` either way, so a refused file is named in SQL as well as in the error.
"""

from __future__ import annotations

from dataclasses import dataclass

#: COPY results of a file (Snowflake's COPY says LOADED / LOAD_FAILED; COPY_HISTORY says Loaded / Load failed).
LOADED, LOAD_FAILED = "LOADED", "LOAD_FAILED"

#: What to do about a refused file (Snowpipe does not load the same name and content twice).
RECOVERY = ("Fix the cause, then stage the file again: re-run the batch if the Glue job then writes other bytes, "
            "or load it once by hand (the pipe's COPY with FILES = (...) and FORCE = TRUE); locally, deleting its "
            "row from OPS.LOAD_FAILURES lets the emulator try it again")


@dataclass
class FileLoad:
    """One file's load, shaped like a COPY_HISTORY row."""

    file_name: str
    status: str
    row_parsed: int = 0
    row_count: int = 0
    error_count: int = 0
    first_error_message: str | None = None
    first_error_line_number: int | None = None
    first_error_column_name: str | None = None

    @property
    def loaded(self) -> bool:
        return self.status == LOADED

    def describe(self) -> str:
        where = f" at line {self.first_error_line_number}" if self.first_error_line_number else ""
        column = f", column {self.first_error_column_name}" if self.first_error_column_name else ""
        return f"{self.file_name}: {self.first_error_message}{where}{column} ({self.error_count} bad record(s))"


def status_of(copy_history_status: str) -> str:
    """COPY_HISTORY's 'Loaded' / 'Load failed' / 'Partially loaded' as LOADED / LOAD_FAILED / PARTIALLY_LOADED."""
    return str(copy_history_status).strip().upper().replace(" ", "_")


def record_failure(wh, pipe: str, failure: FileLoad, digest: str | None, batch_id: str | None) -> None:
    """One refused file in OPS.LOAD_FAILURES."""
    wh.execute("INSERT INTO OPS.LOAD_FAILURES (PIPE_NAME, FILE_NAME, CONTENT_MD5, BATCH_ID, ERROR_MESSAGE, ERROR_LINE, "
               "ERROR_COLUMN, ERROR_COUNT, ROWS_PARSED) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
               (pipe, failure.file_name, digest, batch_id, failure.first_error_message or "no message",
                failure.first_error_line_number, failure.first_error_column_name, failure.error_count,
                failure.row_parsed))


def recorded_failures(wh, pipe: str) -> dict[tuple[str, str | None], FileLoad]:
    """The pipe's refused files by (file name, content digest)."""
    return {(row["FILE_NAME"], row["CONTENT_MD5"]): FileLoad(
        row["FILE_NAME"], LOAD_FAILED, row_parsed=int(row["ROWS_PARSED"] or 0),
        error_count=int(row["ERROR_COUNT"] or 0),
        first_error_message=row["ERROR_MESSAGE"], first_error_line_number=row["ERROR_LINE"],
        first_error_column_name=row["ERROR_COLUMN"])
        for row in wh.query("SELECT * FROM OPS.LOAD_FAILURES WHERE PIPE_NAME = %s", (pipe,))}
