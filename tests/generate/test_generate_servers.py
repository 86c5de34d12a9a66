"""Generating into and changing PostgreSQL and MariaDB (skipped, with the reason, when absent)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

import moviepipe.generate as synthetic
from moviepipe.sources.sql import SqlSource
from tests.servers import SERVERS, scratch_database


@pytest.fixture(params=sorted(SERVERS))
def empty_database(request):
    with scratch_database(request.param, "moviepipe_gen") as url:
        yield url


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
