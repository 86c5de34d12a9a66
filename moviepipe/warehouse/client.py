"""A thin Snowflake client: the same calls against fakesnow (local) or Snowflake (cloud).

Only the connection differs: ``local_warehouse`` opens fakesnow persisted under a
folder; ``snowflake_warehouse`` (cloud runtime) opens the real connector. The
rest of the code gets a ``Warehouse`` and never asks which one it has.
"""

from __future__ import annotations

import contextlib
import warnings
from pathlib import Path
from typing import Any, Iterator

from moviepipe.errors import StageError

# fakesnow converts results through Arrow; its warning about the extra copy is noise here.
warnings.filterwarnings("ignore", message="Arrow output on a DB-API result", category=UserWarning)


class Warehouse:
    def __init__(self, connection, closer: contextlib.ExitStack | None = None):
        self.connection = connection
        self._closer = closer
        self._in_transaction = False

    def execute(self, sql: str, params: Any = None) -> list[tuple]:
        cursor = self.connection.cursor()
        try:
            cursor.execute(sql, params) if params is not None else cursor.execute(sql)
            return cursor.fetchall() if cursor.description else []
        finally:
            cursor.close()

    def query(self, sql: str, params: Any = None) -> list[dict]:
        cursor = self.connection.cursor()
        try:
            cursor.execute(sql, params) if params is not None else cursor.execute(sql)
            names = [d[0] for d in cursor.description or []]
            return [dict(zip(names, row)) for row in cursor.fetchall()]
        finally:
            cursor.close()

    def scalar(self, sql: str, params: Any = None):
        rows = self.execute(sql, params)
        return rows[0][0] if rows else None

    @contextlib.contextmanager
    def transaction(self) -> Iterator["Warehouse"]:
        """All or nothing: a stream offset moves only if its merge commits."""
        if self._in_transaction:
            yield self
            return
        self.execute("BEGIN")
        self._in_transaction = True
        try:
            yield self
        except BaseException:
            self.execute("ROLLBACK")
            raise
        else:
            self.execute("COMMIT")
        finally:
            self._in_transaction = False

    def close(self) -> None:
        try:
            self.connection.close()
        finally:
            if self._closer:
                self._closer.close()


def local_warehouse(folder: Path, database: str, nop_regexes: list[str] | None = None,
                    memory_limit: str | None = None) -> Warehouse:
    """fakesnow on DuckDB, persisted in ``folder`` (tables survive restarts; stages do not).

    ``memory_limit`` caps DuckDB (it spills to ``folder/tmp`` beyond it): by default it
    would take 80% of the machine, so peak memory would grow with the data.
    """
    import fakesnow
    import snowflake.connector

    folder.mkdir(parents=True, exist_ok=True)
    stack = contextlib.ExitStack()
    try:
        stack.enter_context(fakesnow.patch(db_path=str(folder), nop_regexes=nop_regexes))
        connection = snowflake.connector.connect(database=database, schema="RAW")
        if memory_limit:
            duck = connection._duck_conn  # fakesnow's DuckDB connection: engine settings are not Snowflake SQL
            duck.execute(f"SET memory_limit = '{_checked_size(memory_limit)}'")
            temp = (folder / "tmp").as_posix().replace("'", "''")
            duck.execute(f"SET temp_directory = '{temp}'")
    except Exception as error:
        stack.close()
        if "lock" in str(error).lower():
            raise StageError("warehouse", f"the local warehouse in {folder} is in use by another moviepipe process") \
                from None
        raise
    return Warehouse(connection, stack)


def _checked_size(text: str) -> str:
    """A DuckDB size such as ``2GB`` or ``512MB``; anything else is refused, not interpolated."""
    import re

    if not re.fullmatch(r"\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)", text.strip(), re.IGNORECASE):
        raise StageError("warehouse", f"memory limit {text!r} is not a size like 2GB or 512MB")
    return text.strip()
