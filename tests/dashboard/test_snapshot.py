"""The dashboard reads the local warehouse through copies: it works while a run holds the file, and never blocks it."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import duckdb
import pytest

from moviepipe.dashboard.snapshot import NoWarehouse, SnapshotChanged, WarehouseSnapshot
from tests.conftest import warehouse_query

pytestmark = pytest.mark.integration


def test_copies_read_while_a_cli_run_holds_the_warehouse_and_the_run_is_not_blocked(dashboard_home):
    cli, seen = dashboard_home["cli"], dashboard_home["while_running"]
    assert cli["returncode"] == 0, cli["output"][-3000:]
    assert seen["errors"] == []
    assert seen["copies_while_locked"] >= 2, f"the run held the warehouse for too short a time to prove much: {seen}"
    changed = len(dashboard_home["changed"])
    after = warehouse_query(dashboard_home["home"], "SELECT COUNT(*) AS N FROM ANALYTICS.DIM_MOVIE")[0]["N"]
    # every copy shows a committed state: the versions before the second batch's merge, or after it
    assert set(seen["versions"]) <= {after - changed, after}, seen["versions"]


def test_a_copy_is_read_only_and_leaves_the_warehouse_free_for_a_writer(dashboard_home, tmp_path):
    folder = tmp_path / "warehouse"
    shutil.copytree(dashboard_home["home"] / "warehouse", folder)
    snapshot = WarehouseSnapshot(folder, "MOVIEPIPE")
    try:
        snapshot.refresh()
        with snapshot.lock:
            cursor = snapshot.cursor()
            with pytest.raises(Exception, match="read-only"):
                cursor.execute("DELETE FROM OPS.BATCH_LEDGER")
        # while the dashboard holds its copy, a writer opens the warehouse itself
        writer = duckdb.connect(str(folder / "MOVIEPIPE.db"))
        writer.execute("CREATE TABLE OPS.WRITER_WAS_HERE (N INT)")
        writer.close()
        assert snapshot.refresh().fingerprint == snapshot.info.fingerprint  # young copy kept (max_age)
        renewed = snapshot.refresh(force=True)
        with snapshot.lock:
            cursor = snapshot.cursor()
            cursor.execute("SELECT COUNT(*) FROM OPS.WRITER_WAS_HERE")
            assert cursor.fetchone()[0] == 0
        assert renewed.fingerprint != ()
    finally:
        snapshot.close()


def test_a_missing_warehouse_is_named_and_a_copy_that_keeps_changing_is_refused(tmp_path, monkeypatch):
    with pytest.raises(NoWarehouse, match="run `moviepipe run` first"):
        WarehouseSnapshot(tmp_path, "MOVIEPIPE").refresh()
    (tmp_path / "MOVIEPIPE.db").write_bytes(b"x")
    snapshot = WarehouseSnapshot(tmp_path, "MOVIEPIPE", attempts=3)
    stamps = iter(range(100))
    monkeypatch.setattr("moviepipe.dashboard.snapshot.fingerprint", lambda files: (next(stamps),))
    copies = set(Path(tempfile.gettempdir()).glob("moviepipe-dashboard-*"))
    with pytest.raises(SnapshotChanged, match="changed while it was being copied"):
        snapshot.refresh()
    assert next(stamps) == 6, "three attempts, each a fingerprint before and after the copy"
    assert set(Path(tempfile.gettempdir()).glob("moviepipe-dashboard-*")) == copies, "a refused copy is removed"
