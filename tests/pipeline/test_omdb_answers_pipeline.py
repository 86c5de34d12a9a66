"""Acceptance of issue #12, as a new user meets it: every OMDb answer shape through the CLI and the pipeline.

One id list holds the old runtime forms, episodes, a series still running ("2005–"), a game, a
not-found id and an "Error getting data." id. Every found record lands in DIM_MOVIE with its values,
nothing is rejected as bad data, the misses are listed by ``moviepipe run`` and ``moviepipe status``
and are queryable in OPS.SOURCE_MISSES, and three runs ask OMDb about each permanent miss once.
"""

from __future__ import annotations

import json
import re

import pytest
from typer.testing import CliRunner

from moviepipe.cli import app
from moviepipe.warehouse import sqlfiles
from tests.conftest import warehouse_query as query
from tests.sources.omdb_server import REAL_SHAPES, OmdbServer

KEY = "omdb-key-3c1d-acceptance"
NOT_FOUND, UNAVAILABLE = "tt9999998", "tt27665778"
runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, list(args), catch_exceptions=False)


@pytest.fixture
def omdb_run(home, tmp_path, monkeypatch):
    """A server with the real answer shapes, and the settings a user would set (one id per line)."""
    ids_file = tmp_path / "ids.txt"
    ids_file.write_text("\n".join([*REAL_SHAPES, NOT_FOUND, UNAVAILABLE]) + "\n")
    server = OmdbServer(api_key=KEY, answers=REAL_SHAPES, not_found_every=10**9,
                        errors={NOT_FOUND: "Movie not found!", UNAVAILABLE: "Error getting data."})
    with server:
        monkeypatch.setenv("OMDB_API_KEY", KEY)
        monkeypatch.setenv("MOVIEPIPE_SOURCE", "omdb")
        monkeypatch.setenv("MOVIEPIPE_OMDB_IDS", str(ids_file))
        monkeypatch.setenv("MOVIEPIPE_OMDB_BASE_URL", server.url)
        monkeypatch.setenv("MOVIEPIPE_OMDB_REQUESTS_PER_SECOND", "200")
        monkeypatch.setenv("MOVIEPIPE_OMDB_RETRY_MISSING", "false")  # restored after the CLI's --retry-missing
        yield server


def _miss_lines(output: str) -> set[str]:
    return {line for line in output.splitlines() if NOT_FOUND in line or UNAVAILABLE in line}


