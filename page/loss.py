"""The loss section: every mode's loss per epoch with its floor, under the rendered
``seqviz.explain.loss_lines`` sentence, on a linear or log axis."""

from __future__ import annotations

import streamlit as st

from page.common import chart, look_at
from seqviz.glossary import GLOSSARY
from seqviz.results import Run


def render_loss(run: Run) -> None:
    from seqviz import figures
    from seqviz.explain import loss_lines, sentence

    st.header("Loss", help=GLOSSARY["loss floor"])
    look_at(sentence(loss_lines(run)))
    log_scale = st.toggle(
        "Log scale", key="log_scale", help="A logarithmic loss axis; floors of 0 cannot be drawn on it."
    )
    chart(figures.loss_figure(run.runs, log_scale=log_scale), key="loss")
    st.caption("Dashed lines: each mode's floor, the lowest loss it can reach at all on this data.")
