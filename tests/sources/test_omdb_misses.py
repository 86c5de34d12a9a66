"""OPS.SOURCE_MISSES: each answer written once, resolved ids marked, the current misses; the run's artifact text."""

from __future__ import annotations

import pytest

from flows.reporting import source_answers_markdown
from moviepipe.sources.omdb import misses
from tests.sources.omdb_server import REAL_SHAPES, OmdbServer, fast_source


@pytest.fixture
def warehouse(tmp_path):
    from moviepipe.runtime import build_runtime
    from moviepipe.settings import load_settings

    rt = build_runtime(load_settings(home=str(tmp_path / "home")))
    try:
        yield rt.ledger.wh  # the ledger builds the sql/ tree first
    finally:
        rt.close()


def _plan(server, folder, ids, low=None, **options):
    source = fast_source(server, folder, ids, **options)
    try:
        return source.plan(low)
    finally:
        source.close()


def test_each_answer_is_written_once_and_a_found_id_closes_its_miss(tmp_path, warehouse):
    ids = ["tt0000101", "tt0000103", "tt1375666"]
    errors = {"tt0000101": "Movie not found!", "tt0000103": "Error getting data."}
    with OmdbServer(answers=REAL_SHAPES, errors=errors, not_found_every=10**9) as server:
        plan = _plan(server, tmp_path, ids)
        assert misses.record(warehouse, "omdb:test", plan, plan.batch_id) == 2
        assert misses.record(warehouse, "omdb:test", plan, plan.batch_id) == 0  # a re-run writes nothing twice
        current = misses.current(warehouse)
        assert [(r["SOURCE"], r["IMDB_ID"], r["STATUS"], r["REASON"], r["BATCH_ID"]) for r in current] == [
            ("omdb:test", "tt0000101", "not_found", "Movie not found!", plan.batch_id),
            ("omdb:test", "tt0000103", "unavailable", "Error getting data.", plan.batch_id)]
        assert all(str(r["RETRY_AFTER"]) > str(r["CHECKED_AT"]) for r in current)

        server.errors.pop("tt0000103")
        server.answers["tt0000103"] = dict(REAL_SHAPES["tt1375666"], imdbID="tt0000103")
        again = _plan(server, tmp_path, ids, plan.high, retry_missing=True)
        assert again.resolved and again.resolved[0][0] == "tt0000103"
        assert misses.record(warehouse, "omdb:test", again, None) == 2  # a new not_found answer, one 'found'
    assert [r["IMDB_ID"] for r in misses.current(warehouse)] == ["tt0000101"]
    history = warehouse.query("SELECT IMDB_ID, STATUS FROM OPS.SOURCE_MISSES ORDER BY IMDB_ID, CHECKED_AT")
    assert [(r["IMDB_ID"], r["STATUS"]) for r in history] == [
        ("tt0000101", "not_found"), ("tt0000101", "not_found"), ("tt0000103", "unavailable"), ("tt0000103", "found")]


def test_many_misses_go_in_chunks(tmp_path, warehouse):
    ids = [f"tt{n:07d}" for n in range(1_200_000, 1_201_200)]
    with OmdbServer(not_found_every=1) as server:  # every id: "Movie not found!"
        plan = _plan(server, tmp_path, ids, workers=8)
    assert len(plan.misses) == 1200
    assert misses.record(warehouse, "omdb:many", plan, None) == 1200
    assert warehouse.scalar("SELECT COUNT(DISTINCT IMDB_ID) FROM OPS.SOURCE_MISSES") == 1200
    assert len(misses.current(warehouse, limit=10)) == 10


def test_the_artifact_lists_the_counts_and_the_misses(tmp_path):
    errors = {"tt0000101": "Movie not found!", "tt0000103": "Error getting data."}
    with OmdbServer(answers=REAL_SHAPES, errors=errors, not_found_every=10**9) as server:
        plan = _plan(server, tmp_path, ["tt0000101", "tt0000103", "tt1375666", "tt1480055"])
    text = source_answers_markdown(plan.report())
    assert "| found | 2 |" in text and "| not found | 1 |" in text
    assert "| unavailable (OMDb has no data yet) | 1 |" in text
    assert "| tt0000103 | unavailable | Error getting data. |" in text
    assert "2 records in this run's batch; 4 requests" in text
    capped = source_answers_markdown(plan.report(), limit=1)
    assert "… and 1 more: `SELECT * FROM OPS.SOURCE_MISSES`" in capped
