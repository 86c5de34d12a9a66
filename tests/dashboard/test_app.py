"""Every dashboard page under Streamlit's AppTest: it renders, and its numbers equal SQL run on the warehouse.

The expected figures come from queries the test writes itself, run through the
project's ordinary warehouse client (``moviepipe.warehouse.client``), mostly on the
tables under the views, so a wrong view or a wrong page query shows as a difference.
"""

from __future__ import annotations

import shutil

import duckdb
import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from moviepipe.dashboard.navigation import APP, PAGES
from moviepipe.dashboard.backend import BACKEND_ENV

pytestmark = pytest.mark.integration

TITLES = {"overview.py": "moviepipe", "ratings.py": "Ratings", "top_movies.py": "Top movies",
          "box_office.py": "Box office", "history.py": "Movie history", "health.py": "Pipeline health"}


@pytest.fixture
def at(dashboard_home, monkeypatch):
    monkeypatch.setenv("MOVIEPIPE_HOME", str(dashboard_home["home"]))
    monkeypatch.delenv(BACKEND_ENV, raising=False)
    st.cache_resource.clear()
    st.cache_data.clear()
    test = AppTest.from_file(str(APP), default_timeout=120)
    test.run()
    assert not test.exception, test.exception
    return test


def page(test: AppTest, file: str) -> AppTest:
    test.switch_page(f"screens/{file}").run()
    assert not test.exception, test.exception
    assert [e.value for e in test.error] == []
    assert [t.value for t in test.title] == [TITLES[file]]
    return test


def metrics(test: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in test.metric}


@pytest.fixture(scope="module")
def warehouse(dashboard_home):
    """The project's own client on the warehouse itself (the pages read copies of it)."""
    from moviepipe.warehouse.client import local_warehouse

    client = local_warehouse(dashboard_home["home"] / "warehouse", "MOVIEPIPE")
    yield client
    client.close()


@pytest.fixture
def sql(warehouse):
    return warehouse.query


def n(value) -> str:
    return f"{int(value):,}"


def test_every_page_renders_with_its_title_and_no_error(at):
    assert {file for file, *_ in PAGES} == set(TITLES)
    for file in TITLES:
        page(at, file)
        assert at.caption, f"{file}: no caption saying where the data comes from"
    assert any("local warehouse" in c.value for c in at.sidebar.caption)


def test_overview_counts_equal_the_tables(at, dashboard_home, sql):
    expected = sql("""
        SELECT (SELECT COUNT(*) FROM ANALYTICS.DIM_MOVIE WHERE IS_CURRENT AND NOT IS_DELETED) AS MOVIES,
               (SELECT COUNT(*) FROM ANALYTICS.DIM_MOVIE) AS VERSIONS,
               (SELECT COUNT(*) - COUNT(DISTINCT IMDB_ID) FROM ANALYTICS.DIM_MOVIE) AS CHANGES,
               (SELECT COUNT(DISTINCT BATCH_ID) FROM OPS.BATCH_LEDGER) AS BATCHES,
               (SELECT COUNT(*) FROM OPS.REJECTED_ROWS) AS REJECTED""")[0]
    shown = metrics(page(at, "overview.py"))
    assert shown == {"Movies": n(expected["MOVIES"]), "Versions": n(expected["VERSIONS"]),
                     "Changes": n(expected["CHANGES"]), "Batches": n(expected["BATCHES"]),
                     "Rows rejected": n(expected["REJECTED"])}
    assert expected["CHANGES"] == len(dashboard_home["changed"]) and expected["BATCHES"] == 2


def test_ratings_by_source_and_agreement_equal_the_views(at, dashboard_home, sql):
    by_source = sql("SELECT RATING_SOURCE_NAME AS SOURCE, COUNT(SCORE) AS RATED, AVG(SCORE) AS AVERAGE "
                          "FROM ANALYTICS.MOVIE_RATING_LATEST WHERE SCORE IS NOT NULL GROUP BY 1")
    bands = {r["AGREEMENT"]: r["N"] for r in sql("SELECT AGREEMENT, COUNT(*) AS N FROM "
                                                       "ANALYTICS.RATING_AGREEMENT GROUP BY 1")}
    page(at, "ratings.py")
    table = at.dataframe[0].value.set_index("SOURCE")
    assert set(table.index) == {r["SOURCE"] for r in by_source} and len(by_source) >= 2
    for row in by_source:
        assert table.loc[row["SOURCE"], "MOVIES_RATED"] == row["RATED"]
        assert table.loc[row["SOURCE"], "AVERAGE_SCORE"] == pytest.approx(float(row["AVERAGE"]), abs=0.05)
    shown = metrics(at)
    assert sum(bands.values()) > 50
    for band, label in (("AGREE", "Agree (spread ≤ 10)"), ("MIXED", "Mixed (spread ≤ 25)"),
                        ("DISAGREE", "Disagree (spread > 25)")):
        assert shown[label] == n(bands.get(band, 0))
    worst = at.dataframe[1].value
    assert list(worst["SCORE_SPREAD"]) == sorted(worst["SCORE_SPREAD"], reverse=True)
    assert all(spread > 25 for spread in worst["SCORE_SPREAD"])


