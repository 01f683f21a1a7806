"""The glossary expander: every word the page uses with its definition (``seqviz.glossary``)."""

from __future__ import annotations

import streamlit as st

from page.common import md
from seqviz.glossary import GLOSSARY


def render_glossary() -> None:
    with st.expander("Glossary: the words this page uses"):
        st.markdown("\n".join(f"- **{md(term)}**: {md(text)}" for term, text in GLOSSARY.items()))
