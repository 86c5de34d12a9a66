"""What the OMDb source delivers: contract columns, OMDb's strings verbatim, watermarks and batch ids, the cache."""

from __future__ import annotations

import json
import re

import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest

from moviepipe.contract import EXTRA_COLUMNS, RAW_COLUMNS
from moviepipe.errors import SourceError
from moviepipe.packaging import write_raw_files
from moviepipe.sources.omdb.cache import to_row
from tests.sources.omdb_server import OmdbServer, fast_source, imdb_ids


@pytest.fixture
def server():
    with OmdbServer() as running:
        yield running


def _rows(source, plan):
    return [row for batch in source.batches(plan) for row in batch.to_pylist()]


def test_batches_hold_the_contract_columns_and_omdb_strings_verbatim(server, tmp_path):
    ids = imdb_ids(1_000_000, 30)
    source = fast_source(server, tmp_path, ids, chunk_rows=7)
    try:
        plan = source.plan(None)
        batches = list(source.batches(plan))
    finally:
        source.close()
    assert source.kind == "omdb"
    assert source.schema.names == [*RAW_COLUMNS, *EXTRA_COLUMNS, "Ratings", "totalSeasons", "Season", "Episode",
                                   "seriesID"]
    assert all(str(field.type) == "string" for field in source.schema)
    assert max(b.num_rows for b in batches) <= 7 and sum(b.num_rows for b in batches) == plan.expected_rows
    rows = [row for b in batches for row in b.to_pylist()]
    for row in rows:
        sent = server.movie(row["imdbID"])
        for name in RAW_COLUMNS:
            if name in sent and not isinstance(sent[name], list):
                assert row[name] == sent[name], name  # "N/A", "148 min", "$292,587,330", "2,345,678" untouched
        assert json.loads(row["Ratings"]) == sent["Ratings"]
        tomato = next((r["Value"] for r in sent["Ratings"] if r["Source"] == "Rotten Tomatoes"), None)
        assert row["tomatoMeter"] == tomato
        assert row["tomatoRating"] is None and row["sourceId"] is None and row["Oscars"] is None
        assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", row["lastUpdated"])
        for name in ("totalSeasons", "Season", "Episode", "seriesID"):
            assert row[name] == sent.get(name), name
    series = [r for r in rows if r["Type"] == "series"]
    assert series and all("–" in r["Year"] for r in series) and all(r["DVD"] is None for r in series)
    assert any(r["BoxOffice"] and r["BoxOffice"].startswith("$") and "," in r["BoxOffice"] for r in rows)
    assert any(r["Released"] == "N/A" or re.fullmatch(r"\d\d [A-Z][a-z]{2} \d{4}", r["Released"]) for r in rows)


def test_batches_package_into_csv_and_parquet_unchanged(server, tmp_path):
    source = fast_source(server, tmp_path / "cache", imdb_ids(1_100_000, 12))
    try:
        plan = source.plan(None)
        expected = _rows(source, plan)
        raw = write_raw_files(source.batches(plan), source.schema, tmp_path / "batch" / "movies")
    finally:
        source.close()
    assert raw.rows == plan.expected_rows == len(expected)
    assert pq.read_table(raw.folder / "movies.parquet").to_pylist() == expected
    options = pa_csv.ConvertOptions(column_types={name: "string" for name in source.schema.names},
                                    strings_can_be_null=True)
    from_csv = pa_csv.read_csv(raw.folder / "movies.csv", convert_options=options).to_pylist()
    assert [r["Plot"] for r in from_csv] == [r["Plot"] for r in expected]  # quotes and commas survive
    assert [r["Ratings"] for r in from_csv] == [r["Ratings"] for r in expected]


def test_episodes_keep_season_episode_and_series_id(tmp_path):
    """Real answer shapes (tests/sources/fixtures): episodes, series and games are all delivered."""
    from tests.sources.omdb_server import REAL_SHAPES

    with OmdbServer(answers=REAL_SHAPES) as running:
        source = fast_source(running, tmp_path, list(REAL_SHAPES))
        try:
            rows = {row["imdbID"]: row for row in _rows(source, source.plan(None))}
        finally:
            source.close()
    assert set(rows) == set(REAL_SHAPES)
    episode = rows["tt1480055"]
    assert (episode["Type"], episode["Season"], episode["Episode"], episode["seriesID"]) == (
        "episode", "1", "1", "tt0944947")
    assert rows["tt0740913"]["Season"] == "N/A" and rows["tt0740913"]["Ratings"] == "[]"  # verbatim
    assert (rows["tt0472954"]["Year"], rows["tt0472954"]["totalSeasons"]) == ("2005–", "16")
    assert rows["tt3339654"]["Type"] == "game" and rows["tt0047478"]["Runtime"] == "3 h 27 min"


