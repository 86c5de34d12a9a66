"""`moviepipe dashboard` before the server starts: what it runs, what it refuses, what it tells."""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal

import pandas as pd
import pytest
from typer.testing import CliRunner

from moviepipe.cli import app
from moviepipe.dashboard import server
from moviepipe.dashboard.backend import BACKEND_ENV, BackendError, backend_name, tidy
from moviepipe.settings import load_settings


def test_the_server_runs_headless_private_and_offline():
    command = server.streamlit_command(8600, "127.0.0.1")
    assert command[:4] == [sys.executable, "-m", "streamlit", "run"] and command[4] == str(server.APP)
    options = dict(zip(command[5::2], command[6::2]))
    assert options == {"--server.port": "8600", "--server.address": "127.0.0.1", "--server.headless": "true",
                       "--server.fileWatcherType": "none", "--server.runOnSave": "false",
                       "--browser.gatherUsageStats": "false", "--global.developmentMode": "false",
                       "--client.toolbarMode": "viewer"}


def test_a_missing_streamlit_is_named_with_the_install_command(monkeypatch, home):
    real = server.importlib.util.find_spec
    monkeypatch.setattr(server.importlib.util, "find_spec", lambda name: None if name == "streamlit" else real(name))
    result = CliRunner().invoke(app, ["dashboard"])
    assert result.exit_code == 1
    assert "the dashboard needs streamlit, which is not installed: pip install -e ." in result.output


def test_an_unknown_backend_is_refused_by_the_cli_and_by_the_app(monkeypatch, home):
    result = CliRunner().invoke(app, ["dashboard", "--backend", "oracle"])
    assert result.exit_code == 1 and "unknown dashboard backend 'oracle': use one of local, snowflake" in result.output
    monkeypatch.setenv(BACKEND_ENV, "oracle")
    with pytest.raises(BackendError, match="use one of local, snowflake"):
        backend_name()
    monkeypatch.setenv(BACKEND_ENV, "Snowflake")
    assert backend_name() == "snowflake"
    monkeypatch.delenv(BACKEND_ENV)
    assert backend_name() == "local"


def test_numbers_from_the_connector_become_plain_numbers():
    frame = tidy(pd.DataFrame({"N": [Decimal("3"), None], "X": [Decimal("2.5"), Decimal("1")], "S": ["a", "b"]}))
    assert frame["N"].dtype == "Int64" and frame["N"].iloc[0] == 3 and pd.isna(frame["N"].iloc[1])
    assert frame["X"].dtype == "float64" and list(frame["X"]) == [2.5, 1.0]
    assert list(frame["S"]) == ["a", "b"]


@pytest.mark.integration
def test_the_warehouse_is_prepared_when_idle_and_left_alone_when_a_run_holds_it(home, tmp_path):
    settings = load_settings()
    assert "no warehouse yet" in server.prepare_local_warehouse(settings)
    assert not (home / "warehouse").exists(), "the dashboard never creates a warehouse"
    (home / "warehouse").mkdir(parents=True)
    from moviepipe.warehouse.client import local_warehouse

    local_warehouse(home / "warehouse", settings.database).close()  # an empty warehouse, as an old run left it
    assert "copied on read" in server.prepare_local_warehouse(settings)
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; from pathlib import Path; from moviepipe.warehouse.client import local_warehouse; "
        f"w = local_warehouse(Path({str(home / 'warehouse')!r}), 'MOVIEPIPE'); print('open', flush=True); "
        "sys.stdin.read(); w.close()")], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "open"
        assert "a run holds the warehouse" in server.prepare_local_warehouse(settings)
    finally:
        holder.stdin.close()
        holder.wait(60)


def test_typed_values_become_snowflake_string_literals():
    from moviepipe.dashboard.queries import sql_string

    assert sql_string("it's") == "'it''s'"
    assert sql_string("a\\b') OR 1=1 --") == "'a\\\\b'') OR 1=1 --'"
