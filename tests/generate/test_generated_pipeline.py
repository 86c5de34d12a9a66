"""A generated source through the real pipeline: initial load, then 5% changed films incrementally."""

from __future__ import annotations

import sqlite3

import pytest

import moviepipe.generate as synthetic
from flows.pipeline import run_flow
from tests.conftest import warehouse_query as query

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("prefect_harness")]

FILMS = 2_000


def test_generated_source_reconciles_and_changes_arrive_as_new_versions(home, tmp_path):
    db = tmp_path / "generated.db"
    url = f"sqlite:///{db}"
    synthetic.generate(url, FILMS, seed=5)
    with sqlite3.connect(db) as conn:
        distinct = conn.execute("SELECT COUNT(DISTINCT imdbID) FROM omdb").fetchone()[0]

    first = run_flow(source=url)
    rec = first["reconcile"]
    assert first["status"] == "loaded" and rec["balanced"]
    assert rec["extracted"] == FILMS == rec["loaded"] + rec["rejected"]
    assert rec["rejected"] == FILMS - distinct, "only the films sharing an imdbID are rejected"
    current = query(home, "SELECT COUNT(*) AS N FROM ANALYTICS.DIM_MOVIE WHERE IS_CURRENT")[0]["N"]
    assert current == distinct
    assert run_flow(source=url)["status"] == "unchanged"

    with sqlite3.connect(db) as conn:
        before = dict((row[0], row[1:]) for row in conn.execute("SELECT ID, Title, Runtime FROM omdb"))
    report = synthetic.apply_changes(url, changes=5, seed=6)
    with sqlite3.connect(db) as conn:
        after = conn.execute("SELECT ID, imdbID, Title, Runtime FROM omdb WHERE lastUpdated = ?", (report.at,)).fetchall()
    changed_ids = {row[1] for row in after}
    retitled = {row[1] for row in after if before[row[0]] != row[2:]}  # title or runtime: DIM_MOVIE attributes

    second = run_flow(source=url)
    rec = second["reconcile"]
    assert rec["extracted"] == report.changed == len(after) == 100 and rec["balanced"]
    versioned = {row["IMDB_ID"] for row in query(
        home, "SELECT IMDB_ID FROM ANALYTICS.DIM_MOVIE GROUP BY 1 HAVING COUNT(*) > 1")}
    assert retitled - versioned == set(), "every retitled or re-timed film has a new version"
    assert versioned <= changed_ids, "no other film got a new version"
    assert second["merge"]["new_versions"] == second["merge"]["closed_versions"] == len(versioned)
