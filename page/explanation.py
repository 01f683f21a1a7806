"""What happened: each mode's facts as sentences (``seqviz.explain.sentence``), its score first,
then the facts about the whole run."""

from __future__ import annotations

import streamlit as st

from page.common import look_at, md
from seqviz.results import Run


def render_explanation(run: Run) -> None:
    from seqviz.explain import sentence

    st.header("What happened")
    look_at("each mode's score beside its loss floor, then the reason, in the run's own numbers.")
    for mode in run.runs:  # one element per mode: each element costs the server and the browser
        score, *rest = mode.facts
        st.markdown("\n".join([f"**{md(sentence(score))}**", "", *("- " + md(sentence(f)) for f in rest)]))
    for fact in run.facts:
        st.success(sentence(fact))
