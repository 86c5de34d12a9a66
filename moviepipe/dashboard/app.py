"""The moviepipe dashboard (Streamlit): ``moviepipe dashboard`` or ``streamlit run moviepipe/dashboard/app.py``.

Pages over the ANALYTICS views: an overview, ratings by source and their agreement,
top movies by genre and decade, box office by year, the SCD history of one movie,
and the pipeline's health (batches, rows per stage, rejects by rule). The same file
is the main file of the app in Streamlit in Snowflake (docs/bi.md); the backend is
chosen in ``moviepipe.dashboard.backend``.
"""

from __future__ import annotations

import sys
from pathlib import Path

try:
    import moviepipe.dashboard  # noqa: F401  (installed, as with `pip install -e .`)
except ImportError:  # Streamlit in Snowflake: the package is uploaded beside this file's parents
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import streamlit as st

from moviepipe.dashboard import ui
from moviepipe.dashboard.navigation import PAGES, SCREENS

st.set_page_config(page_title="moviepipe", page_icon=":material/movie:", layout="wide")
navigation = st.navigation([st.Page(str(SCREENS / file), title=title, url_path=path or None, icon=icon,
                                    default=not path) for file, title, path, icon in PAGES])
ui.connect()
navigation.run()
