"""The contrast: the state heatmaps of the two modes that tell the lesson
(``seqviz.explain.contrast_pair``), side by side, under their rendered "what to look at"."""

from __future__ import annotations

import streamlit as st

from page.common import chart, look_at
from seqviz.cells import CELLS
from seqviz.glossary import GLOSSARY
from seqviz.results import Run


def render_contrast(run: Run) -> None:
    """The state heatmaps of the two modes that tell the lesson, side by side."""
    from seqviz import figures
    from seqviz.explain import contrast_look, contrast_pair, sentence

    pair = contrast_pair(run)
    if pair is None:
        return
    stuck, other = (run.mode(name) for name in pair)
    st.header("The contrast: the same positions, two feeds", help=GLOSSARY["≡"])
    seen_alike = contrast_look(run, stuck.mode, other.mode)
    if seen_alike is not None:
        look_at(sentence(seen_alike))
    else:
        look_at(f"how the state at each position differs between {stuck.mode} and {other.mode}.")
    for column, mode in zip(st.columns(2), (stuck, other)):
        with column:
            name = CELLS[run.config.cell].state_names[0]
            chart(figures.state_figure(mode, name), key=f"contrast_{mode.mode}")
