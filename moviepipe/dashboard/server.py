"""``moviepipe dashboard``: start the Streamlit server on the app, offline and private by default.

Before the server starts, the local warehouse (when there is one and no run holds it)
gets the ``sql/`` tree applied, as every ``moviepipe`` command that opens it does, so a
warehouse built by an older moviepipe has the views the pages read. The server itself
never opens the warehouse: it reads copies (``moviepipe.dashboard.snapshot``).
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys

from moviepipe.dashboard.backend import BACKEND_ENV, BACKENDS
from moviepipe.dashboard.navigation import APP
from moviepipe.errors import MoviepipeError, StageError
from moviepipe.settings import Settings

INSTALL_HINT = "pip install -e . (streamlit is part of the base install)"


def streamlit_command(port: int, host: str) -> list[str]:
    """The server: headless (no browser, no e-mail prompt), no usage statistics, no file watcher."""
    return [sys.executable, "-m", "streamlit", "run", str(APP),
            "--server.port", str(port), "--server.address", host, "--server.headless", "true",
            "--server.fileWatcherType", "none", "--server.runOnSave", "false",
            "--browser.gatherUsageStats", "false", "--global.developmentMode", "false",
            "--client.toolbarMode", "viewer"]


def server_environment(settings: Settings, backend: str | None) -> dict[str, str]:
    env = {**os.environ, "MOVIEPIPE_HOME": str(settings.home_dir)}
    if backend:
        if backend not in BACKENDS:
            raise MoviepipeError(f"unknown dashboard backend {backend!r}: use one of {', '.join(BACKENDS)}")
        env[BACKEND_ENV] = backend
    return env


def prepare_local_warehouse(settings: Settings) -> str:
    """Apply ``sql/`` to an existing, idle local warehouse; say what was done in one line."""
    from moviepipe.runtime import build_runtime

    if settings.runtime != "local":  # nothing to prepare: the cloud runtime's warehouse is Snowflake
        return "reading the local warehouse as it is (MOVIEPIPE_RUNTIME is not local; see --backend snowflake)"
    database_file = settings.home_dir / "warehouse" / f"{settings.database}.db"
    if not database_file.is_file():
        return f"no warehouse yet at {database_file}: the pages fill in after `moviepipe run`"
    rt = build_runtime(settings)
    try:
        rt.snowflake
    except StageError as error:
        if "in use" not in str(error):
            raise
        return "a run holds the warehouse: the pages show copies taken as it goes"
    finally:
        rt.close()
    return f"reading {database_file} (copied on read; runs are never blocked)"


def check_installed() -> None:
    if importlib.util.find_spec("streamlit") is None:
        raise MoviepipeError(f"the dashboard needs streamlit, which is not installed: {INSTALL_HINT}")


def serve(settings: Settings, port: int, host: str, backend: str | None, announce=print) -> int:
    """Run the server in the foreground until it stops (Ctrl+C); on POSIX this process becomes it.

    ``announce(url, note)`` is called once the server is about to start (the CLI prints it).
    """
    check_installed()
    env = server_environment(settings, backend)
    if env.get(BACKEND_ENV, "local") == "local":
        note = prepare_local_warehouse(settings)
    else:
        note = "reading Snowflake through st.connection('snowflake')"
    announce(f"http://{host}:{port}", note)
    command = streamlit_command(port, host)
    if os.name == "posix":  # become the server: Ctrl+C and SIGTERM reach Streamlit itself, no orphan is left
        sys.stdout.flush()
        os.execve(command[0], command, env)
    try:
        return subprocess.call(command, env=env)
    except KeyboardInterrupt:
        return 0
