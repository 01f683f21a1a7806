"""The answer first: one line per mode, its verdict and the reason (``seqviz.explain.answer``),
under a notice when the page still shows the previous run, and a preset's note."""

from __future__ import annotations

import streamlit as st

from page.common import md
from seqviz.presets import PRESET_NOTES
from seqviz.results import Run


def render_answer(run: Run, previous: bool) -> None:
    """One line per mode: its verdict and the reason, from the run's facts."""
    from seqviz.explain import answer

    with st.container(key="answer"):
        if previous:
            st.warning(
                f"Showing the previous run ({md(run.config.sequence[:60])}, mode {run.config.mode}): "
                "the configuration above has an error and was not trained."
            )
        preset = st.session_state.get("preset")
        if preset is not None and preset[1] == run.config:
            st.info(PRESET_NOTES[preset[0]])
        for mode in run.runs:
            a = answer(mode)
            with st.container(key=f"answer_{mode.mode}"):
                st.markdown(
                    f"{a.mark} **{md(a.mode)}: {md(a.headline)}** "
                    f"({a.correct} of {a.total} positions right). " + md(a.reason)
                )
