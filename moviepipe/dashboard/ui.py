"""What every page shares: the backend for this run, the sidebar, errors as one line, number formats.

``connect()`` runs once per script run (in ``app.py``, before the page): it opens the
backend, refreshes the local copy when the warehouse changed, says in the sidebar how
old the data is, and stops the page with a clear message when there is nothing to
show yet. Pages get the backend from ``db()``; a query that fails (a view missing in a
warehouse built by an older moviepipe, Snowflake refusing the role) ends the page with
one line naming the problem, never a traceback.
"""

from __future__ import annotations

import math

import pandas as pd
import streamlit as st

from moviepipe.dashboard.backend import Backend, BackendError, open_backend

_KEY = "moviepipe_backend"
STALE_VIEW_HINT = ("the warehouse was built by an older moviepipe: `moviepipe dashboard` applies sql/ when it "
                   "starts (or run `moviepipe run`), then reload")


class GuardedBackend:
    """The backend, with failures turned into one line on the page."""

    def __init__(self, backend: Backend):
        self.backend = backend
        self.name = backend.name

    def refresh(self, force: bool = False):
        return self.backend.refresh(force)

    def query(self, sql: str) -> pd.DataFrame:
        try:
            return self.backend.query(sql)
        except Exception as error:  # the page cannot go on; say why in one line
            first = str(error).splitlines()[0] if str(error) else type(error).__name__
            hint = f" — {STALE_VIEW_HINT}" if "does not exist" in first else ""
            st.error(f"Query failed: {first}{hint}")
            st.stop()


def connect() -> GuardedBackend:
    """The backend for this run, its data refreshed if needed; the sidebar says what it reads."""
    from moviepipe.dashboard.snapshot import NoWarehouse

    try:
        backend = GuardedBackend(open_backend())
        with st.sidebar:
            force = st.button("Refresh data", help="Take a new copy of the warehouse now")
        age = backend.refresh(force=force)
    except NoWarehouse as error:
        st.title("moviepipe")
        st.info(f"{error}. This page shows the data once a run has loaded a batch.")
        st.stop()
    except BackendError as error:
        st.error(str(error))
        st.stop()
    st.sidebar.caption(f"Data: {age.label}")
    st.session_state[_KEY] = backend
    return backend


def db() -> GuardedBackend:
    backend = st.session_state.get(_KEY)
    return backend if backend is not None else connect()


def header(title: str, caption: str) -> None:
    st.title(title)
    st.caption(caption)


def number(value) -> str:
    """``17,470``; a dash for nothing."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return "–"
    return f"{int(value):,}" if float(value).is_integer() else f"{float(value):,.1f}"


def money(value) -> str:
    """``$22.8B``, ``$174.2M``, ``$950K``: box office at a glance (tables keep full figures)."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return "–"
    value = float(value)
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if abs(value) >= size:
            return f"${value / size:,.1f}{suffix}"
    return f"${value:,.0f}"


def empty(frame: pd.DataFrame, what: str) -> bool:
    """True (and a note on the page) when there is nothing to show yet."""
    if frame.empty:
        st.info(f"No {what} in the warehouse yet.")
        return True
    return False
