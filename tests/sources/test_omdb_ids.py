"""Where the OMDb ids come from (file, SQL, callable) and how the key is found — and never shown."""

from __future__ import annotations

import pickle
import sqlite3

import pytest

from moviepipe.errors import SourceError
from moviepipe.sources.omdb import ids_from_file, ids_from_iterable, ids_from_sql, resolve_api_key
from moviepipe.sources.omdb.helpers import ApiKey, parse_retry_after, scrub
from tests.sources.omdb_server import FAKE_KEY, OmdbServer, fast_source


def test_id_file_skips_comments_and_reports_invalid_lines(tmp_path):
    path = tmp_path / "ids.txt"
    path.write_text("\ufeff# films to enrich\ntt0111161\n\n  tt1375666   # Inception\nTT0068646\n"
                    "tt123\ntt0111161\nhttps://www.imdb.com/title/tt0468569/\ntt10872600\n", encoding="utf-8")
    result = ids_from_file(path).read()
    assert result.ids == ["tt0111161", "tt1375666", "tt10872600"]
    assert [(where, value) for where, value, _ in result.invalid] == [
        ("ids.txt:5", "TT0068646"), ("ids.txt:6", "tt123"), ("ids.txt:8", "https://www.imdb.com/title/tt0468569/")]
    assert result.duplicates == 1
    with pytest.raises(SourceError, match="id file not found"):
        ids_from_file(tmp_path / "missing.txt").read()


def test_ids_from_sqlite_by_table_or_query(tmp_path):
    db = tmp_path / "films.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE films (id INTEGER, imdb TEXT)")
        conn.executemany("INSERT INTO films VALUES (?, ?)",
                         [(1, "tt0111161"), (2, "tt0068646"), (3, None), (4, "nope"), (5, "tt0111161")])
    by_table = ids_from_sql(f"sqlite:///{db}", table="films", column="imdb").read()
    assert sorted(by_table.ids) == ["tt0068646", "tt0111161"]
    assert sorted(v for _, v, _ in by_table.invalid) == ["", "nope"]
    by_query = ids_from_sql(f"sqlite:///{db}", query="SELECT imdb FROM films WHERE id <= 2 ORDER BY id").read()
    assert by_query.ids == ["tt0111161", "tt0068646"] and not by_query.invalid
    with pytest.raises(SourceError, match="no column 'imdbID'"):
        ids_from_sql(f"sqlite:///{db}", table="films").read()
    with pytest.raises(SourceError, match="either a query or a table"):
        ids_from_sql(f"sqlite:///{db}")


def test_sql_ids_feed_a_source_end_to_end(tmp_path):
    db = tmp_path / "films.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE movies (imdbID TEXT)")
        conn.executemany("INSERT INTO movies VALUES (?)", [("tt0111161",), ("tt1375666",), ("tt0000017",)])
    with OmdbServer() as server:
        source = fast_source(server, tmp_path / "cache", ids_from_sql(f"sqlite:///{db}", table="movies"))
        try:
            plan = source.plan(None)
        finally:
            source.close()
    assert plan.ids_requested == 3 and plan.expected_rows == 2 and plan.not_found == [("tt0000017", "Movie not found!")]


def test_callables_and_rows_are_read_at_plan_time():
    asked = []

    def current_movies():
        asked.append(True)
        return [("tt0111161",), {"IMDB_ID": "tt0068646"}, "tt0111161"]

    feed = ids_from_iterable(current_movies, label="warehouse")
    assert not asked
    result = feed.read()
    assert asked and result.ids == ["tt0111161", "tt0068646"] and result.duplicates == 1


def test_key_comes_from_parameter_then_environment(monkeypatch):
    monkeypatch.setenv("OMDB_API_KEY", "from-env")
    assert resolve_api_key().reveal() == "from-env"
    assert resolve_api_key("explicit").reveal() == "explicit"
    monkeypatch.delenv("OMDB_API_KEY")
    with pytest.raises(SourceError, match="OMDB_API_KEY"):
        resolve_api_key()


def test_key_from_a_prefect_secret_block_wiring(monkeypatch):
    """Only the wiring: a real block needs a Prefect server (tested where one runs)."""
    from prefect.blocks.system import Secret

    class Stored:
        def get(self):
            return FAKE_KEY

    monkeypatch.setattr(Secret, "load", classmethod(lambda cls, name: Stored() if name == "omdb-key" else 1 / 0))
    assert resolve_api_key(secret_block="omdb-key").reveal() == FAKE_KEY
    with pytest.raises(SourceError, match="Secret block 'other'") as caught:
        resolve_api_key(secret_block="other")
    assert FAKE_KEY not in str(caught.value)


def test_key_never_shows_in_reprs_pickles_or_urls(tmp_path):
    key = ApiKey(FAKE_KEY)
    assert FAKE_KEY not in repr(key) + str(key) + f"{key}"
    with pytest.raises(TypeError):
        pickle.dumps(key)
    assert scrub(f"GET http://x/?i=tt1&apikey={FAKE_KEY}&plot=full", None) == "GET http://x/?i=tt1&apikey=***&plot=full"
    with OmdbServer() as server:
        with pytest.raises(SourceError, match="must not carry the API key") as caught:
            fast_source(server, tmp_path, [], base_url=f"{server.url}?apikey={FAKE_KEY}")
        assert FAKE_KEY not in str(caught.value)
        source = fast_source(server, tmp_path, [], api_key=FAKE_KEY)
        try:
            assert FAKE_KEY not in repr(source) + repr(source.client) + source.name + source.source_key
        finally:
            source.close()


def test_retry_after_accepts_seconds_and_http_dates():
    assert parse_retry_after("120") == 120
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:10 GMT", now=1445412480.0) == 10
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None
