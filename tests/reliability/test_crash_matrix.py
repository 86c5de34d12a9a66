"""Kill the pipeline at every named point, rerun it, and get the warehouse of an uninterrupted run.

For each point of ``moviepipe.faults.POINTS``, on an initial run and on an incremental run
(changed films and deleted films, delete detection on): a child process runs with
``MOVIEPIPE_FAULT=<point>`` and must die with status 137; a second child reruns to completion;
then the warehouse is compared with a clean reference run of the same source (same source
URL, so the same batch ids): the same DIM_MOVIE versions per movie, one current row per movie,
contiguous versions, no duplicate (BATCH_ID, IMDB_ID) in RAW.MOVIES / RAW.MOVIE_DELETES and the
same rows per batch in every RAW table, every file loaded once, every stream consumed, the
ledger showing the killed attempt and the successful retry, extracted = loaded + rejected.

``MOVIEPIPE_CRASH_CASES`` selects a subset: comma-separated ids or points, e.g.
``initial-merge:between,load:between_pipes``.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from moviepipe.faults import EXIT_CODE, POINTS
from tests.conftest import make_subset
from tests.reliability.helpers import change_and_delete, copy_home, in_child, last_error, run_child, warehouse_facts

pytestmark = pytest.mark.integration

FILMS = 30
ENV = {"MOVIEPIPE_DETECT_DELETES": "true"}
#: The stage whose ledger row a point leaves ``running`` (the others die between stages).
INSIDE = {"extract:inside": "extract", "land:after": "land", "unzip:mid": "unzip", "transform:mid": "transform",
          "load:between_pipes": "load", "merge:after_dim_movie": "merge", "merge:between": "merge"}


def _selected(case_id: str, point: str) -> bool:
    wanted = {item.strip() for item in os.environ.get("MOVIEPIPE_CRASH_CASES", "").split(",") if item.strip()}
    return not wanted or case_id in wanted or point in wanted


CASES = [pytest.param(scenario, point, id=f"{scenario}-{point}")
         for scenario in ("initial", "incremental") for point in POINTS]


class World:
    """One source path shared by every run (its URL is in the batch ids), two contents for it."""

    def __init__(self, root: Path):
        self.root = root
        self.base = make_subset(root / "base.db", FILMS)
        self.changed = root / "changed.db"
        shutil.copyfile(self.base, self.changed)
        self.changed_ids, self.deleted_ids = change_and_delete(self.changed)
        self.db = root / "source" / "movies.db"
        self.db.parent.mkdir()
        self.url = f"sqlite:///{self.db}"

    def use(self, content: Path) -> None:
        shutil.copyfile(content, self.db)

    def run(self, home: Path, fault: str | None = None, cache: bool = True, facts_to: Path | None = None) -> int:
        return run_child(home, self.url, fault=fault, env=ENV, facts_to=facts_to,
                         transform_cache=self.root / "transform-cache" if cache else None)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    world = World(tmp_path_factory.mktemp("crash"))
    world.use(world.base)
    initial = world.root / "ref-initial"
    assert world.run(initial) == 0, last_error(initial.with_suffix(".log"))
    world.ref_initial = in_child(warehouse_facts, str(initial))
    world.home_initial = initial
    incremental = copy_home(initial, world.root / "ref-incremental")
    world.use(world.changed)
    assert world.run(incremental) == 0, last_error(incremental.with_suffix(".log"))
    world.ref_incremental = in_child(warehouse_facts, str(incremental))
    # the reference itself is what it should be: changes versioned, deletes closed, nothing left over
    for facts in (world.ref_initial, world.ref_incremental):
        assert not facts["problems"] and not facts["unbalanced"] and not facts["streams_pending"]
    dim = world.ref_incremental["dim"]
    assert all(len(dim[i]) == 2 for i in world.changed_ids)
    assert all(dim[i][-1][2] for i in world.deleted_ids), "deleted films end in a deleted version"
    return world


@pytest.mark.parametrize(("scenario", "point"), CASES)
def test_a_crash_at_any_point_reruns_to_the_reference(world, tmp_path, scenario, point, request):
    if not _selected(request.node.callspec.id, point):
        pytest.skip("not in MOVIEPIPE_CRASH_CASES")
    home = tmp_path / "home"
    if scenario == "initial":
        world.use(world.base)
        reference = world.ref_initial
    else:
        copy_home(world.home_initial, home)
        world.use(world.changed)
        reference = world.ref_incremental
    log = home.with_suffix(".log")

    real = point != "transform:mid"  # the transform's own crash and rerun run it for real
    assert world.run(home, fault=point, cache=real) == EXIT_CODE, f"the fault did not fire: {last_error(log)}"
    assert f"fault injected at {point}" in log.read_text()
    facts_file = tmp_path / "facts.json"
    assert world.run(home, cache=real, facts_to=facts_file) == 0, f"the rerun failed: {last_error(log)}"

    facts = json.loads(facts_file.read_text())
    assert facts["problems"] == [], "one current row per movie, contiguous versions"
    assert facts["raw_dupes"] == {"RAW.MOVIES": 0, "RAW.MOVIE_DELETES": 0}
    assert facts["files_loaded_twice"] == []
    assert facts["streams_pending"] == {}, "every stream consumed"
    assert facts["unbalanced"] == [], "extracted = loaded + rejected in every batch"
    assert facts["dim"] == reference["dim"], "the same DIM_MOVIE versions per movie as the clean run"
    assert facts["raw_counts"] == reference["raw_counts"], "the same rows per batch in every RAW table"
    assert facts["files"] == reference["files"], "every file loaded, once"
    stages = [(row["batch"], row["stage"], row["state"]) for row in facts["ledger"]]
    assert stages == [(row["batch"], row["stage"], row["state"]) for row in reference["ledger"]]
    assert {row["state"] for row in facts["ledger"]} == {"succeeded"}

    batch = reference["ledger"][-1]["batch"]  # the batch this scenario adds
    attempts = {row["stage"]: row["attempts"] for row in facts["ledger"] if row["batch"] == batch}
    assert any(attempts.values()), f"the ledger shows no earlier attempt of {batch}: {attempts}"
    if point in INSIDE:
        assert "interrupted" in attempts[INSIDE[point]], f"{INSIDE[point]}: {attempts}"
