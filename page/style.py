"""The page's CSS: a tighter band above the title, captions and labels in greys that pass a
contrast check, and presentation mode's larger text."""

from __future__ import annotations

import streamlit as st

from seqviz.view import View

# The band Streamlit leaves above the title (6 rem) shrinks to what its toolbar needs; captions
# lose Streamlit's 60% opacity (3.0:1 on white, axe's color-contrast) for a grey of 8.6:1.
PAGE_CSS = """
<style>
[data-testid="stMainBlockContainer"] { padding-top: 1.5rem; }
[data-testid="stCaptionContainer"] { opacity: 1; }
[data-testid="stCaptionContainer"], [data-testid="stCaptionContainer"] p { color: #4a4c57; }
[data-testid="stWidgetLabel"] p { color: #1f2029; }
</style>
"""
# Presentation mode: every text of the page larger (Streamlit sizes text in rem).
PRESENT_CSS = """
<style>
html { font-size: 20px; }
[data-testid="stMarkdownContainer"] p, [data-testid="stMarkdownContainer"] li { font-size: 1.15rem; }
</style>
"""


def style_page(view: View) -> None:
    st.html(PAGE_CSS + (PRESENT_CSS if view.present else ""))
