"""Changes and deletes on a generated source: exact counts, lastUpdated only upward, both tables."""

from __future__ import annotations

import shutil
import sqlite3

import pytest
from typer.testing import CliRunner

import moviepipe.generate as synthetic
from moviepipe.cli import app
from moviepipe.errors import SourceError
from tests.generate.measure import content_hash

FILMS = 5_000


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    path = tmp_path_factory.mktemp("changes") / "template.db"
    synthetic.generate(f"sqlite:///{path}", FILMS, seed=21)
    return path


@pytest.fixture
def source(tmp_path, template):
    path = tmp_path / "source.db"
    shutil.copyfile(template, path)
    return path


def snapshot(path) -> dict[str, dict[int, tuple]]:
    with sqlite3.connect(path) as conn:
        return {table: {row[0]: row for row in conn.execute(f"SELECT * FROM {table}")} for table in ("omdb", "tomatoes")}


def test_changes_touch_exactly_the_share_and_only_move_last_updated_up(source):
    before = snapshot(source)
    report = synthetic.apply_changes(f"sqlite:///{source}", changes=5, seed=3)
    after = snapshot(source)
    assert report.changed == 250 and report.deleted == 0 and report.rows_before == FILMS
    assert after["omdb"].keys() == before["omdb"].keys() == after["tomatoes"].keys()

    changed = {i for i in before["omdb"] if after["omdb"][i] != before["omdb"][i]}
    assert len(changed) == 250
    assert {i for i in before["tomatoes"] if after["tomatoes"][i] != before["tomatoes"][i]} <= changed
    newest_before = max(row[17] for row in before["omdb"].values())
    assert report.at > newest_before
    for film in changed:
        old, new = before["omdb"][film], after["omdb"][film]
        assert new[17] == after["tomatoes"][film][15] == report.at > old[17]
        values_changed = (old[2] != new[2], old[5] != new[5], old[11] != new[11],
                          before["tomatoes"][film][3] != after["tomatoes"][film][3],
                          before["tomatoes"][film][12] != after["tomatoes"][film][12])
        assert any(values_changed), f"film {film}: only lastUpdated moved"
        tomato = after["tomatoes"][film]
        assert tomato[4] is None or tomato[5] + tomato[6] == tomato[4], "Fresh + Rotten = Reviews"
    assert sum(report.fields.values()) >= 250 and all(0 < n <= 250 for n in report.fields.values())
    with sqlite3.connect(source) as conn:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert tables == {"omdb", "tomatoes"}, "scratch tables are dropped"


def test_deletes_remove_from_both_tables_disjoint_from_changes(source):
    before = snapshot(source)
    report = synthetic.apply_changes(f"sqlite:///{source}", changes=2, seed=4, delete=1)
    after = snapshot(source)
    assert report.deleted == 50 and report.changed == 100
    gone = before["omdb"].keys() - after["omdb"].keys()
    assert len(gone) == 50 and gone == before["tomatoes"].keys() - after["tomatoes"].keys()
    assert after["omdb"].keys() == after["tomatoes"].keys()
    changed = {i for i in after["omdb"] if after["omdb"][i] != before["omdb"][i]}
    assert len(changed) == 100 and not changed & gone


def test_same_seed_same_changes(source, tmp_path, template):
    other = tmp_path / "other.db"
    shutil.copyfile(template, other)
    for path in (source, other):
        synthetic.apply_changes(f"sqlite:///{path}", changes=3, seed=9, delete=1, at="2030-01-02")
    assert content_hash(source) == content_hash(other) != content_hash(template)


@pytest.mark.parametrize("kwargs, message", [
    ({"changes": 101}, "between 0 and 100"),
    ({"changes": 60, "delete": 50}, "exceed 100%"),
    ({"changes": 1, "at": "2001-01-01"}, "not later than the newest lastUpdated"),
    ({"changes": 1, "at": "yesterday"}, "ISO date"),
])
def test_bad_change_arguments_are_named(source, kwargs, message):
    before = content_hash(source)
    with pytest.raises(SourceError, match=message):
        synthetic.apply_changes(f"sqlite:///{source}", **kwargs)
    assert content_hash(source) == before, "nothing changed"


def test_missing_source_is_named_and_not_created(tmp_path):
    with pytest.raises(SourceError, match="no such SQLite file"):
        synthetic.apply_changes(f"sqlite:///{tmp_path / 'absent.db'}", changes=1)
    assert not (tmp_path / "absent.db").exists()


def test_cli_prints_what_changed(source):
    result = CliRunner().invoke(app, ["generate", "--changes", "1", "--delete", "0.5", "--in", f"sqlite:///{source}"])
    assert result.exit_code == 0, result.output
    assert "50 of 5,000 films changed" in result.output and "25 deleted" in result.output
