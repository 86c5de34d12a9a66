"""Validation rules on the hand-made fixture (duckdb engine): every rule, its reason, its order."""

from __future__ import annotations

import json
from collections import Counter

from glue_testlib import read_raw_rows

from movies_rules import RULES

# sourceId -> (rule, reason) for every rejected fixture row
EXPECTED_REJECTIONS = {
    "13": ("imdb_id_format", "imdbID 'xx12' does not match ^tt[0-9]{7,10}$"),
    "14": ("imdb_id_format", "imdbID is missing"),
    "15": ("title_required", "Title is missing"),
    "25": ("title_required", "Title is missing"),  # also bad Runtime and Year: first rule wins
    "16": ("last_updated_required", "lastUpdated is missing"),
    "17": ("last_updated_required", "lastUpdated 'yesterday' is not an ISO date or timestamp"),
    "18": ("value_format", "Runtime 'abc min' is not a number of minutes"),
    "19": ("value_format", "Released '2010-02-30' is not a date"),
    "20": ("value_format", "Metascore 'seventy' is not a number"),
    "21": ("year_range", "Year '1850' is outside 1870..2035"),
    "12": ("runtime_range", "Runtime '0' is outside 1..1000 minutes"),
    "22": ("runtime_range", "Runtime '1200 min' is outside 1..1000 minutes"),
    "23": ("score_range", "Metascore '120' is outside 0..100"),
    "24": ("score_range", "tomatoRating '11.5' is outside 0..10"),
    "41": ("value_format", "imdbRating '8.8/100' is not a number"),
    "42": ("value_range", "imdbVotes '-5' is outside 0..999999999999"),
    "44": ("value_format", "DVD 'someday' is not a date"),
    "46": ("value_format", "Type 'podcast' is not one of movie, series, episode, game"),
    "47": ("year_range", "Year '1990–1980' ends before it starts"),
    "48": ("year_range", "Year '2000–2099' ends outside 1870..2035"),
    "182692": ("duplicate_imdb_id", "imdbID 'tt0078788' appears 2 times in the batch; kept sourceId "
                                    "3620669 (latest lastUpdated, then highest sourceId, then last row)"),
    "100": ("duplicate_imdb_id", "imdbID 'tt0850669' appears 2 times in the batch; kept sourceId 50 "
                                 "(latest lastUpdated, then highest sourceId, then last row)"),
    "10": ("duplicate_imdb_id", "imdbID 'tt0000010' appears 2 times in the batch; kept sourceId 10 "
                                "(latest lastUpdated, then highest sourceId, then last row)"),
}


def test_rule_order_is_fixed():
    assert RULES == ("imdb_id_format", "title_required", "last_updated_required", "value_format",
                     "year_range", "runtime_range", "score_range", "value_range", "duplicate_imdb_id")


def test_every_rejection_has_the_expected_rule_and_reason(fixture_run):
    got = {json.loads(r["RECORD"])["sourceId"]: (r["RULE"], r["REASON"]) for r in fixture_run.rejected}
    assert got == EXPECTED_REJECTIONS


def test_counts_by_rule_match_the_file(fixture_run):
    counts = Counter(r["RULE"] for r in fixture_run.rejected)
    by_rule = fixture_run.result["rejected_by_rule"]
    assert {rule: by_rule[rule] for rule in RULES} == {rule: counts.get(rule, 0) for rule in RULES}
    assert all(fixture_run.result["rejected_by_rule"][rule] > 0 for rule in RULES)  # fixture covers all


def test_duplicates_keep_latest_then_highest_source_then_last_row(fixture_run):
    kept = {r["IMDB_ID"]: r for r in fixture_run.movies}
    assert kept["tt0078788"]["SOURCE_ID"] == "3620669"  # same lastUpdated: higher sourceId
    assert kept["tt0850669"]["SOURCE_ID"] == "50"  # later lastUpdated beats higher sourceId
    assert kept["tt0000010"]["TITLE"] == "Tie Second"  # full tie: the later row
    assert kept["tt0000011"]["SOURCE_ID"] == "11"  # the newer copy is broken: the valid one stays
    assert len(kept) == len(fixture_run.movies)  # IMDB_ID unique in movies.csv
    assert fixture_run.rejected_by_source("12")["RULE"] == "runtime_range"


def test_rejected_rows_carry_the_original_record(fixture_run, fixture_csv):
    raw_by_order = read_raw_rows(fixture_csv)
    for row in fixture_run.rejected:
        record = json.loads(row["RECORD"])
        assert list(record) == list(raw_by_order[0])  # every raw column, file order
        assert record in raw_by_order
        assert row["RECORD_KEY"] == record["imdbID"]
        assert row["ENTITY"] == "movies"
        assert row["BATCH_ID"] == fixture_run.batch_id
        assert row["SOURCE_FILE"] == f"rejected/batch_id={fixture_run.batch_id}/rejected.csv"


def test_record_json_escapes_quotes_newlines_and_backslashes(duck, tmp_path):
    import csv

    from glue_testlib import run
    from movies_cleanse import INPUT_COLUMNS

    tricky = {"imdbID": "bad", "Title": 'Say "hi"\nback\\slash\ttab', "Plot": "8½ – ok", "sourceId": "1",
              "lastUpdated": "2026-10-18"}
    path = tmp_path / "raw.csv"
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=INPUT_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerow(tricky)
    result = run(duck, str(path), tmp_path / "out")
    (row,) = result.rejected
    record = json.loads(row["RECORD"])
    assert {k: v for k, v in record.items() if v is not None} == tricky
