"""Broken state is named (file + way out), never read as "no state" and silently re-loaded."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from moviepipe.objectstore import write_atomic
from tests.conftest import make_subset
from tests.reliability.helpers import change_and_delete, copy_home, in_child, last_error, run_child, warehouse_facts

pytestmark = pytest.mark.integration
ENV = {"MOVIEPIPE_DETECT_DELETES": "true"}


def plan_error(home: str, url: str) -> str:
    """The one-line error planning the next batch gives (or 'planned <batch>')."""
    from moviepipe import pipeline
    from moviepipe.errors import MoviepipeError
    from moviepipe.runtime import build_runtime
    from moviepipe.settings import load_settings
    from moviepipe.sources.factory import open_source

    os.environ.update(ENV)
    settings = load_settings(source=url, home=home)
    rt, source = build_runtime(settings), open_source(settings)
    try:
        batch = pipeline.plan(rt, source)
        return f"planned {batch.batch_id}"
    except MoviepipeError as error:
        assert "\n" not in str(error)
        return f"{type(error).__name__}: {error}"
    finally:
        source.close()
        rt.close()


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    """A home that committed one batch of a 30-film source, and that source with changes and deletes."""
    root = tmp_path_factory.mktemp("corrupt")
    db = make_subset(root / "movies.db", 30)
    home = root / "home"
    assert run_child(home, f"sqlite:///{db}", env=ENV) == 0, last_error(home.with_suffix(".log"))
    return home, db


@pytest.fixture
def home(loaded, tmp_path):
    return copy_home(loaded[0], tmp_path / "home")


@pytest.fixture
def url(loaded):
    return f"sqlite:///{loaded[1]}"


def watermarks(home: Path) -> Path:
    return home / "state" / "watermarks.json"


@pytest.mark.parametrize(("content", "why"), [
    (b"", "is empty"),
    (b'{"sql|sqlite:///x.db|omdb": {"high": "2026-', "is not valid JSON"),
    (b"[1, 2]", "a JSON list, not an object"),
    (None, "has no valid 'high' watermark"),
])
def test_a_broken_watermarks_file_is_named_with_the_way_out(home, url, content, why):
    path = watermarks(home)
    if content is None:  # hand-edited: a watermark that is not a date
        data = json.loads(path.read_text())
        next(iter(data.values()))["high"] = "last tuesday"
        content = json.dumps(data).encode()
    path.write_bytes(content)
    error = in_child(plan_error, str(home), url)
    assert error.startswith("StateError: state file ") and why in error
    assert str(path) in error.replace("file://", "") and "moviepipe run --full-refresh" in error


def test_a_lost_watermarks_file_is_not_a_silent_full_reload(home, url, loaded):
    watermarks(home).unlink()
    # The source unchanged: the plan is the committed batch again, which replays as a no-op (the
    # crash-before-commit path); the crash matrix proves that replay.
    committed = json.loads(watermarks(loaded[0]).read_text())
    (entry,) = committed.values()
    assert in_child(plan_error, str(home), url) == f"planned {entry['batch_id']}"
    # Deletes since: found against the last snapshot, so the plan is a new batch, and refused by name.
    db = Path(url.removeprefix("sqlite:///"))
    original = db.read_bytes()
    try:
        change_and_delete(db, changes=0, deletes=2)
        error = in_child(plan_error, str(home), url)
    finally:
        db.write_bytes(original)
    assert error.startswith("StateError: state file ")
    assert "is missing, but the warehouse already holds 1 reconciled batch(es)" in error
    assert "moviepipe run --full-refresh" in error


@pytest.mark.parametrize("damage", ["missing", "empty", "truncated"])
def test_a_lost_key_scan_is_named_not_a_lost_delete(home, url, damage):
    (scan,) = (home / "state" / "sources").rglob("keys.parquet")
    if damage == "missing":
        scan.unlink()
    else:
        scan.write_bytes(b"" if damage == "empty" else scan.read_bytes()[:40])
    error = in_child(plan_error, str(home), url)
    assert error.startswith("StateError: key scan ") and str(scan) in error.replace("file://", "")
    assert damage in error or (damage == "truncated" and "unreadable" in error)
    assert "deletes since the last batch cannot be found" in error and "moviepipe run --full-refresh" in error


def test_the_full_refresh_the_errors_point_to_recovers(home, loaded, tmp_path):
    """Lost watermarks + the recovery command: the same warehouse as before, no duplicate versions."""
    _, db = loaded
    before = in_child(warehouse_facts, str(home))
    watermarks(home).unlink()
    assert run_child(home, f"sqlite:///{db}", full_refresh=True, env=ENV) == 0, last_error(home.with_suffix(".log"))
    after = in_child(warehouse_facts, str(home))
    assert after["dim"] == before["dim"], "re-read unchanged rows are no-ops"
    assert after["problems"] == [] and after["unbalanced"] == []
    assert json.loads(watermarks(home).read_text()), "the watermark is back"


def test_write_atomic_leaves_the_old_file_or_the_new_one(tmp_path, monkeypatch):
    target = tmp_path / "state" / "watermarks.json"
    write_atomic(target, b"old")
    synced = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (synced.append(fd), real_fsync(fd)))
    write_atomic(target, b"new")
    assert target.read_bytes() == b"new" and len(synced) >= 2, "the file and its folder are fsynced"

    def crash(*_):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        write_atomic(target, b"half")
    assert target.read_bytes() == b"new"
    assert [p.name for p in target.parent.iterdir()] == ["watermarks.json"], "no temporary file left behind"
