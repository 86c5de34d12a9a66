"""The synthetic source: default schema, reproducible, with the real file's mess at its rates."""

from __future__ import annotations

import sqlite3

import pytest
from typer.testing import CliRunner

import moviepipe.generate as synthetic
from moviepipe.cli import app
from moviepipe.errors import SourceError
from moviepipe.sources.sql import SqlSource
from tests.conftest import default_db_path
from tests.generate.measure import EMPTY_COLUMNS, NULL_COLUMNS, content_hash, declared_schema, measure


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    path = tmp_path_factory.mktemp("gen") / "movies_40k.db"
    synthetic.generate(f"sqlite:///{path}", 40_000, seed=7)
    return path


@pytest.fixture
def small_chunks(monkeypatch):
    """Several chunks (and so the worker thread and per-chunk streams) at a small size."""
    monkeypatch.setattr(synthetic, "CHUNK_ROWS", 1_000)


def test_schema_is_the_default_one(generated):
    assert declared_schema(generated) == declared_schema(default_db_path())
    source = SqlSource(f"sqlite:///{generated}")  # DEFAULT_MAPPING reads it unchanged
    try:
        assert source.plan(None).expected_rows == 40_000
    finally:
        source.close()


def test_same_seed_same_content_other_seed_other_content(tmp_path, small_chunks):
    hashes = {}
    for name, seed in (("a", 11), ("b", 11), ("c", 12)):
        report = synthetic.generate(f"sqlite:///{tmp_path / name}.db", 5_500, seed=seed)
        assert report.rows == 5_500
        hashes[name] = content_hash(tmp_path / f"{name}.db")
    assert hashes["a"] == hashes["b"]
    assert hashes["a"] != hashes["c"]


def test_mess_rates_match_the_real_file(generated):
    real, ours = measure(default_db_path()), measure(generated)
    assert ours["films"] == ours["tomatoes rows"] == 40_000
    assert ours["unique IDs"] and ours["tomatoes IDs match"]
    assert ours["imdbIDs tt+7-8 digits"] == 1.0 and ours["release year = Year"] == 1.0
    rates = ["year-only releases", "non-ASCII titles", "non-ASCII casts"] + \
            [f"NULL {c}" for c in NULL_COLUMNS] + [f"empty {c}" for c in EMPTY_COLUMNS]
    for rate in rates:
        assert ours[rate] == pytest.approx(real[rate], abs=0.005 + 0.1 * real[rate]), rate
    # 2 of 17,472 real films share an id pairwise: a handful here, never many
    assert 0 < ours["films sharing an imdbID"] < 5 * real["films sharing an imdbID"]
    assert ours["BoxOffice min"] < 100 and ours["BoxOffice max"] > 1e9
    assert ours["lastUpdated years"] >= 8
    assert abs(ours["cast size median"] - real["cast size median"]) <= 1


def test_the_mess_itself(generated):
    with sqlite3.connect(generated) as conn:
        shared = conn.execute("SELECT imdbID FROM omdb GROUP BY 1 HAVING COUNT(*) > 1").fetchall()
        assert shared and conn.execute("SELECT MAX(n) FROM (SELECT COUNT(*) n FROM omdb GROUP BY imdbID)").fetchone()[0] == 2
        assert conn.execute("SELECT COUNT(*) FROM omdb WHERE length(imdbID) = 10").fetchone()[0] >= 1
        assert conn.execute("SELECT COUNT(*) FROM omdb WHERE Awards LIKE 'Won %' AND Oscars = 0").fetchone()[0] == 0
        assert conn.execute("SELECT COUNT(*) FROM tomatoes WHERE Fresh + Rotten <> Reviews").fetchone()[0] == 0
        accented = conn.execute("SELECT COUNT(*) FROM omdb WHERE Director GLOB '*[^ -~]*'").fetchone()[0]
        assert accented > 0, "accented director names"


def test_existing_tables_are_refused_unless_replaced(tmp_path):
    url = f"sqlite:///{tmp_path / 'x.db'}"
    synthetic.generate(url, 10, seed=1)
    with pytest.raises(SourceError, match="already has table"):
        synthetic.generate(url, 10, seed=1)
    synthetic.generate(url, 20, seed=1, replace=True)
    with sqlite3.connect(tmp_path / "x.db") as conn:
        assert conn.execute("SELECT COUNT(*) FROM omdb").fetchone()[0] == 20


@pytest.mark.parametrize("kwargs, message", [
    ({"rows": 0}, "--rows must be between"),
    ({"seed": -1}, "--seed must be 0 or more"),
    ({"url": "sqlite://"}, "give a file"),
    ({"url": "sqlite:////no/such/folder/x.db"}, "does not exist"),
])
def test_bad_arguments_are_named(tmp_path, kwargs, message):
    args = {"url": f"sqlite:///{tmp_path / 'y.db'}", "rows": 10, "seed": 0} | kwargs
    with pytest.raises(SourceError, match=message):
        synthetic.generate(args["url"], args["rows"], args["seed"])


def test_cli_generates_and_reports_rate(tmp_path):
    runner = CliRunner()
    target = tmp_path / "cli.db"
    result = runner.invoke(app, ["generate", "--rows", "1500", "--seed", "3", "--out", f"sqlite:///{target}"])
    assert result.exit_code == 0, result.output
    assert "1,500 films (seed 3)" in result.output and "rows/s" in result.output
    again = runner.invoke(app, ["generate", "--rows", "1500", "--out", f"sqlite:///{target}"])
    assert again.exit_code == 1 and "already has table" in again.output
    wrong = runner.invoke(app, ["generate", "--changes", "5"])
    assert wrong.exit_code == 1 and "--in" in wrong.output
