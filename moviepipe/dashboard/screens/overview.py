"""Overview: how much is in the warehouse, how it got there, and where to look next."""

import altair as alt
import streamlit as st

from moviepipe.dashboard import queries, ui

db = ui.db()
ui.header("moviepipe", "Movies in the warehouse (ANALYTICS views), loaded batch by batch from the source.")

facts = queries.overview(db)
cells = st.columns(5)
cells[0].metric("Movies", ui.number(facts["MOVIES"]), help="ANALYTICS.MOVIE_CURRENT: current, not deleted")
cells[1].metric("Versions", ui.number(facts["VERSIONS"]), help="ANALYTICS.MOVIE_HISTORY: every SCD2 version")
cells[2].metric("Changes", ui.number(facts["CHANGES"]), help="Versions after a movie's first one")
cells[3].metric("Batches", ui.number(facts["BATCHES"]), help="Batches in the ledger (ANALYTICS.PIPELINE_STAGES)")
cells[4].metric("Rows rejected", ui.number(facts["ROWS_REJECTED"]), help="ANALYTICS.REJECTS_BY_RULE, all batches")
if facts["LAST_LOADED_AT"] is not None and str(facts["LAST_LOADED_AT"]) != "NaT":
    st.caption(f"Last batch loaded at {facts['LAST_LOADED_AT']:%Y-%m-%d %H:%M:%S} UTC.")

decades = db.query(queries.MOVIES_BY_DECADE)
if not ui.empty(decades, "movies"):
    st.subheader("Movies by decade")
    decades["DECADE_LABEL"] = decades["DECADE"].astype(str) + "s"
    st.altair_chart(alt.Chart(decades).mark_bar().encode(
        x=alt.X("DECADE_LABEL:N", title="decade", sort=None), y=alt.Y("MOVIES:Q", title="movies"),
        tooltip=["DECADE_LABEL", "MOVIES"]), width="stretch")

st.markdown("**Pages**: *Ratings* (by source, and where critics disagree) · *Top movies* by genre and decade · "
            "*Box office* by year · *Movie history* (every version of one title) · *Pipeline health* "
            "(batches, rows per stage, rejects by rule).")
