"""Code and data: each mode's plain-Keras ``train.py`` (``seqviz.export``), and the run as JSON,
its states and its predictions as CSV, each written only when its button is clicked."""

from __future__ import annotations

from typing import TYPE_CHECKING

import streamlit as st

from seqviz.jsonout import dumps

if TYPE_CHECKING:
    from seqviz.engine import RunResult


def render_downloads(result: RunResult) -> None:
    from seqviz.export import predictions_csv, states_csv, training_script

    st.header("Code and data")
    run = result.run
    tabs = st.tabs([f"{mode}: train.py" for mode in result.feeds])
    for tab, (mode, feed) in zip(tabs, result.feeds.items()):
        with tab:
            script = training_script(feed, result.dataset, run.config, result.tests.get(mode))
            st.download_button("Download train.py", script, file_name=f"train_{mode}.py", key=f"dl_{mode}")
            st.code(script, language="python")
    a, b, c = st.columns(3)
    # Written when clicked, not on every rerun: a long run's JSON is megabytes.
    a.download_button(
        "Download the run (JSON)",
        lambda: dumps(run.to_json()),
        file_name="seqviz_run.json",
        mime="application/json",
        key="dl_json",
        on_click="ignore",
    )
    b.download_button(
        "Download the states (CSV)",
        lambda: states_csv(run),
        file_name="seqviz_states.csv",
        mime="text/csv",
        key="dl_csv",
        on_click="ignore",
    )
    c.download_button(
        "Download the predictions (CSV)",
        lambda: predictions_csv(run),
        file_name="seqviz_predictions.csv",
        mime="text/csv",
        key="dl_predictions_csv",
        on_click="ignore",
    )
    st.caption("Every chart's toolbar has a camera button that downloads it as PNG.")
