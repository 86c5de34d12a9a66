"""A read-only, private copy of the local warehouse that never stands in a run's way.

The local warehouse is fakesnow persisted as one DuckDB file per database
(``$MOVIEPIPE_HOME/warehouse/<DATABASE>.db`` and, between checkpoints, its ``.wal``).
DuckDB lets one process write a file, and readers in other processes open it only
when no writer holds it: while ``moviepipe run`` is going, a read-only open fails
("Could not set lock on file"), and a reader holding the file open would make the
next run fail the same way. So the dashboard never opens the warehouse itself: it
copies the database file and its WAL (a plain file read takes no DuckDB lock) into
a temporary folder and attaches *the copy* ``READ_ONLY``; opening the copy replays
its WAL, so every transaction the run had committed when the copy was taken is
there, and nothing half-written is.

A copy is only kept when the files did not change while being copied (size and
modification time before and after) and the copy attaches; otherwise it is taken again
(``tenacity``: a few attempts with a growing wait), so a checkpoint in the middle of
a copy costs a retry, never a torn read. A new copy is taken when the warehouse has
changed and the current one is older than ``max_age`` seconds (or on ``refresh(force=True)``).
"""

from __future__ import annotations

import atexit
import re
import shutil
import tempfile
import threading
import time
import warnings
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from moviepipe.errors import MoviepipeError

# fakesnow converts results through Arrow; its warning about the extra copy is noise here.
warnings.filterwarnings("ignore", message="Arrow output on a DB-API result", category=UserWarning)

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*")


class NoWarehouse(MoviepipeError):
    """There is no local warehouse yet (no run has created one)."""


class SnapshotChanged(MoviepipeError):
    """The warehouse changed while it was being copied: the copy is discarded and taken again."""


@dataclass(frozen=True)
class SnapshotInfo:
    """What the pages say about the data they show."""

    taken_at: datetime
    source: str
    fingerprint: tuple
    attempts: int = 1

    @property
    def label(self) -> str:
        return f"local warehouse {self.source}, copied at {self.taken_at:%H:%M:%S}"


def fingerprint(files: list[Path]) -> tuple:
    """(name, size, mtime in ns) of each file that exists: any write changes it."""
    found = []
    for path in files:
        try:
            stat = path.stat()
        except FileNotFoundError:
            continue
        found.append((path.name, stat.st_size, stat.st_mtime_ns))
    return tuple(found)


class WarehouseSnapshot:
    """The dashboard's view of ``folder/<database>.db``: a read-only copy, refreshed on change.

    Queries from several Streamlit sessions (threads) are serialised by one lock: a DuckDB
    connection is not meant to be shared between threads, and a swap to a newer copy must not
    close a connection under a running query.
    """

    def __init__(self, folder: Path, database: str, max_age: float = 15.0, memory_limit: str | None = None,
                 attempts: int = 6):
        if not _IDENTIFIER.fullmatch(database):
            raise MoviepipeError(f"database name {database!r} is not a plain identifier")
        self.folder = Path(folder)
        self.database = database.upper()
        self.max_age = max_age
        self.memory_limit = memory_limit
        self.attempts = attempts
        self._lock = threading.RLock()
        self._connection = None
        self._copy_dir: Path | None = None
        self._taken = 0.0
        self.info: SnapshotInfo | None = None
        atexit.register(self.close)  # the server stops on SIGTERM/Ctrl+C: leave no copy behind

    @property
    def files(self) -> list[Path]:
        database_file = self.folder / f"{self.database}.db"
        return [database_file, database_file.with_name(database_file.name + ".wal")]

    def refresh(self, force: bool = False) -> SnapshotInfo:
        """The current copy, or a new one if the warehouse changed and the copy is old enough."""
        with self._lock:
            if self.info is not None and not force:
                young = time.monotonic() - self._taken < self.max_age
                if young or fingerprint(self.files) == self.info.fingerprint:
                    return self.info
            self._replace()
            return self.info

    def cursor(self):
        """A cursor on the current copy (call under ``lock``)."""
        if self._connection is None:
            self.refresh()
        return self._connection.cursor()

    @property
    def lock(self) -> threading.RLock:
        return self._lock

    def close(self) -> None:
        with self._lock:
            self._discard(self._connection, self._copy_dir)
            self._connection, self._copy_dir, self.info = None, None, None

    # ------------------------------------------------------------------ copying
    def _replace(self) -> None:
        from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential

        import duckdb

        retrying = Retrying(stop=stop_after_attempt(self.attempts), wait=wait_exponential(multiplier=0.05, max=1.0),
                            retry=retry_if_exception_type((SnapshotChanged, duckdb.Error)), reraise=True)
        for attempt in retrying:
            with attempt:
                connection, copy_dir, taken_fingerprint = self._copy_and_open()
        old = (self._connection, self._copy_dir)
        self._connection, self._copy_dir = connection, copy_dir
        self._taken = time.monotonic()
        self.info = SnapshotInfo(datetime.now(), str(self.files[0]), taken_fingerprint,
                                 attempts=attempt.retry_state.attempt_number)
        self._discard(*old)

    def _copy_and_open(self):
        database_file, wal = self.files
        before = fingerprint(self.files)
        if not database_file.is_file():
            raise NoWarehouse(f"no local warehouse at {database_file}: run `moviepipe run` first")
        copy_dir = Path(tempfile.mkdtemp(prefix="moviepipe-dashboard-"))
        try:
            shutil.copyfile(database_file, copy_dir / database_file.name)
            try:
                shutil.copyfile(wal, copy_dir / wal.name)
            except FileNotFoundError:  # checkpointed (or never written since): the .db is complete
                pass
            if fingerprint(self.files) != before:
                raise SnapshotChanged(f"{database_file} changed while it was being copied")
            return self._open(copy_dir), copy_dir, before
        except BaseException:
            shutil.rmtree(copy_dir, ignore_errors=True)
            raise

    def _open(self, copy_dir: Path):
        """fakesnow over the copy, attached READ_ONLY before fakesnow would attach it read-write."""
        from fakesnow.instance import FakeSnow

        from moviepipe.warehouse.client import _checked_size

        fake = FakeSnow(db_path=copy_dir)
        duck = fake.duck_conn
        try:
            path = (copy_dir / f"{self.database}.db").as_posix().replace("'", "''")
            duck.execute(f"ATTACH '{path}' AS {self.database} (READ_ONLY)")
            if self.memory_limit:
                duck.execute(f"SET memory_limit = '{_checked_size(self.memory_limit)}'")
            # qmark, as Streamlit's Snowflake connection uses: one SQL text for both backends
            connection = fake.connect(database=self.database, schema="ANALYTICS", paramstyle="qmark")
        except BaseException:
            duck.close()
            raise
        connection._moviepipe_duck = duck
        return connection

    @staticmethod
    def _discard(connection, copy_dir: Path | None) -> None:
        if connection is not None:
            try:
                connection.close()
            finally:
                connection._moviepipe_duck.close()
        if copy_dir is not None:
            shutil.rmtree(copy_dir, ignore_errors=True)
