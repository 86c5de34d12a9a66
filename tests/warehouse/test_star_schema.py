"""The star schema's merges, case by case: SCD2/SCD1 in DIM_MOVIE, facts, bridges (real SQL on fakesnow)."""

from datetime import datetime

import pytest
from warehouse_testlib import delete, movie

pytestmark = pytest.mark.integration

JAN, FEB, MAR, APR = (f"2026-0{m}-01 00:00:00" for m in (1, 2, 3, 4))
END = datetime(9999, 12, 31)


def history(snow, imdb_id="tt1"):
    return [(r["TITLE"], r["VALID_FROM"].strftime("%m"), r["VALID_TO"].strftime("%m") if r["VALID_TO"] != END
             else "end", r["IS_CURRENT"], r["IS_DELETED"])
            for r in snow.query("SELECT * FROM ANALYTICS.DIM_MOVIE WHERE IMDB_ID = %s ORDER BY VALID_FROM", (imdb_id,))]


def test_type2_change_closes_the_version_and_an_unchanged_hash_is_a_no_op(snow):
    snow.run("b1", [movie("tt1", JAN, TITLE="A"), movie("tt2", JAN, TITLE="B")])
    snow.run("b2", [movie("tt1", FEB, TITLE="A2"), movie("tt2", FEB, TITLE="B")])
    assert history(snow) == [("A", "01", "02", False, False), ("A2", "02", "end", True, False)]
    assert history(snow, "tt2") == [("B", "01", "end", True, False)]


def test_late_record_splits_the_version_in_effect_and_a_replay_changes_nothing(snow):
    snow.run("b1", [movie("tt1", JAN, TITLE="A")])
    snow.run("b2", [movie("tt1", MAR, TITLE="C")])
    before = snow.versions()
    snow.run("b3", [movie("tt1", JAN, TITLE="A")])  # replayed record: no-op
    assert snow.versions() == before
    snow.run("b4", [movie("tt1", FEB, TITLE="B")])  # late, and different from January's version: slotted in
    assert history(snow) == [("A", "01", "02", False, False), ("B", "02", "03", False, False),
                             ("C", "03", "end", True, False)]
    snow.run("b5", [movie("tt1", "2026-02-15 00:00:00", TITLE="B")])  # late, same as the version in effect
    assert len(history(snow)) == 3


def test_duplicates_in_one_batch_are_deduped_deterministically(snow):
    first, second = movie("tt1", JAN, TITLE="X"), movie("tt1", JAN, TITLE="Y")
    winner = max((first, second), key=lambda m: m["CHANGE_HASH"])
    snow.run("b1", [first, second, first])
    assert [(r["TITLE"], r["IS_CURRENT"]) for r in snow.versions()] == [(winner["TITLE"], True)]


def test_same_instant_in_a_later_batch_updates_that_version_in_place(snow):
    snow.run("b1", [movie("tt1", JAN, TITLE="A")])
    key = snow.scalar("SELECT MOVIE_KEY FROM ANALYTICS.DIM_MOVIE")
    snow.run("b2", [movie("tt1", JAN, TITLE="A-corrected")])
    rows = snow.versions()
    assert [(r["MOVIE_KEY"], r["TITLE"], r["BATCH_ID"], r["IS_CURRENT"]) for r in rows] == [
        (key, "A-corrected", "b2", True)]


def test_type1_change_updates_every_version_without_a_new_one(snow):
    snow.run("b1", [movie("tt1", JAN, TITLE="A", PLOT="old")])
    snow.run("b2", [movie("tt1", FEB, TITLE="B", PLOT="old")])
    snow.run("b3", [movie("tt1", MAR, TITLE="B", PLOT="new", AWARDS="1 win")])
    rows = snow.versions()
    assert len(rows) == 2 and {(r["PLOT"], r["AWARDS"]) for r in rows} == {("new", "1 win")}
    snow.run("b4", [movie("tt1", "2026-01-15 00:00:00", TITLE="A", PLOT="stale")])  # older: type-1 kept
    assert {r["PLOT"] for r in snow.versions()} == {"new"}


def test_delete_makes_a_current_tombstone_and_a_comeback_a_new_version(snow):
    snow.run("b1", [movie("tt1", JAN, TITLE="A"), movie("tt2", JAN)])
    snow.run("b2", deletes=[delete("tt1", FEB)])
    assert history(snow) == [("A", "01", "02", False, False), ("A", "02", "end", True, True)]
    snow.run("b3", deletes=[delete("tt1", MAR)])  # repeated delete: no-op
    assert len(history(snow)) == 2
    assert [r["IMDB_ID"] for r in snow.query("SELECT IMDB_ID FROM ANALYTICS.MOVIE_CURRENT")] == ["tt2"]
    snow.run("b4", [movie("tt1", APR, TITLE="A")])
    assert history(snow)[-1] == ("A", "04", "end", True, False)
    assert snow.scalar("SELECT COUNT(*) FROM ANALYTICS.DIM_MOVIE WHERE IS_CURRENT") == 2


