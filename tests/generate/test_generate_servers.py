"""Generating into and changing PostgreSQL and MariaDB (skipped, with the reason, when absent)."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

import moviepipe.generate as synthetic
from moviepipe.sources.sql import SqlSource

SERVERS = {
    "postgresql": ("postgresql+psycopg://postgres@127.0.0.1:5432/postgres", "postgresql+psycopg://postgres@127.0.0.1:5432/{db}"),
    "mariadb": ("mysql+pymysql://root@127.0.0.1:3306/", "mysql+pymysql://root@127.0.0.1:3306/{db}?charset=utf8mb4"),
}


@pytest.fixture(params=sorted(SERVERS))
def empty_database(request):
    admin_url, template = SERVERS[request.param]
    try:
        admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except Exception as error:  # noqa: BLE001
        pytest.skip(f"{request.param} not reachable at {admin_url}: {str(error).splitlines()[0]}")
    db = f"moviepipe_gen_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f"CREATE DATABASE {db}" + (" CHARACTER SET utf8mb4" if request.param == "mariadb" else "")))
    try:
        yield template.format(db=db)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS {db}" + (" WITH (FORCE)" if request.param == "postgresql" else "")))
        admin.dispose()


def test_generate_and_change_on_a_server(empty_database):
    url = empty_database
    synthetic.generate(url, 400, seed=2)
    source = SqlSource(url)
    try:
        assert source.plan(None).expected_rows == 400
    finally:
        source.close()
    report = synthetic.apply_changes(url, changes=10, seed=3, delete=5)
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            counts = [conn.execute(sa.text(f"SELECT COUNT(*) FROM {t}")).scalar() for t in ("omdb", "tomatoes")]
            stamped = conn.execute(sa.text('SELECT COUNT(*) FROM omdb WHERE "lastUpdated" = :at'
                                           if "postgresql" in url else
                                           "SELECT COUNT(*) FROM omdb WHERE lastUpdated = :at"), {"at": report.at}).scalar()
            accented = conn.execute(sa.text("SELECT COUNT(*) FROM omdb WHERE " +
                                            ('"Cast"' if "postgresql" in url else "`Cast`") + " LIKE '%é%'")).scalar()
    finally:
        engine.dispose()
    assert counts == [380, 380] and stamped == report.changed == 40
    assert accented > 0, "non-ASCII names survive the round trip"