def test_top_movies_of_the_chosen_genre_and_decade_equal_the_view(at, dashboard_home, sql):
    page(at, "top_movies.py")
    genre, decade = at.selectbox[0].value, at.selectbox[1].value
    assert genre == "Drama"
    expected = sql(f"SELECT TITLE, AVERAGE_SCORE FROM ANALYTICS.TOP_MOVIES_BY_GENRE_DECADE "
                                           f"WHERE GENRE = '{genre}' AND DECADE = {int(decade)} "
                                           "ORDER BY GENRE_DECADE_RANK, TITLE")
    shown = at.dataframe[0].value
    assert list(shown["TITLE"]) == [r["TITLE"] for r in expected] and 1 <= len(shown) <= 12
    assert list(shown["AVERAGE_SCORE"]) == pytest.approx([float(r["AVERAGE_SCORE"]) for r in expected])

    earliest = sql("SELECT MIN(DECADE) AS D FROM "
                                           "ANALYTICS.TOP_MOVIES_BY_GENRE_DECADE WHERE GENRE = 'Drama'")[0]
    at.selectbox[1].set_value(int(earliest["D"])).run()
    assert int(at.selectbox[1].value) == int(earliest["D"]) < int(decade)
    assert len(at.dataframe[0].value) == len(sql("SELECT 1 FROM ANALYTICS.TOP_MOVIES_BY_GENRE_DECADE "
                                                 f"WHERE GENRE = 'Drama' AND DECADE = {int(earliest['D'])}"))


def test_box_office_totals_equal_the_current_movies(at, dashboard_home, sql):
    from moviepipe.dashboard.ui import money

    expected = sql("SELECT COUNT(*) AS N, SUM(BOX_OFFICE) AS TOTAL, COUNT(DISTINCT YEAR) "
                                           "AS YEARS FROM ANALYTICS.MOVIE_CURRENT WHERE BOX_OFFICE IS NOT NULL "
                                           "AND YEAR IS NOT NULL")[0]
    page(at, "box_office.py")
    shown = metrics(at)
    assert expected["N"] > 20
    assert shown["Movies with a figure"] == n(expected["N"])
    assert shown["Box office, all years"] == money(float(expected["TOTAL"]))
    years = at.dataframe[0].value
    assert len(years) == expected["YEARS"]
    assert years["TOTAL_BOX_OFFICE"].sum() == pytest.approx(float(expected["TOTAL"]))


def test_history_shows_every_version_of_the_chosen_movie(at, dashboard_home, sql):
    page(at, "history.py")
    imdb_id = at.selectbox[0].value
    versions = sql(f"SELECT TITLE, VALID_FROM, VALID_TO, IS_CURRENT, RUNTIME_MINUTES "
                                           f"FROM ANALYTICS.DIM_MOVIE WHERE IMDB_ID = '{imdb_id}' ORDER BY VALID_FROM")
    assert imdb_id in dashboard_home["retitled"] and len(versions) == 2, \
        "the default is a movie with the most versions, whose last change touched the most attributes"
    assert metrics(at)["Versions"] == "2"
    shown = at.dataframe[0].value
    assert list(shown["TITLE"]) == [v["TITLE"] for v in versions]
    assert list(shown["VALID_FROM"]) == [pd.Timestamp(v["VALID_FROM"]) for v in versions]
    assert list(shown["IS_CURRENT"]) == [False, True]
    assert shown["RUNTIME_MINUTES"].iloc[1] - shown["RUNTIME_MINUTES"].iloc[0] == 7
    assert "RUNTIME_MINUTES" in shown["CHANGED_ATTRIBUTES"].iloc[1]

    at.text_input[0].input("(restored)").run()
    options = at.selectbox[0].options
    assert len(options) == len(dashboard_home["retitled"]) and all("(restored)" in o for o in options)
    changed = at.dataframe[0].value["CHANGED_ATTRIBUTES"].iloc[1]
    assert {"TITLE", "RUNTIME_MINUTES", "GENRES"} <= set(changed.split(", "))
    at.text_input[0].input("no such title, it's 'quoted'").run()
    assert not at.exception and any("No movie with" in i.value for i in at.info)


