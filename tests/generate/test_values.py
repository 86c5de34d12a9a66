"""The generator's rates and distributions are the ones measured on the real movies.db."""

from __future__ import annotations

import collections
import sqlite3

import numpy as np
import pytest

from moviepipe.generate import values as V
from tests.conftest import default_db_path
from tests.generate.measure import EMPTY_COLUMNS, NULL_COLUMNS, measure


@pytest.fixture(scope="module")
def real():
    return measure(default_db_path())


def test_rates_are_the_measured_ones(real):
    assert V.YEAR_ONLY_RELEASE == pytest.approx(real["year-only releases"], abs=5e-4)
    assert V.SHARED_IMDB_ID == pytest.approx(real["films sharing an imdbID"], rel=1e-9)
    assert V.NON_ASCII_TITLE == pytest.approx(real["non-ASCII titles"], abs=5e-4)
    for column in NULL_COLUMNS:
        assert V.NULL_RATE[column] == pytest.approx(real[f"NULL {column}"], abs=5e-4), column
    for column in EMPTY_COLUMNS:
        assert V.EMPTY_RATE[column] == pytest.approx(real[f"empty {column}"], abs=5e-4), column
    assert 10 ** V.QUANTILES["log10 BoxOffice"][0] == pytest.approx(real["BoxOffice min"], rel=2e-3)
    assert 10 ** V.QUANTILES["log10 BoxOffice"][-1] == pytest.approx(real["BoxOffice max"], rel=2e-3)


@pytest.mark.parametrize("name, sql", [
    ("Runtime", "SELECT Runtime FROM omdb WHERE Runtime IS NOT NULL"),
    ("Metacritic", "SELECT Metacritic FROM omdb WHERE Metacritic IS NOT NULL"),
    ("Reviews", "SELECT Reviews FROM tomatoes WHERE Reviews IS NOT NULL"),
    ("Meter", "SELECT Meter FROM tomatoes WHERE Meter IS NOT NULL"),
    ("log10 BoxOffice", "SELECT log10(BoxOffice) FROM tomatoes WHERE BoxOffice IS NOT NULL"),
    ("Cast size", "SELECT length(\"Cast\") - length(replace(\"Cast\", ',', '')) + 1 FROM omdb WHERE \"Cast\" <> ''"),
])
def test_quantile_tables_are_measured(name, sql):
    with sqlite3.connect(default_db_path()) as conn:
        try:
            observed = np.array([row[0] for row in conn.execute(sql)], dtype=float)
        except sqlite3.OperationalError:  # SQLite built without math functions
            observed = np.log10([row[0] for row in conn.execute(sql.replace("log10(BoxOffice)", "BoxOffice"))])
    expected = np.percentile(observed, V.PERCENTILES)
    assert np.allclose(V.QUANTILES[name], expected, atol=0.51 if name != "log10 BoxOffice" else 1e-3)


def test_category_weights_are_measured_counts():
    with sqlite3.connect(default_db_path()) as conn:
        years = dict(conn.execute("SELECT Year, COUNT(*) FROM omdb GROUP BY 1").fetchall())
        oscars = dict(conn.execute("SELECT Oscars, COUNT(*) FROM omdb GROUP BY 1").fetchall())
        ratings = dict(conn.execute("SELECT Rating, COUNT(*) FROM omdb WHERE Rating IS NOT NULL GROUP BY 1").fetchall())
        genres = collections.Counter(g for (text,) in conn.execute("SELECT Genre FROM omdb")
                                     for g in text.split(", ") if g)
        languages = collections.Counter(x for (text,) in conn.execute("SELECT Language FROM omdb WHERE Language "
                                                                      "IS NOT NULL") for x in text.split(", "))
    assert V.YEAR_COUNTS == tuple(years[y] for y in range(V.YEAR_FIRST, V.YEAR_FIRST + len(V.YEAR_COUNTS)))
    assert V.OSCAR_COUNTS == tuple(oscars.get(n, 0) for n in range(len(V.OSCAR_COUNTS)))
    assert V.MPAA_RATINGS == ratings
    assert V.GENRES == dict(genres)
    assert all(languages[name] == count for name, count in V.LANGUAGES.items())
