"""The preset buttons (``seqviz.presets``): a click fills the form with the preset's options,
trains it at once, and keeps its note to show above the answer."""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from page.form import set_widgets
from seqviz.config import RunConfig
from seqviz.limits import limits_from_env
from seqviz.presets import PRESET_NOTES, PRESETS

PRESETS_PER_ROW = 4


def _apply_preset(name: str) -> None:
    config = replace(RunConfig.default(limits_from_env()), **PRESETS[name])
    set_widgets(config)
    st.session_state["pending"] = config
    st.session_state["preset"] = (name, config)
    st.session_state["chain"] = ()


def render_presets() -> None:
    st.caption("Presets that teach: each one trains at once and says what to notice.")
    names = list(PRESETS)
    for first in range(0, len(names), PRESETS_PER_ROW):
        row = names[first : first + PRESETS_PER_ROW]
        for column, name in zip(st.columns(PRESETS_PER_ROW), row):
            column.button(
                name, on_click=_apply_preset, args=(name,), width="stretch", help=PRESET_NOTES[name]
            )
