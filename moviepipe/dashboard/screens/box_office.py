"""Box office by release year: how many movies have a figure, total, median and the top earner."""

import altair as alt
import streamlit as st

from moviepipe.dashboard import queries, ui

db = ui.db()
ui.header("Box office", "Current movies with a known box office, by release year (ANALYTICS.BOX_OFFICE_BY_YEAR; "
                        "amounts as the source reports them, latest snapshot per movie).")

years = db.query(queries.BOX_OFFICE_BY_YEAR)
if not ui.empty(years, "box office figures"):
    biggest = years.loc[years["TOTAL_BOX_OFFICE"].idxmax()]
    cells = st.columns(3)
    cells[0].metric("Box office, all years", ui.money(years["TOTAL_BOX_OFFICE"].sum()))
    cells[1].metric("Movies with a figure", ui.number(years["MOVIES"].sum()))
    cells[2].metric("Biggest year", str(biggest["YEAR"]), ui.money(biggest["TOTAL_BOX_OFFICE"]), delta_color="off",
                    delta_arrow="off")
    base = alt.Chart(years).encode(x=alt.X("YEAR:O", title="release year"))
    st.altair_chart(base.mark_bar().encode(
        y=alt.Y("TOTAL_BOX_OFFICE:Q", title="total box office ($)"),
        tooltip=["YEAR", "MOVIES", alt.Tooltip("TOTAL_BOX_OFFICE:Q", format=",.0f"),
                 alt.Tooltip("MEDIAN_BOX_OFFICE:Q", format=",.0f"), "TOP_TITLE"]).properties(height=320),
        width="stretch")
    st.subheader("Top earner per year")
    st.dataframe(years.sort_values("YEAR", ascending=False), hide_index=True,
                 column_config={column: st.column_config.NumberColumn(format="$%,.0f") for column in
                                ("TOTAL_BOX_OFFICE", "AVERAGE_BOX_OFFICE", "MEDIAN_BOX_OFFICE", "TOP_BOX_OFFICE")})