def test_tomato_meter_kept_when_omdb_sends_one():
    data = {"imdbID": "tt0000001", "tomatoMeter": "91", "Ratings": [{"Source": "Rotten Tomatoes", "Value": "87%"}]}
    assert to_row(data, "2026-01-02 03:04:05.000001")["tomatoMeter"] == "91"
    data["tomatoMeter"] = "N/A"
    assert to_row(data, "2026-01-02 03:04:05.000001")["tomatoMeter"] == "87%"
    assert to_row({"imdbID": "tt0000001"}, "2026-01-02 03:04:05.000001")["Ratings"] is None


def test_a_retried_plan_over_the_same_ids_is_the_same_batch(server, tmp_path):
    ids = imdb_ids(2_000_000, 20)
    first = fast_source(server, tmp_path, ids)
    try:
        plan = first.plan(None)
    finally:
        first.close()
    retried = fast_source(server, tmp_path, ids)  # e.g. the extract failed and the run is retried
    try:
        again = retried.plan(None)
        assert again.fetched == 0
        assert (again.batch_id, again.high, again.expected_rows) == (plan.batch_id, plan.high, plan.expected_rows)
        assert _rows(retried, again) == _rows(retried, plan)
        done = retried.plan(plan.high)  # after the batch completed, the watermark is its high
    finally:
        retried.close()
    assert done.is_empty and done.fetched == 0 and done.high is None
    assert plan.batch_id.startswith("b" + plan.high[:10].replace("-", ""))


def test_new_ids_make_a_new_batch_with_only_them(server, tmp_path):
    ids = imdb_ids(2_100_000, 10)
    more = ids + imdb_ids(2_200_000, 5)
    source = fast_source(server, tmp_path, ids)
    try:
        plan = source.plan(None)
    finally:
        source.close()
    grown = fast_source(server, tmp_path, more)
    try:
        later = grown.plan(plan.high)
        rows = _rows(grown, later)
    finally:
        grown.close()
    assert later.fetched == 5 and later.low == plan.high and later.high > plan.high
    assert {r["imdbID"] for r in rows} == {i for i in more[10:] if not server.is_not_found(i)}
    assert later.batch_id != plan.batch_id


def test_refresh_refetches_delivered_ids_with_a_newer_last_updated(server, tmp_path):
    ids = imdb_ids(2_300_000, 10)
    source = fast_source(server, tmp_path, ids)
    try:
        plan = source.plan(None)
        before = {r["imdbID"]: r["lastUpdated"] for r in _rows(source, plan)}
    finally:
        source.close()
    refresh = fast_source(server, tmp_path, lambda: list(before), refresh=True)  # e.g. the warehouse's current ids
    try:
        refreshed = refresh.plan(plan.high)
        after = {r["imdbID"]: r["lastUpdated"] for r in _rows(refresh, refreshed)}
        interrupted_retry = refresh.plan(plan.high)  # same low: what this refresh fetched is not fetched again
    finally:
        refresh.close()
    assert refreshed.fetched == len(before) and set(after) == set(before)
    assert all(after[i] >= before[i] for i in before) and refreshed.low == plan.high
    assert all(server.successes[i] == 2 for i in before)
    assert interrupted_retry.fetched == 0 and interrupted_retry.batch_id == refreshed.batch_id


def test_torn_last_line_is_cut_and_its_id_fetched_again(server, tmp_path):
    ids = imdb_ids(3_000_001, 5)
    source = fast_source(server, tmp_path, ids)
    try:
        source.plan(None)
    finally:
        source.close()
    cache = tmp_path / "responses.jsonl"
    lines = cache.read_text(encoding="utf-8").splitlines(keepends=True)
    torn_id = json.loads(lines[-1])["imdbID"]
    cache.write_text("".join(lines[:-1]) + lines[-1][:40], encoding="utf-8")  # a crash mid-write
    resumed = fast_source(server, tmp_path, ids)
    try:
        plan = resumed.plan(None)
    finally:
        resumed.close()
    assert plan.fetched == 1 and server.successes[torn_id] == 2
    assert all(json.loads(line) for line in cache.read_text(encoding="utf-8").splitlines())


def test_a_corrupt_cache_line_is_an_error_naming_the_line(server, tmp_path):
    (tmp_path / "responses.jsonl").write_text('{"imdbID":"tt0000001","status":"found"}\nnot json\n', encoding="utf-8")
    with pytest.raises(SourceError, match="line 1 is not a cache record"):
        fast_source(server, tmp_path, imdb_ids(1, 1))


def test_without_omdb_extras_the_columns_are_exactly_the_sql_sources(server, tmp_path):
    """For readers that take only the contract's columns (the Glue job's reader, until it accepts more)."""
    source = fast_source(server, tmp_path, imdb_ids(4_000_001, 3), omdb_extras=())
    try:
        plan = source.plan(None)
        names = {tuple(b.schema.names) for b in source.batches(plan)}
    finally:
        source.close()
    assert names == {tuple(RAW_COLUMNS + EXTRA_COLUMNS)} and source.schema.names == list(RAW_COLUMNS + EXTRA_COLUMNS)
    with pytest.raises(SourceError, match="unknown"):
        fast_source(server, tmp_path / "x", [], omdb_extras=("Response",))
