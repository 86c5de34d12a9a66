"""EXTRA keeps JSON values typed: the regex JSON check against Python's parser, the kinds, the batch."""

from __future__ import annotations

import json
import random

import pytest
from glue_testlib import read_rows

import movies_cleanse as mc
from movies_engine import api_for
from movies_transform import run_batch


def _frame(session, values):
    api = api_for(session)
    T = api.T
    schema = T.StructType([T.StructField("i", T.IntegerType()), T.StructField("v", T.StringType())])
    return session.createDataFrame([(i, v) for i, v in enumerate(values)], schema)


def _json_values(session, values, kind="json") -> list:
    F = api_for(session).F
    df = _frame(session, values).select("i", mc.extra_json_value(F, F.col("v"), kind).alias("out"))
    return [row["out"] for row in sorted(df.collect(), key=lambda r: r["i"])]


def _depth(value) -> int:
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    return 0


def _number_fits(text: str) -> bool:
    """Snowflake-safe numbers (movies_cleanse._JSON_NUMBER): <= 18 integer digits, 15 decimals, 2 exponent."""
    import re

    return re.fullmatch(mc._JSON_NUMBER, text) is not None


def reference(text: str) -> bool:
    """Python's strict parser, with the check's documented limits (depth, number sizes)."""
    numbers: list[str] = []

    def keep(token):
        numbers.append(token)
        return float(token)

    def refuse(token):
        raise ValueError(token)

    try:
        value = json.loads(text, parse_float=keep, parse_int=keep, parse_constant=refuse)
    except (ValueError, RecursionError):
        return False
    return _depth(value) <= mc.JSON_MAX_DEPTH and all(map(_number_fits, numbers))


def candidates(count: int = 1500, seed: int = 12) -> list[str]:
    """Valid JSON of every shape OMDb uses and beyond, and near misses made by mutating it."""
    rng = random.Random(seed)
    words = ["Internet Movie Database", "8.8/10", "87%", "Amélie ½", 'say "hi"', "back\\slash", "#", "@", "", "é\n"]
    scalars = [lambda: rng.choice(words), lambda: rng.randint(-10**6, 10**6), lambda: round(rng.uniform(-5, 5), 3),
               lambda: rng.choice([True, False, None]), lambda: rng.choice([0, -0.0, 1e21, 1.5e-7, 10**19])]

    def value(depth: int):
        if depth == 0 or rng.random() < 0.3:
            return rng.choice(scalars)()
        if rng.random() < 0.5:
            return [value(depth - 1) for _ in range(rng.randint(0, 3))]
        return {rng.choice(words): value(depth - 1) for _ in range(rng.randint(0, 3))}

    out = ['[{"Source": "Internet Movie Database", "Value": "8.8/10"}]', "[]", "{}", '"x"', "12", "true", "null"]
    alphabet = '[]{}:,"\\ 0123456789.-+eEtruefalsn#@x\t\u0001'
    while len(out) < count:
        text = json.dumps(value(rng.randint(0, 5)), ensure_ascii=rng.random() < 0.5,
                          separators=rng.choice([(",", ":"), (", ", ": ")]))
        if rng.random() < 0.6:  # a near miss: one character removed, replaced or inserted
            at = rng.randrange(len(text) + 1)
            edit = rng.choice(["drop", "swap", "insert"])
            if edit == "drop" and text:
                at = min(at, len(text) - 1)
                text = text[:at] + text[at + 1:]
            elif edit == "swap" and text:
                at = min(at, len(text) - 1)
                text = text[:at] + rng.choice(alphabet) + text[at + 1:]
            else:
                text = text[:at] + rng.choice(alphabet) + text[at:]
        out.append(text)
    return out


def test_json_check_agrees_with_pythons_parser(duck):
    texts = candidates()
    got = _json_values(duck, texts)
    trimmed = [t.strip(" \t\r\n") for t in texts]  # values are trimmed first (as every text field is)
    disagree = [(t, g is not None) for t, g in zip(trimmed, got) if (g is not None) != reference(t)]
    assert not disagree, disagree[:5]
    assert sum(g is not None for g in got) > 400 and sum(g is None for g in got) > 400  # both sides covered
    assert all(g is None or g == t for t, g in zip(trimmed, got))  # verbatim: the same bytes on any engine


@pytest.mark.spark
def test_json_check_is_the_same_on_spark(duck, spark):
    texts = candidates(600, seed=5)
    assert _json_values(spark, texts) == _json_values(duck, texts)
    numbers = ["16", "016", "-3", "1.5", "1e+20", "nan", "1234567890123456789", " 7 "]
    for kind in ("integer", "number", "boolean"):
        assert _json_values(spark, numbers + ["True", "no"], kind) == _json_values(duck, numbers + ["True", "no"], kind)


