"""Continue training: more epochs from the weights the shown run ended with (the session's
``chain``), and what the page shows of a continued run."""

from __future__ import annotations

import streamlit as st

from seqviz.limits import Limits
from seqviz.results import Run


def _continue(epochs_key: str) -> None:
    state = st.session_state
    state["chain"] = (*state.get("chain", ()), int(state[epochs_key]))


def render_continue(run: Run, chain: tuple[int, ...], limits: Limits) -> None:
    """Train more epochs from the weights this run ended with."""
    if chain:
        first = run.config.epochs - sum(chain)
        more = " + ".join(map(str, chain))
        st.caption(
            f"Continued training: {first} epochs, then {more} more from the weights training ended with "
            f"({run.config.epochs} in all). A link to this page trains the first {first} only."
        )
    left, right = st.columns([1, 2], vertical_alignment="bottom")
    left.number_input(
        "Train on for this many passes",
        1,
        limits.max_epochs,
        value=min(100, limits.max_epochs),
        step=10,
        key="more_epochs",
        help="Epochs to train on from the weights this run ended with, without starting over.",
    )
    right.button(
        "Continue training",
        on_click=_continue,
        args=("more_epochs",),
        help="Trains every mode on from its final weights; the loss curve goes on where it stopped.",
    )