def test_health_batches_stages_and_rejects_equal_the_ledger(at, dashboard_home, sql):
    ledger = sql("SELECT BATCH_ID, STAGE, STATE, ROWS_IN, ROWS_OUT, ROWS_REJECTED FROM OPS.BATCH_LEDGER")
    rejected = {r["RULE"]: r["N"] for r in sql("SELECT RULE, COUNT(*) AS N FROM OPS.REJECTED_ROWS GROUP BY 1")}
    page(at, "health.py")
    assert metrics(at) == {"Batches": "2", "Loaded": "2", "Failed": "0", "Running": "0"}
    batches = at.dataframe[0].value.set_index("BATCH_ID")
    for row in ledger:
        if row["STAGE"] == "reconcile":
            assert batches.loc[row["BATCH_ID"], "LOADED"] == row["ROWS_OUT"]
            assert batches.loc[row["BATCH_ID"], "REJECTED"] == row["ROWS_REJECTED"]
        if row["STAGE"] == "extract":
            assert batches.loc[row["BATCH_ID"], "EXTRACTED"] == row["ROWS_OUT"]
    chosen = at.selectbox[0].value
    stages = at.dataframe[1].value
    expected = sorted((r for r in ledger if r["BATCH_ID"] == chosen), key=lambda r: r["STAGE"])
    assert sorted(zip(stages["STAGE"], stages["ROWS_OUT"].fillna(-1))) == \
        sorted((r["STAGE"], -1 if r["ROWS_OUT"] is None else int(r["ROWS_OUT"])) for r in expected)
    assert len(stages) == 8
    rejects = at.dataframe[2].value.groupby("RULE")["ROWS_REJECTED"].sum().to_dict()
    assert rejects == rejected and rejected == {"duplicate_imdb_id": 2}


def test_the_snowflake_backend_reads_through_st_connection(dashboard_home, monkeypatch, tmp_path, sql):
    """``st.connection("snowflake")``, Streamlit's own connection code, pointed at fakesnow over a copy."""
    import snowflake.connector

    from moviepipe.dashboard.snapshot import WarehouseSnapshot

    movies = sql("SELECT COUNT(*) AS N FROM ANALYTICS.MOVIE_CURRENT")[0]["N"]
    snapshot = WarehouseSnapshot(dashboard_home["home"] / "warehouse", "MOVIEPIPE")
    snapshot.refresh()
    connects = []

    def connect(**kwargs):
        connects.append(kwargs)
        return snapshot._connection

    monkeypatch.setattr(snowflake.connector, "paramstyle", snowflake.connector.paramstyle)  # Streamlit sets qmark
    monkeypatch.setattr(snowflake.connector, "connect", connect)
    monkeypatch.setenv(BACKEND_ENV, "snowflake")
    monkeypatch.setenv("MOVIEPIPE_HOME", str(tmp_path / "no-local-warehouse-here"))
    st.cache_resource.clear()
    st.cache_data.clear()
    try:
        test = AppTest.from_file(str(APP), default_timeout=120).run()
        assert not test.exception, test.exception
        shown = {}
        for file in TITLES:
            shown[file] = metrics(page(test, file))
        assert connects, "the pages did not go through st.connection('snowflake')"
        assert any("Snowflake" in c.value for c in test.sidebar.caption)
    finally:
        st.cache_resource.clear()
        snapshot.close()
    assert shown["overview.py"]["Movies"] == n(movies)
    assert shown["health.py"]["Batches"] == "2"


def test_no_warehouse_yet_and_a_warehouse_without_the_new_views_are_explained(dashboard_home, monkeypatch, tmp_path):
    monkeypatch.delenv(BACKEND_ENV, raising=False)
    monkeypatch.setenv("MOVIEPIPE_HOME", str(tmp_path / "empty"))
    st.cache_resource.clear()
    test = AppTest.from_file(str(APP), default_timeout=120).run()
    assert not test.exception and any("run `moviepipe run` first" in i.value for i in test.info)

    old = tmp_path / "old"
    shutil.copytree(dashboard_home["home"] / "warehouse", old / "warehouse")
    with duckdb.connect(str(old / "warehouse" / "MOVIEPIPE.db")) as conn:  # as built before MOVIE_HISTORY existed
        conn.execute("DROP VIEW ANALYTICS.MOVIE_HISTORY")
    monkeypatch.setenv("MOVIEPIPE_HOME", str(old))
    st.cache_resource.clear()
    test = AppTest.from_file(str(APP), default_timeout=120).run()
    assert not test.exception
    (message,) = [e.value for e in test.error]
    assert "MOVIE_HISTORY" in message and "`moviepipe dashboard` applies sql/" in message
