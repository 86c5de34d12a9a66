"""One warehouse with history for every dashboard and run-report test, built once per session.

Two batches of the real movies.db (the 300-film subset): the first through the Prefect
flow in-process; the second, run with the real ``moviepipe run`` CLI in a subprocess (on
the session's Prefect test server), changes 20 films (runtime, and for 5 of them the title
and genres), so they have two versions. While that CLI run holds the warehouse, the test
process keeps taking dashboard snapshots of it and records what it saw (``while_running``).
Each batch costs a transform (sqlframe's fixed planning cost, ~7 s on a quiet machine).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import REPO

SECOND_AT = "2026-11-20"
MOVIEPIPE = str(Path(sys.executable).with_name("moviepipe"))


def changed_ids(db: Path, count: int) -> list[str]:
    with sqlite3.connect(db) as conn:
        return [row[0] for row in conn.execute(
            "SELECT imdbID FROM omdb WHERE imdbID NOT IN ('tt0078788', 'tt0850669') AND Runtime IS NOT NULL "
            "ORDER BY ID LIMIT ?", (count,))]


def lock_holders(path: Path) -> set[int]:
    """PIDs holding a POSIX lock on ``path`` (from /proc/locks: looking takes no lock, so no run is disturbed)."""
    inode = path.stat().st_ino
    holders = set()
    for line in Path("/proc/locks").read_text().splitlines():
        fields = line.split()
        if len(fields) > 5 and fields[1] == "POSIX" and fields[5].rsplit(":", 1)[-1] == str(inode):
            holders.add(int(fields[4]))
    return holders


def watch_while_running(process: subprocess.Popen, home: Path) -> dict:
    """Take a snapshot of the warehouse again and again while ``process`` runs; count what each copy shows."""
    from moviepipe.dashboard.snapshot import WarehouseSnapshot

    database_file = home / "warehouse" / "MOVIEPIPE.db"
    snapshot = WarehouseSnapshot(home / "warehouse", "MOVIEPIPE", max_age=0)
    seen = {"copies_while_locked": 0, "versions": [], "errors": [], "retries": 0}
    try:
        while process.poll() is None:
            locked_before = process.pid in lock_holders(database_file)
            try:
                info = snapshot.refresh(force=True)
                with snapshot.lock:
                    cursor = snapshot.cursor()
                    cursor.execute("SELECT COUNT(*) FROM ANALYTICS.DIM_MOVIE")
                    versions = cursor.fetchone()[0]
            except Exception as error:  # recorded, asserted on by the test
                seen["errors"].append(repr(error))
            else:
                if locked_before and process.pid in lock_holders(database_file):
                    seen["copies_while_locked"] += 1
                    seen["versions"].append(int(versions))
                    seen["retries"] += info.attempts - 1
            time.sleep(0.2)
    finally:
        snapshot.close()
    return seen


@pytest.fixture(scope="session")
def dashboard_home(tmp_path_factory, subset_template, prefect_harness) -> dict:
    from prefect.settings import get_current_settings

    from flows.pipeline import run_flow

    root = tmp_path_factory.mktemp("dashboard")
    home, db = root / "home", root / "movies.db"
    shutil.copyfile(subset_template, db)
    url = f"sqlite:///{db}"

    first = run_flow(source=url, home=str(home), return_state=True)
    first_result = first.result()
    assert first_result["status"] == "loaded"

    changed = changed_ids(db, 20)
    with sqlite3.connect(db) as conn:
        conn.executemany("UPDATE omdb SET Runtime = Runtime + 7, lastUpdated = ? WHERE imdbID = ?",
                         [(SECOND_AT, i) for i in changed])
        conn.executemany("UPDATE omdb SET Title = Title || ' (restored)', Genre = Genre || ', Documentary' "
                         "WHERE imdbID = ?", [(i,) for i in changed[:5]])
    env = {**os.environ, "MOVIEPIPE_HOME": str(home), "PREFECT_API_URL": str(get_current_settings().api.url),
           "COLUMNS": "200"}
    env.pop("MOVIEPIPE_SOURCE", None)
    env.pop("MOVIEPIPE_RUNTIME", None)
    log = root / "cli.log"
    with open(log, "w") as out:
        process = subprocess.Popen([MOVIEPIPE, "run", "--source", url], cwd=REPO, env=env, stdout=out,
                                   stderr=subprocess.STDOUT)
        seen = watch_while_running(process, home)
        process.wait(600)
    return {"home": home, "source": db, "first": first_result, "first_flow_run_id": first.state_details.flow_run_id,
            "changed": changed, "retitled": changed[:5],
            "cli": {"returncode": process.returncode, "output": log.read_text()}, "while_running": seen}
