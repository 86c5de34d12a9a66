"""The pipeline's own health, from the ledger: batches, rows per stage, rejects by rule, failed stages."""

import altair as alt
import streamlit as st

from moviepipe.dashboard import queries, ui

db = ui.db()
ui.header("Pipeline health", "Every batch and stage from the ledger (ANALYTICS.PIPELINE_STAGES over "
                             "OPS.BATCH_LEDGER) and the rows refused per rule (ANALYTICS.REJECTS_BY_RULE).")

batches = db.query(queries.BATCHES)
if not ui.empty(batches, "batches"):
    states = batches["STATE"].value_counts()
    cells = st.columns(4)
    cells[0].metric("Batches", ui.number(len(batches)))
    cells[1].metric("Loaded", ui.number(states.get("loaded", 0)))
    cells[2].metric("Failed", ui.number(states.get("failed", 0)))
    cells[3].metric("Running", ui.number(states.get("running", 0)))
    st.subheader("Batches")
    st.dataframe(batches, hide_index=True)

    stages = db.query(queries.STAGES)
    labels = {row.BATCH_ID: f"{row.BATCH_ID} · {row.STATE} · {row.STARTED_AT:%Y-%m-%d %H:%M}"
              for row in batches.itertuples()}
    batch_id = st.selectbox("Batch", list(labels), format_func=labels.get)
    chosen = stages[stages["BATCH_ID"] == batch_id]
    st.subheader("Rows per stage")
    rows = chosen.melt(id_vars=["STAGE_ORDER", "STAGE"], value_vars=["ROWS_IN", "ROWS_OUT", "ROWS_REJECTED"],
                       var_name="MEASURE", value_name="ROWS").dropna(subset=["ROWS"])
    rows["MEASURE"] = rows["MEASURE"].str.replace("ROWS_", "").str.lower()
    st.altair_chart(alt.Chart(rows).mark_bar().encode(
        x=alt.X("STAGE:N", sort=list(chosen["STAGE"]), title=None), xOffset=alt.XOffset("MEASURE:N",
                                                                                     sort=["in", "out", "rejected"]),
        y=alt.Y("ROWS:Q", title="rows"), color=alt.Color("MEASURE:N", sort=["in", "out", "rejected"], title=None),
        tooltip=["STAGE", "MEASURE", "ROWS"]).properties(height=280), width="stretch")
    st.dataframe(chosen.drop(columns=["BATCH_ID", "STAGE_ORDER"]), hide_index=True)
    failed = chosen.dropna(subset=["ERROR"])
    for row in failed.itertuples():
        st.error(f"{row.STAGE} failed: {row.ERROR.splitlines()[0]}")

st.subheader("Rejects by rule")
rejects = db.query(queries.REJECTS_BY_RULE)
if not ui.empty(rejects, "rejected rows"):
    by_rule = rejects.groupby("RULE", as_index=False)["ROWS_REJECTED"].sum().sort_values("ROWS_REJECTED",
                                                                                        ascending=False)
    st.altair_chart(alt.Chart(by_rule).mark_bar(color="#e45756").encode(
        x=alt.X("ROWS_REJECTED:Q", title="rows rejected (all batches)", axis=alt.Axis(format="d", tickMinStep=1)),
        y=alt.Y("RULE:N", sort="-x", title=None),
        tooltip=["RULE", "ROWS_REJECTED"]).properties(height=max(120, 40 + 28 * len(by_rule))), width="stretch")
    st.dataframe(rejects, hide_index=True)