def test_rating_facts_are_idempotent_on_their_grain_and_snapshots_accumulate(snow):
    snow.run("b1", [movie("tt1", JAN, IMDB_RATING="8.0")])
    facts = snow.query("SELECT * FROM ANALYTICS.FACT_MOVIE_RATING ORDER BY RATING_SOURCE")
    assert {f["RATING_SOURCE"] for f in facts} == {"IMDB", "ROTTEN_TOMATOES", "ROTTEN_TOMATOES_AUDIENCE", "METACRITIC"}
    assert next(f for f in facts if f["RATING_SOURCE"] == "IMDB")["SCORE"] == 80
    snow.run("b2", [movie("tt1", JAN, IMDB_RATING="8.0")])  # replay
    assert snow.query("SELECT * FROM ANALYTICS.FACT_MOVIE_RATING ORDER BY RATING_SOURCE") == facts
    snow.run("b3", [movie("tt1", FEB, IMDB_RATING="8.4")])
    assert snow.scalar("SELECT COUNT(*) FROM ANALYTICS.FACT_MOVIE_RATING") == 8
    latest = snow.query("SELECT SCORE FROM ANALYTICS.MOVIE_RATING_LATEST WHERE RATING_SOURCE = 'IMDB'")
    assert latest == [{"SCORE": 84}]
    assert snow.scalar("SELECT COUNT(*) FROM ANALYTICS.FACT_BOX_OFFICE") == 2


def test_facts_point_at_the_version_valid_at_their_snapshot_even_after_a_split(snow):
    snow.run("b1", [movie("tt1", JAN, TITLE="A")])
    snow.run("b2", [movie("tt1", MAR, TITLE="C")])
    snow.run("b3", [movie("tt1", FEB, TITLE="B")])  # splits January's version
    pointed = snow.query(
        "SELECT f.SNAPSHOT_DATE, d.TITLE, f.SNAPSHOT_AT >= d.VALID_FROM AND f.SNAPSHOT_AT < d.VALID_TO AS INSIDE "
        "FROM ANALYTICS.FACT_MOVIE_RATING f JOIN ANALYTICS.DIM_MOVIE d ON d.MOVIE_KEY = f.MOVIE_KEY "
        "WHERE f.RATING_SOURCE = 'IMDB' ORDER BY 1")
    assert [(p["TITLE"], p["INSIDE"]) for p in pointed] == [("A", True), ("B", True), ("C", True)]
    assert snow.scalar("SELECT COUNT(*) FROM ANALYTICS.FACT_BOX_OFFICE f JOIN ANALYTICS.DIM_MOVIE d "
                       "ON d.MOVIE_KEY = f.MOVIE_KEY WHERE f.SNAPSHOT_AT < d.VALID_FROM OR f.SNAPSHOT_AT >= d.VALID_TO") == 0


def bridge(snow, table, name_table, name_col, key_col, imdb_id="tt1"):
    return [tuple(r.values()) for r in snow.query(
        f"SELECT n.{name_col}, b.ORDINAL FROM ANALYTICS.{table} b JOIN ANALYTICS.{name_table} n "
        f"ON n.{key_col} = b.{key_col} WHERE b.IMDB_ID = %s ORDER BY b.ORDINAL, n.{name_col}", (imdb_id,))]


def test_bridges_follow_the_latest_lists(snow):
    def genres():
        return bridge(snow, "BRIDGE_MOVIE_GENRE", "DIM_GENRE", "GENRE", "GENRE_KEY")

    snow.run("b1", [movie("tt1", JAN, GENRES="Drama, Crime", ACTORS="Al, Bo")])
    assert genres() == [("Drama", 1), ("Crime", 2)]
    snow.run("b2", [movie("tt1", MAR, GENRES="Crime, Comedy", ACTORS="Bo")])
    assert genres() == [("Crime", 1), ("Comedy", 2)]
    snow.run("b3", [movie("tt1", FEB, GENRES="Western")])  # older list: ignored
    assert genres() == [("Crime", 1), ("Comedy", 2)]
    cast = snow.query("SELECT p.PERSON_NAME FROM ANALYTICS.BRIDGE_MOVIE_PERSON b JOIN ANALYTICS.DIM_PERSON p "
                      "ON p.PERSON_KEY = b.PERSON_KEY WHERE b.ROLE = 'cast'")
    assert cast == [{"PERSON_NAME": "Bo"}]
    assert snow.scalar("SELECT COUNT(*) FROM ANALYTICS.DIM_GENRE") == 4, "dimension rows are never dropped"
    assert snow.scalar("SELECT COUNT(*) FROM ANALYTICS.DIM_GENRE WHERE GENRE = 'Crime'") == 1
