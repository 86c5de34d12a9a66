"""Unit tests for the cleanse expressions and the change hash, on the duckdb engine."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
from decimal import Decimal

import pytest

import movies_cleanse as mc
import movies_enrich as enrich
from moviepipe.contract.archive import PEOPLE_ROLES, RATING_SOURCES, TYPE1_ATTRIBUTES, TYPE2_ATTRIBUTES
from movies_engine import api_for


def evaluate(session, build, values):
    """Apply ``build(F, col)`` to each string in ``values``; return the results in order."""
    api = api_for(session)
    F, T = api.F, api.T
    schema = T.StructType([T.StructField("i", T.IntegerType()), T.StructField("v", T.StringType())])
    df = session.createDataFrame([(i, v) for i, v in enumerate(values)], schema)
    rows = df.select("i", build(F, F.col("v")).alias("out")).collect()
    return [row["out"] for row in sorted(rows, key=lambda r: r["i"])]


def test_columns_come_from_the_contract():
    from moviepipe.contract import EXTRA_COLUMNS, RAW_COLUMNS
    from moviepipe.contract.archive import column_names

    assert mc.INPUT_COLUMNS == RAW_COLUMNS + EXTRA_COLUMNS
    assert mc.OUTPUT_COLUMNS == column_names("movies")


def test_clean_text_trims_and_nulls_blank_and_na(duck):
    values = ["  Inception ", "N/A", "n/a", "", "   ", "\tx\n", None, "8½"]
    assert evaluate(duck, mc.clean_text, values) == ["Inception", None, None, None, None, "x", None, "8½"]


def test_clean_list_splits_trims_drops_empties(duck):
    values = ["Drama, Crime", " Drama ,, Fantasy , ", ",,", "A,B,  C", "Solo", None, " , Action"]
    out = evaluate(duck, lambda F, c: mc.clean_list(F, mc.clean_text(F, c)), values)
    assert out == ["Drama, Crime", "Drama, Fantasy", None, "A, B, C", "Solo", None, "Action"]


def test_clean_rated_normalises(duck):
    values = ["PG-13", "pg-13", "Not Rated", "Unrated", "NR", "nr", "N/A", "R", None, "PG13", "tv ma", "TV-14"]
    out = evaluate(duck, lambda F, c: mc.clean_rated(F, mc.clean_text(F, c)), values)
    assert out == ["PG-13", "PG-13", "NOT RATED", "NOT RATED", "NOT RATED", "NOT RATED", None, "R", None,
                   "PG-13", "TV-MA", "TV-14"]


@pytest.mark.parametrize(
    "kind, values, expected",
    [
        ("money", ["$292,587,330", "41711.0", "2850000000.0", "7.386", "2.85e9", "$ 1,234", "abc"],
         ["292587330.0000", "41711.0000", "2850000000.0000", "7.3860", "2850000000.0000", "1234.0000", None]),
        ("counts", ["2,345,678", "51", "12.0", "1e3", "-5", "x1"],
         ["2345678.0000", "51.0000", "12.0000", "1000.0000", "-5.0000", None]),
    ],
)
def test_parse_wide_number(duck, kind, values, expected):
    def build(F, c):
        text = mc.number_text(F, mc.clean_text(F, c), **{kind: True})
        return mc.parse_wide_number(F, text).cast("string")

    assert evaluate(duck, build, values) == expected


@pytest.mark.parametrize("field, values, expected", [
    ("imdbRating", ["8.8/10", "8.8 / 10", "8.8", "8.8/100", "87%"], ["8.8000", "8.8000", "8.8000", None, None]),
    ("Metascore", ["74/100", "74", "74/10"], ["74.0000", "74.0000", None]),
    ("tomatoMeter", ["87%", "87 %", "87", "87/100"], ["87.0000", "87.0000", "87.0000", None]),
    ("tomatoUserRating", ["3.9/5", "3.9", "3.9/10"], ["3.9000", "3.9000", None]),
])
def test_scores_accept_their_own_scale_suffix_only(duck, field, values, expected):
    def build(F, c):
        text = mc.number_text(F, mc.clean_text(F, c), counts=True, suffix=mc.SCORE_SUFFIXES[field])
        return mc.parse_wide_number(F, text).cast("string")

    assert evaluate(duck, build, values) == expected


def test_parse_wide_number_never_raises_on_huge_values(duck):
    values = ["1" * 30, "9e99", "123456789012345.5"]
    out = evaluate(duck, lambda F, c: mc.parse_wide_number(F, c).cast("string"), values)
    assert out == [None, None, "123456789012345.5000"]


def test_narrow_number_floors_rounds_and_guards_range(duck):
    def as_int(F, c):
        return mc.narrow_number(F, mc.parse_wide_number(F, c), "int", "0", "100")

    def as_rating(F, c):
        return mc.narrow_number(F, mc.parse_wide_number(F, c), "decimal(4,1)", "0", "10").cast("string")

    assert evaluate(duck, as_int, ["74", "74.9", "100", "101", "-1", None]) == [74, 74, 100, None, None, None]
    assert evaluate(duck, as_rating, ["7.2", "7.25", "3.45", "10", "11.5"]) == ["7.2", "7.3", "3.5", "10.0", None]


@pytest.mark.parametrize("text, minutes", [
    ("148 min", "148.0000"),  # OMDb today
    ("90 min", "90.0000"),
    ("2 h 8 min", "128.0000"),  # older OMDb answers: hours and minutes
    ("1 h 15 min", "75.0000"),
    ("1 h", "60.0000"),
    ("1 hr 50 mins", "110.0000"),  # the imdbapi.com era
    ("2 H 8 MIN", "128.0000"),
    ("1h 5min", "65.0000"),
    ("148min", "148.0000"),
    ("1,020 min", "1020.0000"),  # thousands separator (then rejected by runtime_range)
    ("90", "90.0000"),  # the SQL source's REAL minutes
    ("90.0", "90.0000"),
    ("90.7", "90.7000"),
    ("1200 min", "1200.0000"),
    ("N/A", None),  # no value
    ("abc min", None),
    ("h 5", None),
    ("2 h 8", None),
    ("", None),
    (None, None),
])
def test_parse_runtime_every_form_omdb_used(duck, text, minutes):
    out = evaluate(duck, lambda F, c: mc.parse_runtime(F, mc.clean_text(F, c)).cast("string"), [text])
    assert out == [minutes]


def test_parse_year(duck):
    values = ["1994", "1994.0", "1967–1987", "1967-1987", "2010–", "94", "abcd", None]
    out = evaluate(duck, lambda F, c: mc.parse_year(F, c).cast("int"), values)
    assert out == [1994, 1994, 1967, 1967, 2010, None, None, None]


def test_parse_year_end(duck):
    values = ["1967–1987", "1967 - 1987", "2010–", "1994", "abcd", None]
    out = evaluate(duck, lambda F, c: mc.parse_year_end(F, c).cast("int"), values)
    assert out == [1987, 1987, None, None, None, None]


def test_parse_date_iso_omdb_and_year_only(duck):
    values = ["2009-01-19", "16 Jul 2010", "6 Jul 1967", "01 JAN 2001", "2010-07-16T00:00:00",
              "2010-02-30", "2010-1-5", "Jul 16 2010", "16 Foo 2010", None, "2005", "205"]
    assert evaluate(duck, mc.parse_date, values) == [
        dt.date(2009, 1, 19), dt.date(2010, 7, 16), dt.date(1967, 7, 6), dt.date(2001, 1, 1),
        dt.date(2010, 7, 16), None, None, None, None, None, dt.date(2005, 1, 1), None]


def test_parse_timestamp(duck):
    values = ["2026-10-18", "2026-10-18 10:11:12", "2026-10-18T10:11:12Z", "2026-10-18 10:11",
              "2026-10-18 10:11:12.123456", "2026-10-18T10:11:12+02:00", "yesterday", "2026-13-01", None]
    out = evaluate(duck, lambda F, c: F.date_format(mc.parse_timestamp(F, c), "yyyy-MM-dd HH:mm:ss"), values)
    assert out == ["2026-10-18 00:00:00", "2026-10-18 10:11:12", "2026-10-18 10:11:12",
                   "2026-10-18 10:11:00", "2026-10-18 10:11:12", "2026-10-18 10:11:12", None, None, None]


def test_released_precision_on_fixture(fixture_run):
    assert fixture_run.movie("3")["RELEASED_PRECISION"] == "year"  # 1979-01-01, Year 1979 (padded)
    assert fixture_run.movie("31")["RELEASED_PRECISION"] == "year"  # '01 JAN 2001', Year 2001
    assert fixture_run.movie("7")["RELEASED_PRECISION"] == "day"  # 1999-01-01 but Year 2000
    assert fixture_run.movie("9001")["RELEASED_PRECISION"] == "day"  # 16 Jul 2010
    assert fixture_run.movie("6")["RELEASED_PRECISION"] is None  # Released 'N/A'
    assert fixture_run.movie("43")["RELEASED_PRECISION"] == "year"  # Released '2005' (year only)
    assert fixture_run.movie("43")["RELEASED"] == "2005-01-01"


def test_fixture_cleansed_values(fixture_run):
    inception = fixture_run.movie("9001")
    assert inception["RUNTIME_MINUTES"] == "148"
    assert inception["RELEASED"] == "2010-07-16"
    assert inception["BOX_OFFICE"] == "292587330.00"
    assert inception["IMDB_VOTES"] == "2345678"
    assert inception["IMDB_RATING"] == "8.8"
    assert inception["METASCORE"] == "74"
    assert inception["RATED"] == "PG-13"
    assert inception["PRODUCTION"] is None and inception["WEBSITE"] is None
    assert inception["LAST_UPDATED"] == "2026-10-18 10:11:12"

    db_row = fixture_run.movie("372")
    assert (db_row["RUNTIME_MINUTES"], db_row["BOX_OFFICE"], db_row["TOMATO_RATING"]) == ("90", "41711.00", "7.2")
    assert db_row["LAST_UPDATED"] == "2026-10-18 00:00:00"

    assert fixture_run.movie("7")["BOX_OFFICE"] == "2850000000.00"
    assert fixture_run.movie("27")["BOX_OFFICE"] == "2850000000.00"  # '2.85e9'
    assert fixture_run.movie("27")["LAST_UPDATED"] == "2026-10-18 10:11:12"  # fraction dropped

    series = fixture_run.movie("4")
    assert (series["YEAR"], series["RATED"], series["RELEASED"]) == ("1967", "NOT RATED", "1967-07-06")
    assert fixture_run.movie("abc")["YEAR"] == "2010"  # "2010–", non-numeric sourceId kept as text

    eight_half = fixture_run.movie("5")
    assert eight_half["TITLE"] == "8½"
    assert eight_half["GENRES"] == "Drama, Fantasy"
    assert eight_half["ACTORS"] == 'Marcello Mastroianni, Claudia "CC" Cardinale'
    assert eight_half["RATED"] == "NOT RATED"

    blanks = fixture_run.movie("6")
    for column in ("GENRES", "DIRECTOR", "ACTORS", "RUNTIME_MINUTES", "METASCORE", "RATED", "RELEASED",
                   "IMDB_RATING", "IMDB_VOTES", "BOX_OFFICE"):
        assert blanks[column] is None, column

    spaced = fixture_run.movie("26")  # ' 26 ' trimmed
    assert (spaced["IMDB_ID"], spaced["TITLE"], spaced["DIRECTOR"], spaced["WEBSITE"]) == (
        "tt0000026", "Spaced Out", "A, B, C", "http://example.org/x")

    fraction = fixture_run.movie("28")  # floor for integers, half-up for decimals
    assert (fraction["RUNTIME_MINUTES"], fraction["METASCORE"]) == ("90", "74")
    assert (fraction["TOMATO_RATING"], fraction["TOMATO_USER_RATING"]) == ("7.3", "3.5")
    assert fixture_run.movie("29")["TITLE"] == 'The "Best", Movie'
    assert fixture_run.movie("30")["YEAR"] == "2010"  # '2010.0'


def test_new_cleansing_on_fixture(fixture_run):
    scores = fixture_run.movie("40")  # '8.8/10', '87%', '74/100', '91 %', '7.5/10', '3.9/5'
    assert (scores["IMDB_RATING"], scores["TOMATO_METER"], scores["METASCORE"]) == ("8.8", "87", "74")
    assert (scores["TOMATO_USER_METER"], scores["TOMATO_RATING"], scores["TOMATO_USER_RATING"]) == ("91", "7.5", "3.9")
    assert (scores["IMDB_VOTES"], scores["TOMATO_USER_REVIEWS"], scores["TOMATO_REVIEWS"]) == ("1234", "5000", "200")
    year_only = fixture_run.movie("43")
    assert (year_only["DVD"], year_only["GENRES"], year_only["PRIMARY_GENRE"]) == (
        "2011-03-04", "Drama, Drama, Crime", "Drama")
    assert fixture_run.movie("9001")["DVD"] == "2010-12-07"  # '07 Dec 2010'
    assert fixture_run.movie("45")["TYPE"] == "episode"  # ' Episode '
    assert fixture_run.movie("4")["TYPE"] == "series" and fixture_run.movie("4")["YEAR_END"] == "1987"
    assert fixture_run.movie("abc")["YEAR_END"] is None  # '2010–': still running
    assert (fixture_run.movie("52")["RATED"], fixture_run.movie("51")["RATED"]) == ("TV-MA", "PG-13")
    assert fixture_run.movie("372")["TOMATO_FRESH"] == "42" and fixture_run.movie("372")["TOMATO_ROTTEN"] == "9"


@pytest.mark.parametrize("source_id, minutes, band", [
    ("4", "30", "short"), ("40", "40", "short"), ("43", "41", "standard"), ("372", "90", "standard"),
    ("9001", "148", "long"), ("3", "183", "epic"), ("6", None, None),
])
def test_runtime_bands(fixture_run, source_id, minutes, band):
    movie = fixture_run.movie(source_id)
    assert (movie["RUNTIME_MINUTES"], movie["RUNTIME_BAND"]) == (minutes, band)


def test_decade(fixture_run):
    assert [fixture_run.movie(s)["DECADE"] for s in ("3", "4", "9001", "372")] == ["1970", "1960", "2010", "2000"]


def test_ratings_long_format_on_one_scale(fixture_run):
    rows = {(r["IMDB_ID"], r["RATING_SOURCE"]): r for r in fixture_run.rows["movie_ratings"]}
    assert {s for _, s in rows} == set(RATING_SOURCES)
    imdb = rows[("tt0000040", "IMDB")]
    assert (imdb["SCORE"], imdb["RAW_VALUE"], imdb["VOTES"]) == ("88.0", "8.8/10", "1234")
    assert (rows[("tt0000040", "METACRITIC")]["SCORE"], rows[("tt0000040", "METACRITIC")]["VOTES"]) == ("74.0", None)
    assert rows[("tt0000040", "ROTTEN_TOMATOES")]["SCORE"] == "87.0"
    assert rows[("tt0000040", "ROTTEN_TOMATOES_AUDIENCE")]["VOTES"] == "5000"
    assert ("tt0000006", "IMDB") not in rows  # 'N/A': no score, no row
    for row in fixture_run.rows["movie_ratings"]:
        assert 0 <= float(row["SCORE"]) <= 100


def test_genres_and_people_split_trim_and_dedupe(fixture_run):
    genres = [(r["GENRE"], r["ORDINAL"]) for r in fixture_run.of("movie_genres", "tt0000043")]
    assert sorted(genres, key=lambda g: g[1]) == [("Drama", "1"), ("Crime", "2")]
    people = fixture_run.of("movie_people", "tt0000051")
    by_role = {role: sorted((int(r["ORDINAL"]), r["PERSON_NAME"]) for r in people if r["ROLE"] == role)
               for role in PEOPLE_ROLES}
    assert by_role["writer"] == [(1, "Jonathan Nolan"), (2, "Christopher Nolan")]  # notes dropped, deduped
    assert by_role["director"] == [(1, "Christopher Nolan")]
    assert by_role["cast"] == [(1, "Guy Pearce"), (2, "Carrie-Anne Moss"), (3, "Joe Pantoliano")]
    spaced = fixture_run.of("movie_people", "tt0000026")
    assert [r["PERSON_NAME"] for r in sorted(spaced, key=lambda r: int(r["ORDINAL"]))] == ["A", "B", "C"]


def _hash(row: dict, names) -> str:
    parts = []
    for name in names:
        value = row[name]
        if value is None:
            parts.append(enrich.HASH_NULL)
        elif name in mc.INTEGER_OUTPUTS or name in mc.DECIMAL_OUTPUTS:
            parts.append(f"{Decimal(value):.4f}")
        else:
            parts.append(value)
    return hashlib.sha256(enrich.HASH_SEPARATOR.join(parts).encode("utf-8")).hexdigest()


def test_hashes_recompute_from_output(fixture_run, api_batch_run):
    """CHANGE_HASH / TYPE1_HASH = sha256 of the contract's attributes as written (numbers as decimal(20,4))."""
    for run in (fixture_run, api_batch_run):
        for row in run.movies:
            assert row["CHANGE_HASH"] == _hash(row, TYPE2_ATTRIBUTES), row["IMDB_ID"]
            assert row["TYPE1_HASH"] == _hash(row, TYPE1_ATTRIBUTES), row["IMDB_ID"]


