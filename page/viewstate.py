"""The page's view of a run in this session (``seqviz.view.View``): the view the URL opened on,
each view control's value as the person sets it, and both written back to the URL so a copied
link opens on the same view."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import streamlit as st

from seqviz.view import VIEW_KEYS, View


def current_view() -> View:
    """The view this session opened on (from the URL); the default view before one is read."""
    view = st.session_state.get("view")
    return view if isinstance(view, View) else View()


def note_view(name: str, value: object, default: object) -> None:
    """Remember a view control's value for the URL (only when it is not the default)."""
    noted = st.session_state.setdefault("view_now", {})
    noted[name] = getattr(View(), name) if value == default else value


def view_query() -> dict[str, str]:
    """The URL parameters of the view as it is now: the opened view with each noted control."""
    view = current_view()
    noted: dict[str, Any] = st.session_state.get("view_now", {})  # View field → value, of each type
    return replace(view, **noted).to_query()


def sync_view_to_url() -> None:
    """The view's parameters in the URL, beside the run's: a copied link opens on this view."""
    wanted = view_query()
    for key in VIEW_KEYS:
        if key in wanted:
            if st.query_params.get(key) != wanted[key]:
                st.query_params[key] = wanted[key]
        elif key in st.query_params:
            del st.query_params[key]