@pytest.mark.integration
@pytest.mark.usefixtures("prefect_harness")
def test_every_answer_shape_loads_and_misses_cost_one_request_in_three_runs(home, omdb_run):
    server = omdb_run
    first = invoke("run")
    assert first.exit_code == 0, first.output
    assert re.search(r"OMDb 12 ids: 10 found · 1 not found · 1 unavailable · \d+ requests", first.output)
    lines = _miss_lines(first.output)
    assert any("Movie not found!" in line for line in lines) and any("Error getting data." in line for line in lines)

    # every found record, with its values; nothing rejected as bad data
    dim = {row["IMDB_ID"]: row for row in query(home, "SELECT IMDB_ID, TYPE, YEAR, YEAR_END, RUNTIME_MINUTES, "
                                                      "TITLE FROM ANALYTICS.DIM_MOVIE WHERE IS_CURRENT")}
    assert set(dim) == set(REAL_SHAPES)
    minutes = {i: (None if r["RUNTIME_MINUTES"] is None else int(r["RUNTIME_MINUTES"])) for i, r in dim.items()}
    assert minutes == {"tt1375666": 148, "tt0047478": 207, "tt0050083": 96, "tt0017925": 60, "tt0118799": 116,
                       "tt1480055": 62, "tt0740913": 75, "tt0472954": 22, "tt0903747": 49, "tt3339654": None}
    assert {i: r["TYPE"] for i, r in dim.items() if r["TYPE"] != "movie"} == {
        "tt1480055": "episode", "tt0740913": "episode", "tt0472954": "series", "tt0903747": "series",
        "tt3339654": "game"}
    assert (int(dim["tt0472954"]["YEAR"]), dim["tt0472954"]["YEAR_END"]) == (2005, None)  # "2005–"
    assert (int(dim["tt0903747"]["YEAR"]), int(dim["tt0903747"]["YEAR_END"])) == (2008, 2013)
    assert query(home, "SELECT COUNT(*) AS N FROM OPS.REJECTED_ROWS")[0]["N"] == 0

    # the episode's Season/Episode/seriesID and the Ratings list, typed, in RAW.MOVIES.EXTRA
    episode = query(home, "SELECT EXTRA:Season::INT AS SEASON, EXTRA:Episode::INT AS EPISODE, "
                          "EXTRA:seriesID::STRING AS SERIES, EXTRA:Ratings[0]:Value::STRING AS IMDB "
                          "FROM RAW.MOVIES WHERE IMDB_ID = 'tt1480055'")
    assert episode == [{"SEASON": 1, "EPISODE": 1, "SERIES": "tt0944947", "IMDB": "8.9/10"}]
    value = invoke("sql", "SELECT EXTRA:Ratings[0]:Value::STRING AS V FROM RAW.MOVIES WHERE IMDB_ID = 'tt1375666'",
                   "--json")
    assert json.loads(value.output) == [{"V": "8.8/10"}]
    seasons = query(home, "SELECT EXTRA:totalSeasons::INT AS N FROM RAW.MOVIES WHERE IMDB_ID = 'tt0472954'")
    assert seasons == [{"N": 16}]

    # the misses: in the ledger's detail, in OPS.SOURCE_MISSES, in moviepipe status
    extract = query(home, "SELECT DETAIL FROM OPS.BATCH_LEDGER WHERE STAGE = 'extract'")[0]
    answers = json.loads(extract["DETAIL"])["source_answers"]["answers"]
    assert answers == {"found": 10, "not_found": 1, "unavailable": 1, "failed": 0, "unanswered": 0}
    recorded = query(home, "SELECT IMDB_ID, STATUS, REASON, RETRY_AFTER > CHECKED_AT AS LATER "
                           "FROM OPS.SOURCE_MISSES ORDER BY IMDB_ID")
    assert recorded == [{"IMDB_ID": UNAVAILABLE, "STATUS": "unavailable", "REASON": "Error getting data.",
                         "LATER": True},
                        {"IMDB_ID": NOT_FOUND, "STATUS": "not_found", "REASON": "Movie not found!", "LATER": True}]
    status = invoke("status")
    assert status.exit_code == 0 and len(_miss_lines(status.output)) == 2
    assert {row["IMDB_ID"] for row in json.loads(invoke("status", "--misses", "--json").output)} == {
        NOT_FOUND, UNAVAILABLE}

    # runs two and three: nothing new, the misses still listed, never asked again
    for _ in range(2):
        again = invoke("run")
        assert again.exit_code == 0 and "Source unchanged" in again.output
        assert len(_miss_lines(again.output)) == 2
    assert server.attempts[NOT_FOUND] == server.attempts[UNAVAILABLE] == 1
    assert all(server.attempts[i] == 1 for i in REAL_SHAPES)
    assert query(home, "SELECT COUNT(*) AS N FROM OPS.SOURCE_MISSES")[0]["N"] == 2  # each answer once

    # --retry-missing asks once more; OMDb has indexed the unavailable id meanwhile
    server.errors.pop(UNAVAILABLE)
    server.answers[UNAVAILABLE] = dict(REAL_SHAPES["tt1375666"], imdbID=UNAVAILABLE, Title="Indexed Since")
    retried = invoke("run", "--retry-missing")
    assert retried.exit_code == 0, retried.output
    assert server.attempts[NOT_FOUND] == server.attempts[UNAVAILABLE] == 2
    assert query(home, f"SELECT TITLE FROM ANALYTICS.DIM_MOVIE WHERE IMDB_ID = '{UNAVAILABLE}'") == [
        {"TITLE": "Indexed Since"}]
    current = json.loads(invoke("status", "--misses", "--json").output)
    assert [(row["IMDB_ID"], row["STATUS"]) for row in current] == [(NOT_FOUND, "not_found")]
    leaked = [p for p in home.rglob("*") if p.is_file() and KEY.encode() in p.read_bytes()]
    assert leaked == []

    # each of the four runs left its answers as a Prefect artifact
    mine = [a.data for a in _source_answer_artifacts() if f"| {NOT_FOUND} | not_found | Movie not found! |" in a.data]
    assert len(mine) == 4 and sum("| found | 10 |" in text for text in mine) == 3
    assert sum("| found | 11 |" in text for text in mine) == 1  # after --retry-missing


def _source_answer_artifacts():
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    with get_client(sync_client=True) as client:
        return client.read_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(
            any_=["moviepipe-source-answers"])))


def test_the_movies_pipe_parses_extra_so_snowflake_keeps_json_values():
    """The Glue job writes EXTRA as JSON text with typed values (tests/glue/test_extra_json.py). On Snowflake
    the movies pipe parses that column (PARSE_JSON) so EXTRA:Ratings[0]:Value works without relying on a CSV
    field turning into an object by itself; the local emulator runs that same COPY transformation."""
    (pipe,) = [f for f in sqlfiles.load("pipes") if f.name == "010_raw_movies_pipe"]
    copy = sqlfiles.parse_pipe(pipe.render(database="MOVIEPIPE", archive_url="file:///x/", stage_options="",
                                           warehouse="WH")).copy_statement
    assert re.search(r"(TRY_)?PARSE_JSON\s*\(", copy, re.IGNORECASE), copy