def test_hashes_see_their_own_attributes_only(duck, tmp_path):
    from glue_testlib import run

    base = {"Title": "Same", "Year": "2001", "lastUpdated": "2026-10-18", "Plot": "p"}
    rows = [
        dict(base, imdbID="tt0000001", sourceId="1"),
        dict(base, imdbID="tt0000002", sourceId="2", lastUpdated="2026-10-19 12:00:00", imdbRating="5"),
        dict(base, imdbID="tt0000003", sourceId="3", Title="Other"),
        dict(base, imdbID="tt0000004", sourceId="4", Plot="q"),
    ]
    path = tmp_path / "a.csv"
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=mc.INPUT_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    result = run(duck, str(path), tmp_path / "out")
    change = {row["IMDB_ID"]: row["CHANGE_HASH"] for row in result.movies}
    type1 = {row["IMDB_ID"]: row["TYPE1_HASH"] for row in result.movies}
    # key, lineage, watermark and measures are outside both hashes
    assert change["tt0000001"] == change["tt0000002"] == change["tt0000004"] != change["tt0000003"]
    assert type1["tt0000001"] == type1["tt0000002"] == type1["tt0000003"] != type1["tt0000004"]


@pytest.mark.parametrize("source_id, minutes", [
    ("53", "128"), ("54", "60"), ("55", "75"), ("56", "90"), ("57", "110"), ("58", None), ("9001", "148"),
])
def test_runtime_forms_on_fixture(fixture_run, source_id, minutes):
    """'2 h 8 min', '1 h', '1 h 15 min', '90 min', '1 hr 50 mins', 'N/A', '148 min': loaded, never rejected."""
    assert fixture_run.movie(source_id)["RUNTIME_MINUTES"] == minutes


