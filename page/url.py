"""The page and its URL: which configuration a rerun shows (a pressed Train, a preset, the link
it opened on, or the last one shown) and the link written back once a run is on the page."""

from __future__ import annotations

import streamlit as st

from page.common import md
from page.form import set_widgets
from page.viewstate import view_query
from seqviz.config import RunConfig
from seqviz.limits import Limits
from seqviz.view import split_query, view_from_query


def read_url(limits: Limits) -> tuple[RunConfig, list[str]]:
    """The run options of the URL, each bad one replaced by its default, with a notice each."""
    options, _ = split_query(st.query_params.to_dict())
    return RunConfig.from_query_lenient(options, limits)


def choose_config(limits: Limits) -> RunConfig | None:
    """Which configuration this rerun shows: a pressed Train, a preset, the URL, or the last shown."""
    state = st.session_state
    if "shown" not in state:
        config, notices = read_url(limits)
        view, view_notices = view_from_query(st.query_params.to_dict())
        for notice in notices + view_notices:
            st.warning(md(notice))  # notices quote the URL, which anyone can write
        set_widgets(config)
        state["shown"] = config
        state["pending"] = config
        state["view"] = view
    pending = state.get("pending")
    return pending if isinstance(pending, RunConfig) else None


def write_url(config: RunConfig) -> None:
    """The link to this page: every option of ``config`` and the view."""
    # A link carries every option but the CSV itself (an upload is too big for a URL).
    query = {k: v for k, v in config.to_query().items() if k != "csv"}
    st.query_params.from_dict({**query, **view_query()})
