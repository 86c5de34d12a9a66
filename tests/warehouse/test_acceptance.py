"""Acceptance: base set, 5% changes, a replayed old batch, deletions -> pipes, streams, tasks, BI views."""

from collections import Counter

import pytest
from warehouse_testlib import delete, movie

pytestmark = pytest.mark.integration

BASE_AT, CHANGE_AT, DELETE_AT = "2026-01-01 00:00:00", "2026-02-01 00:00:00", "2026-03-01 00:00:00"
GENRES = ["Drama", "Comedy", "Action", "Horror"]
VIEWS = ("MOVIE_CURRENT", "MOVIE_RATING_LATEST", "MOVIE_RATING_CHART", "TOP_MOVIES_BY_GENRE_DECADE",
         "RATING_AGREEMENT", "BOX_OFFICE_BY_YEAR")
SNAPSHOT_TABLES = ("DIM_MOVIE", "FACT_MOVIE_RATING", "FACT_BOX_OFFICE", "BRIDGE_MOVIE_GENRE", "BRIDGE_MOVIE_PERSON")


def base_movie(n: int, at: str, **changes) -> dict:
    values = dict(TITLE=f"Movie {n}", YEAR=1950 + n, GENRES=f"{GENRES[n % 4]}, {GENRES[(n + 1) % 4]}",
                  IMDB_RATING=f"{5 + n % 5}.{n % 10}", METASCORE=40 + n, TOMATO_METER=30 + n,
                  BOX_OFFICE=f"{n * 1000000}.00" if n % 3 else None)
    return movie(f"tt{n:07d}", at, **{**values, **changes})


def snapshot(snow) -> dict:
    return {t: sorted(map(repr, snow.query(f"SELECT * EXCLUDE (UPDATED_AT) FROM ANALYTICS.{t}")))
            for t in SNAPSHOT_TABLES}


def test_batches_through_pipes_streams_and_tasks(snow):
    consumed: Counter = Counter()

    def run(batch_id, movies=(), deletes=()):
        _, runs = snow.run(batch_id, movies, deletes)
        runs += snow.emulator.run_tasks()  # the next scheduled run: nothing new
        for task_run in runs:
            consumed.update(task_run.consumed)

    base = [base_movie(n, BASE_AT) for n in range(1, 41)]
    run("b-base", base)
    changes = [base_movie(1, CHANGE_AT, TITLE="Movie 1 (director's cut)"),
               base_movie(2, CHANGE_AT, GENRES="Western"),
               base_movie(3, CHANGE_AT, PLOT="A new plot.")]  # 5%: two type-2 changes, one type-1
    run("b-changes", changes)

    before = snapshot(snow)
    run("b-replay", base)  # an old batch again, under a new batch id
    for pipe in snow.emulator.pipes:  # and a rerun of every pipe and task over the same archive
        assert not snow.emulator.run_pipe(pipe, snow.store).files_loaded
    assert not any(r.ran for r in snow.emulator.run_tasks())
    assert snapshot(snow) == before, "a replay changes nothing"

    gone = ["tt0000010", "tt0000020", "tt0000030"]
    run("b-deletes", deletes=[delete(imdb_id, DELETE_AT) for imdb_id in gone])

    # exactly one current row per imdbID, contiguous versions
    assert snow.scalar("SELECT COUNT(*) FROM ANALYTICS.DIM_MOVIE WHERE IS_CURRENT") == 40
    assert snow.scalar("SELECT COUNT(DISTINCT IMDB_ID) FROM ANALYTICS.DIM_MOVIE") == 40
    assert snow.scalar("""
        SELECT COUNT(*) FROM (
            SELECT VALID_TO, LEAD(VALID_FROM) OVER (PARTITION BY IMDB_ID ORDER BY VALID_FROM) AS NEXT_FROM
            FROM ANALYTICS.DIM_MOVIE)
        WHERE VALID_TO <> COALESCE(NEXT_FROM, '9999-12-31'::TIMESTAMP_NTZ)""") == 0
    assert snow.scalar("SELECT COUNT(*) FROM ANALYTICS.DIM_MOVIE") == 40 + 2 + 3
    titles = [r["TITLE"] for r in snow.query(
        "SELECT TITLE FROM ANALYTICS.DIM_MOVIE WHERE IMDB_ID = 'tt0000001' ORDER BY VALID_FROM")]
    assert titles == ["Movie 1", "Movie 1 (director's cut)"]
    assert {r["PLOT"] for r in snow.query("SELECT PLOT FROM ANALYTICS.DIM_MOVIE WHERE IMDB_ID = 'tt0000003'")} \
        == {"A new plot."}

    # deleted movies: closed at DELETED_AT and flagged by a current tombstone
    for imdb_id in gone:
        versions = snow.query("SELECT VALID_FROM, VALID_TO, IS_CURRENT, IS_DELETED FROM ANALYTICS.DIM_MOVIE "
                              "WHERE IMDB_ID = %s ORDER BY VALID_FROM", (imdb_id,))
        assert [(v["IS_CURRENT"], v["IS_DELETED"]) for v in versions] == [(False, False), (True, True)]
        assert str(versions[0]["VALID_TO"]) == DELETE_AT

    # each archive file loaded exactly once; each raw row reached its merge exactly once
    files = sorted(k for k in snow.store.list("") if k.endswith(".csv"))
    loaded = [r["FILE_NAME"] for r in snow.query("SELECT FILE_NAME FROM OPS.LOADED_FILES ORDER BY 1")]
    assert loaded == files and len(files) == 4 * 6
    for stream in snow.emulator.streams.values():
        assert consumed[stream.name] == snow.scalar(f"SELECT COUNT(*) FROM {stream.table}"), stream.name

    # the BI views answer
    answers = {view: snow.query(f"SELECT * FROM ANALYTICS.{view}") for view in VIEWS}
    assert all(answers.values()), {v: len(a) for v, a in answers.items()}
    assert len(answers["MOVIE_CURRENT"]) == 37
    assert not {r["IMDB_ID"] for r in answers["MOVIE_CURRENT"]} & set(gone)
    chart = [r for r in answers["MOVIE_RATING_CHART"] if r["IMDB_ID"] == "tt0000005"]
    assert {r["RATING_SOURCE"] for r in chart} == {"IMDB", "METACRITIC", "ROTTEN_TOMATOES", "ROTTEN_TOMATOES_AUDIENCE"}
    assert {(r["HIGHEST_SCORE"], r["LOWEST_SCORE"]) for r in chart} == {(max(r["SCORE"] for r in chart),
                                                                         min(r["SCORE"] for r in chart))}
    top = answers["TOP_MOVIES_BY_GENRE_DECADE"]
    assert all(r["GENRE_DECADE_RANK"] <= 10 for r in top) and {r["GENRE"] for r in top} >= set(GENRES)
    by_year = {r["YEAR"]: r for r in answers["BOX_OFFICE_BY_YEAR"]}
    assert by_year[1951]["TOTAL_BOX_OFFICE"] == 1000000
    assert {r["AGREEMENT"] for r in answers["RATING_AGREEMENT"]} <= {"AGREE", "MIXED", "DISAGREE"}