def test_game_is_a_known_type(fixture_run, api_batch_run):
    assert fixture_run.movie("49")["TYPE"] == "game"
    game = api_batch_run.of("movies", "tt3339654")[0]
    assert (game["TYPE"], game["YEAR"], game["RUNTIME_MINUTES"], game["RELEASED"]) == ("game", "1994", None,
                                                                                        "1994-12-01")


def test_real_answer_shapes_land_with_their_values(api_batch_run):
    rows = {row["IMDB_ID"]: row for row in api_batch_run.movies}
    episode, sparse = rows["tt1480055"], rows["tt0740913"]
    assert (episode["TYPE"], episode["YEAR"], episode["RUNTIME_MINUTES"], episode["IMDB_VOTES"]) == (
        "episode", "2011", "62", "62238")
    assert (sparse["RUNTIME_MINUTES"], sparse["RELEASED"], sparse["RATED"]) == ("75", None, None)  # '1 h 15 min'
    series = rows["tt0472954"]
    assert (series["TYPE"], series["YEAR"], series["YEAR_END"], series["TITLE"]) == (
        "series", "2005", None, "It's Always Sunny in Philadelphia")  # '2005–': still running
    assert rows["tt0047478"]["RUNTIME_MINUTES"] == "207"  # '3 h 27 min'
    assert not {r["RECORD_KEY"] for r in api_batch_run.rejected} & set(rows)