@pytest.mark.parametrize("kind, values, expected", [
    ("integer", ["16", "016", "-3", "1.5", " 7 ", None], ["16", None, "-3", None, "7", None]),
    ("number", ["1000", "1e+20", "0.5", "1.5e-07", "nan", "inf", "1234567890123456789", "-0"],
     ["1000", "1e+20", "0.5", "1.5e-07", None, None, None, "-0"]),
    ("boolean", ["true", "False", "yes"], ["true", "false", None]),
    ("text", ["12", "[]"], [None, None]),
])
def test_scalar_kinds(duck, kind, values, expected):
    assert _json_values(duck, values, kind) == expected


@pytest.mark.parametrize("name, declared, kind", [
    ("Ratings", None, "json"), ("Ratings", "string", "json"), ("totalSeasons", "string", "integer"),
    ("Season", None, "integer"), ("Episode", None, "integer"), ("seriesID", None, "omdb_text"),
    ("Budget", "double", "number"), ("Budget", "int64", "number"), ("Flag", "bool", "boolean"),
    ("Note", "string", "text"), ("Note", None, "text"), ("When", "timestamp[us]", "text"),
    ("Price", "decimal128(10, 2)", "number"), ("Season", "double", "number"),
])
def test_extra_kind_from_manifest_types_then_omdb_field_types(name, declared, kind):
    assert mc.extra_kind(name, declared) == kind


def test_api_batch_extra_members_keep_their_json_types(api_batch_run):
    extra = {row["IMDB_ID"]: json.loads(row["EXTRA"]) for row in api_batch_run.movies if row["EXTRA"]}
    episode = extra["tt1480055"]
    assert episode == {"Ratings": [{"Source": "Internet Movie Database", "Value": "8.9/10"}], "Season": 1,
                       "Episode": 1, "seriesID": "tt0944947", "Response": "True"}
    assert extra["tt0740913"] == {"Ratings": [], "Response": "True"}  # OMDb's "N/A" is no value: left out
    assert extra["tt0472954"]["totalSeasons"] == 16
    assert extra["tt3339654"]["Ratings"] == []
    assert extra["tt0047478"]["Ratings"][2] == {"Source": "Metacritic", "Value": "74/100"}
    odd = extra["tt0000098"]  # not of their type: kept, as strings
    assert (odd["Ratings"], odd["totalSeasons"]) == ("[{broken", "12a")


def test_declared_numbers_and_booleans_stay_typed(duck, tmp_path):
    """A SQL source's drifted columns: the manifest's Arrow types make numbers numbers."""
    import pyarrow as pa

    from moviepipe.contract import EXTRA_COLUMNS, RAW_COLUMNS
    from moviepipe.packaging import build_manifest, write_raw_files

    fields = [pa.field(n, pa.string()) for n in RAW_COLUMNS + EXTRA_COLUMNS]
    schema = pa.schema(fields + [pa.field("Budget", pa.float64()), pa.field("Restored", pa.bool_()),
                                 pa.field("Note", pa.string())])
    rows = {n: [None, None] for n in schema.names}
    rows.update(imdbID=["tt0000001", "tt0000002"], Title=["A", "B"], lastUpdated=["2026-10-18", "2026-10-18"],
                Budget=[1500000.0, 0.25], Restored=[True, None], Note=["12", "N/A"])
    batch = pa.RecordBatch.from_pydict(rows, schema=schema)
    raw = write_raw_files([batch], schema, tmp_path / "in" / "movies")
    manifest = build_manifest(raw, "b-typed", "sql", "sqlite:///x.db", None, "2026-10-18")
    (raw.folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    result = run_batch(duck, str(raw.folder / "movies.csv"), str(tmp_path / "out"), "b-typed",
                       require_manifest=True)
    movies = {m["IMDB_ID"]: m for m in read_rows(tmp_path / "out" / result["files"]["movies"])}
    assert json.loads(movies["tt0000001"]["EXTRA"]) == {"Budget": 1500000, "Restored": True, "Note": "12"}
    assert json.loads(movies["tt0000002"]["EXTRA"]) == {"Budget": 0.25, "Note": "N/A"}  # text stays verbatim
    assert movies["tt0000001"]["EXTRA"] == '{"Budget":1500000,"Restored":true,"Note":"12"}'  # as pyarrow wrote it
