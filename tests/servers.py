"""The machine's PostgreSQL and MariaDB as real source databases for tests.

``scratch_database(server, prefix)`` creates a fresh database, yields its URL,
and drops it afterwards; when the server is not reachable the test is skipped
with the reason (CI here has both, so there they always run).
"""

from __future__ import annotations

import contextlib
import uuid
from typing import Iterator

import pytest
import sqlalchemy as sa

#: server -> (admin URL, URL template of a database on it)
SERVERS = {
    "postgresql": ("postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
                   "postgresql+psycopg://postgres@127.0.0.1:5432/{db}"),
    "mariadb": ("mysql+pymysql://root@127.0.0.1:3306/", "mysql+pymysql://root@127.0.0.1:3306/{db}?charset=utf8mb4"),
}


@contextlib.contextmanager
def scratch_database(server: str, prefix: str = "moviepipe") -> Iterator[str]:
    admin_url, template = SERVERS[server]
    try:
        admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except Exception as error:  # noqa: BLE001
        pytest.skip(f"{server} not reachable at {admin_url}: {str(error).splitlines()[0]}")
    db = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f"CREATE DATABASE {db}" + (" CHARACTER SET utf8mb4" if server == "mariadb" else "")))
    try:
        yield template.format(db=db)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS {db}" + (" WITH (FORCE)" if server == "postgresql" else "")))
        admin.dispose()
