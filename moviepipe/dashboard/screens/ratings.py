"""Ratings by source (every score on 0-100) and the agreement between IMDb, Rotten Tomatoes and Metacritic."""

import altair as alt
import streamlit as st

from moviepipe.dashboard import queries, ui

AGREEMENT_COLOURS = alt.Scale(domain=["AGREE", "MIXED", "DISAGREE"], range=["#2e7d32", "#f9a825", "#c62828"])


def band_label(low: int) -> str:
    return f"{low}-{low + 9}" if low < 90 else "90-100"


db = ui.db()
ui.header("Ratings", "Latest score of every current movie per source (ANALYTICS.MOVIE_RATING_LATEST), "
                     "and where the sources agree (ANALYTICS.RATING_AGREEMENT).")

sources = db.query(queries.RATINGS_BY_SOURCE)
if not ui.empty(sources, "ratings"):
    st.subheader("By source")
    st.dataframe(sources, hide_index=True, column_config={
        "MOVIES_RATED": st.column_config.NumberColumn("movies rated", format="%d"),
        "AVERAGE_SCORE": st.column_config.NumberColumn("average", format="%.1f"),
        "MEDIAN_SCORE": st.column_config.NumberColumn("median", format="%.1f"),
        "LOWEST_SCORE": "lowest", "HIGHEST_SCORE": "highest"})
    bands = db.query(queries.SCORE_DISTRIBUTION)
    bands["BAND"] = bands["SCORE_BAND"].astype(int).map(band_label)
    st.altair_chart(alt.Chart(bands).mark_bar().encode(
        x=alt.X("BAND:N", title="score (0-100)", sort=[band_label(low) for low in range(0, 100, 10)]),
        xOffset="SOURCE:N",
        y=alt.Y("MOVIES:Q", title="movies"), color=alt.Color("SOURCE:N", title="source"),
        tooltip=["SOURCE", "BAND", "MOVIES"]).properties(height=300), width="stretch")

st.subheader("Agreement between sources")
agreement = db.query(queries.AGREEMENT_BANDS)
if not ui.empty(agreement, "movies rated by two sources or more"):
    counts = dict(zip(agreement["AGREEMENT"], agreement["MOVIES"]))
    cells = st.columns(3)
    for cell, band, note in zip(cells, ("AGREE", "MIXED", "DISAGREE"), ("spread ≤ 10", "spread ≤ 25", "spread > 25")):
        cell.metric(f"{band.title()} ({note})", ui.number(counts.get(band, 0)))
    grid = db.query(queries.AGREEMENT_GRID)
    if not grid.empty:
        st.altair_chart(alt.Chart(grid).mark_circle(opacity=0.7).encode(
            x=alt.X("TOMATO_METER:Q", title="Rotten Tomatoes (Tomatometer)", scale=alt.Scale(domain=[0, 100])),
            y=alt.Y("METASCORE:Q", title="Metacritic (Metascore)", scale=alt.Scale(domain=[0, 100])),
            size=alt.Size("MOVIES:Q", title="movies"),
            color=alt.Color("AGREEMENT:N", scale=AGREEMENT_COLOURS, title="agreement"),
            tooltip=[alt.Tooltip("TOMATO_METER:Q", title="Tomatometer (cell)"),
                     alt.Tooltip("METASCORE:Q", title="Metascore (cell)"), "AGREEMENT", "MOVIES"],
        ).properties(height=380), width="stretch")
    st.markdown("**Biggest disagreements**")
    # a source no movie has a score from (IMDb, in the default data) is left out rather than shown empty
    st.dataframe(db.query(queries.BIGGEST_DISAGREEMENTS).dropna(axis=1, how="all"), hide_index=True)
