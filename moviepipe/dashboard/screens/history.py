"""The SCD type-2 history of one movie: its versions on a time line, and what changed in each."""

from datetime import datetime

import altair as alt
import pandas as pd
import streamlit as st

from moviepipe.dashboard import queries, ui

#: The open end of a current version (VALID_TO 9999-12-31) is drawn up to now.
OPEN_END = datetime(9999, 12, 31)

db = ui.db()
ui.header("Movie history", "Every version of a movie in ANALYTICS.MOVIE_HISTORY (DIM_MOVIE, SCD type 2): valid "
                           "from the source's lastUpdated until the next version; type-1 fixes update in place.")

search = st.text_input("Find a title", placeholder="e.g. Godfather (empty: the movies with the most versions)")
if search.strip():
    candidates = queries.search_titles(db, search.strip())
else:
    candidates = db.query(queries.MOVIES_WITH_MOST_VERSIONS)
if not ui.empty(candidates, f"movie with '{search.strip()}' in its title" if search.strip() else "movies"):
    labels = {row.IMDB_ID: f"{row.TITLE} ({row.YEAR if pd.notna(row.YEAR) else '?'}) · {row.VERSIONS} "
                           f"version{'s' if row.VERSIONS != 1 else ''} · {row.IMDB_ID}"
              for row in candidates.itertuples()}
    imdb_id = st.selectbox("Movie", list(labels), format_func=labels.get)
    versions = queries.movie_versions(db, imdb_id)
    current = versions.iloc[-1]
    cells = st.columns(3)
    cells[0].metric("Versions", ui.number(len(versions)))
    cells[1].metric("First version from", f"{versions['VALID_FROM'].min():%Y-%m-%d}")
    cells[2].metric("Current version from", f"{current['VALID_FROM']:%Y-%m-%d}",
                    "deleted at the source" if current["IS_DELETED"] else None, delta_color="off")

    now = pd.Timestamp(datetime.now())
    timeline = versions.assign(
        VERSION=versions["VERSION_NUMBER"].map(lambda n: f"v{n}"),
        UNTIL=versions["VALID_TO"].where(versions["VALID_TO"] < pd.Timestamp(OPEN_END),
                                         max(now, current["VALID_FROM"])),
        CHANGED=versions["CHANGED_ATTRIBUTES"].fillna("—"))
    st.altair_chart(alt.Chart(timeline).mark_bar(height=22, cornerRadius=3).encode(
        x=alt.X("VALID_FROM:T", title="valid from → to"), x2="UNTIL:T",
        y=alt.Y("VERSION:N", title=None, sort=None),
        color=alt.Color("VERSION_KIND:N", title="version", scale=alt.Scale(domain=["FIRST", "CHANGED", "DELETED"],
                                                                           range=["#4c78a8", "#f58518", "#b0b0b0"])),
        tooltip=["VERSION", "TITLE", "VALID_FROM", "VALID_TO", "CHANGED", "RUNTIME_MINUTES", "GENRES", "BATCH_ID"],
    ).properties(height=60 + 36 * len(timeline)), width="stretch")
    st.dataframe(versions, hide_index=True)
