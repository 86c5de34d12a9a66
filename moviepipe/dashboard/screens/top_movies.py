"""Top 10 movies per genre and decade, by their average score across sources."""

import altair as alt
import streamlit as st

from moviepipe.dashboard import queries, ui

db = ui.db()
ui.header("Top movies", "The ten best-rated movies of a genre in a decade, by average score across sources "
                        "(ANALYTICS.TOP_MOVIES_BY_GENRE_DECADE; ties share a rank).")

top = db.query(queries.TOP_MOVIES)
if not ui.empty(top, "rated movies"):
    genres = sorted(top["GENRE"].unique())
    left, right = st.columns(2)
    genre = left.selectbox("Genre", genres, index=genres.index("Drama") if "Drama" in genres else 0)
    decades = sorted(top.loc[top["GENRE"] == genre, "DECADE"].unique(), reverse=True)
    decade = right.selectbox("Decade", decades, format_func=lambda d: f"{d}s")
    chosen = top[(top["GENRE"] == genre) & (top["DECADE"] == decade)]
    st.dataframe(chosen[["RANK", "TITLE", "YEAR", "AVERAGE_SCORE", "SOURCES_RATED", "IMDB_ID"]],
                 hide_index=True)
    best = top[top["RANK"] == 1].sort_values("TITLE").drop_duplicates(["GENRE", "DECADE"])
    st.subheader("Best score per genre and decade")
    st.altair_chart(alt.Chart(best).mark_rect().encode(
        x=alt.X("DECADE:O", title="decade"), y=alt.Y("GENRE:N", title=None),
        color=alt.Color("AVERAGE_SCORE:Q", title="best average", scale=alt.Scale(scheme="blues")),
        tooltip=["GENRE", "DECADE", "TITLE", "YEAR", "AVERAGE_SCORE"]), width="stretch")
