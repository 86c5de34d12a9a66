"""The dashboard's pages, in navigation order: a plain list, importable without running the app."""

from __future__ import annotations

from pathlib import Path

APP = Path(__file__).resolve().parent / "app.py"
# Not "pages/": Streamlit would list that folder as pages of its own before st.navigation runs.
SCREENS = Path(__file__).resolve().parent / "screens"

#: (file in SCREENS, title, url path, icon); the first page is the default, served at "/"
PAGES = (
    ("overview.py", "Overview", "", ":material/movie:"),
    ("ratings.py", "Ratings", "ratings", ":material/star:"),
    ("top_movies.py", "Top movies", "top-movies", ":material/trophy:"),
    ("box_office.py", "Box office", "box-office", ":material/payments:"),
    ("history.py", "Movie history", "history", ":material/history:"),
    ("health.py", "Pipeline health", "health", ":material/monitor_heart:"),
)
