"""Property test: random batch sequences through pipes -> streams -> tasks agree with a reference model.

Each example is a short sequence of batches over a few movies: inserts, type-2
and type-1 changes, replays of an earlier batch under a new id, out-of-order
(late) records, same-instant conflicts and deletes. Every batch goes through the
real ``sql/`` on fakesnow via ``LocalSnowflake``; after each one DIM_MOVIE must
equal ``ReferenceDim`` (full history per movie) and keep its invariants.

One warehouse serves the whole module (building one costs seconds); each example
uses its own movie ids and batch ids, and the model is per movie, so examples
cannot see each other.
"""

from __future__ import annotations

import itertools
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scd_reference import END_OF_TIME, ReferenceDim
from warehouse_testlib import Snow, delete, movie

pytestmark = pytest.mark.integration

ENTITIES = ("movies", "movie_deletes")
DAYS = [f"2026-01-{day:02d} 00:00:00" for day in range(1, 9)]
_example_ids = itertools.count(1)

operation = st.one_of(
    st.tuples(st.just("record"), st.integers(0, 2), st.sampled_from(DAYS),
              st.sampled_from(["A", "B", "C"]), st.sampled_from(["p", "q"])),
    st.tuples(st.just("delete"), st.integers(0, 2), st.sampled_from(DAYS), st.none(), st.none()),
)
batch = st.one_of(
    st.lists(operation, min_size=1, max_size=5),
    st.tuples(st.just("replay"), st.integers(0, 10)),  # an earlier batch again, under a new batch id
)


@pytest.fixture(scope="module")
def shared_snow(tmp_path_factory):
    warehouse = Snow(tmp_path_factory.mktemp("scd"))
    yield warehouse
    warehouse.close()


def _dim_rows(snow: Snow, imdb_ids: list[str]) -> dict[str, list[tuple]]:
    rows = snow.query(
        "SELECT IMDB_ID, VALID_FROM, VALID_TO, IS_CURRENT, IS_DELETED, CHANGE_HASH, TITLE, PLOT, BATCH_ID "
        f"FROM ANALYTICS.DIM_MOVIE WHERE IMDB_ID IN ({', '.join(['%s'] * len(imdb_ids))}) "
        "ORDER BY IMDB_ID, VALID_FROM", tuple(imdb_ids))
    found: dict[str, list[tuple]] = {imdb_id: [] for imdb_id in imdb_ids}
    for row in rows:
        found[row["IMDB_ID"]].append(tuple(row[c] for c in (
            "VALID_FROM", "VALID_TO", "IS_CURRENT", "IS_DELETED", "CHANGE_HASH", "TITLE", "PLOT", "BATCH_ID")))
    return found


def _check_invariants(imdb_id: str, rows: list[tuple]) -> None:
    if not rows:
        return
    assert sum(1 for r in rows if r[2]) == 1, f"{imdb_id}: exactly one current version"
    assert rows[-1][2] and rows[-1][1] == END_OF_TIME
    for before, after in zip(rows, rows[1:]):
        assert before[1] == after[0], f"{imdb_id}: versions are contiguous"


#: Modest by default (each batch is a real merge); raise it locally with MOVIEPIPE_SCD_EXAMPLES=200.
EXAMPLES = int(os.environ.get("MOVIEPIPE_SCD_EXAMPLES", "8"))


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batches=st.lists(batch, min_size=2, max_size=4))
def test_random_batches_match_the_reference_model(shared_snow, batches):
    example = next(_example_ids)
    imdb_ids = [f"tt9{example:03d}{k}" for k in range(3)]
    model = ReferenceDim()
    written: list[tuple[list[dict], list[dict]]] = []
    for number, ops in enumerate(batches):
        if isinstance(ops, tuple):  # replay
            if not written:
                continue
            records, deletes = written[ops[1] % len(written)]
        else:
            records = [movie(imdb_ids[k], day, TITLE=title, PLOT=plot, BOX_OFFICE=None)
                       for kind, k, day, title, plot in ops if kind == "record"]
            deletes = [delete(imdb_ids[k], day) for kind, k, day, _, _ in ops if kind == "delete"]
        written.append((records, deletes))
        batch_id = f"p{example:03d}-{number}"
        shared_snow.run(batch_id, records, deletes, only=ENTITIES)
        model.apply(batch_id, records, deletes)

        actual = _dim_rows(shared_snow, imdb_ids)
        for imdb_id in imdb_ids:
            _check_invariants(imdb_id, actual[imdb_id])
            assert actual[imdb_id] == model.rows(imdb_id), f"{imdb_id} after batch {number}: {batches}"
