"""`moviepipe unlock SOURCE`: clears what a killed run left, refuses while the holder lives."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from moviepipe.cli import app
from moviepipe.settings import load_settings
from moviepipe.sources.factory import open_source

REPO = Path(__file__).resolve().parents[1]
HOLDER = """
import sys, time
from flows.locks import source_lock
with source_lock(sys.argv[1], "movies.db", 0, home=sys.argv[2]):
    print("held", flush=True)
    time.sleep(600)
"""


def test_unlock_refuses_a_live_holder_and_clears_a_dead_one(home, subset_db):
    url = f"sqlite:///{subset_db}"
    source = open_source(load_settings(source=url))
    key = source.base_source_key
    source.close()
    child = subprocess.Popen([sys.executable, "-c", HOLDER, key, str(home)], cwd=REPO, stdout=subprocess.PIPE,
                             text=True)
    try:
        assert child.stdout.readline().strip() == "held"
        refused = CliRunner().invoke(app, ["unlock", url])
        assert refused.exit_code == 1
        assert f"held by pid {child.pid}" in refused.output and "(alive)" in refused.output
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    cleared = CliRunner().invoke(app, ["unlock", url])
    assert cleared.exit_code == 0 and "removed stale lock" in cleared.output and str(child.pid) in cleared.output
    assert not list((home / "locks").glob("*.holder.json"))
