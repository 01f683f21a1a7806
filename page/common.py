"""What every page section draws with: escaped markdown, the "what to look at" line, a chart in
the page's theme, a table, columns for per-mode panels, and an expander built only while open."""

from __future__ import annotations

import contextlib
import functools
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import streamlit as st
from streamlit.delta_generator import DeltaGenerator
from streamlit.elements.lib.mutable_expander_container import ExpanderContainer

from page.viewstate import current_view, note_view, sync_view_to_url

if TYPE_CHECKING:  # the figures are imported when a chart is drawn
    from seqviz.figures._common import Figure

PANELS_PER_ROW = 2  # per-mode charts and tables side by side
# The toolbar appears only on hover; figures leave room for it above their titles.
CHART_CONFIG = {
    "displaylogo": False,
    "displayModeBar": "hover",
    "toImageButtonOptions": {"format": "png", "scale": 2},
}
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|$<>~])")

# A table row: column name → a cell (a token, a number, a mark, or nothing).
Row = dict[str, str | float | None]


def md(text: str) -> str:
    """Text for st.markdown with every markup character escaped: tokens appear as typed."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def look_at(text: str) -> None:
    """The sentence under a section's header that says what to look at."""
    st.markdown(f"**What to look at:** {md(text)}")


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


@functools.cache
def _figure_spec_class() -> type[Any]:
    """A Plotly figure that is only its JSON (``seqviz.figures`` builds plain figure dicts).

    ``st.plotly_chart`` given a dict rebuilds it as a ``go.Figure`` to validate every property,
    which cost more than the rest of a Train click; given a figure it takes ``to_dict()``. The
    tests validate every figure instead (``tests/test_figures.py`` reads them through
    ``go.Figure``), so the page sends the dict as it is.
    """
    from plotly.basedatatypes import BaseFigure

    class FigureSpec(BaseFigure):  # type: ignore[misc]
        def __init__(self, spec: Figure):  # no BaseFigure.__init__: nothing to validate
            self._spec = spec

        def to_dict(self) -> Figure:
            return self._spec

    return FigureSpec


def chart(fig: Figure, key: str) -> None:
    """A figure in the page's theme (presentation mode: large, high-contrast text)."""
    if current_view().present:
        from seqviz.figures import THEMES, themed

        fig = themed(fig, THEMES["present"])
    from seqviz.figures.margins import reserve_margins

    fig = reserve_margins(fig)  # drawn once: Plotly need not grow a margin and draw again
    # theme=None: Streamlit's chart theme would replace the figure's text sizes and colours with its
    # own (grey tick labels of 3.7:1); seqviz.figures sets them for contrast and presentation.
    st.plotly_chart(_figure_spec_class()(fig), width="stretch", config=CHART_CONFIG, key=key, theme=None)


def grid(rows: Sequence[Row], key: str) -> None:
    """Rows as an interactive table. Handed to Streamlit as an Arrow table: from a list of dicts it
    would first build a pandas DataFrame, most of a small table's cost on the server."""
    import pyarrow as pa

    table: object = rows
    with contextlib.suppress(pa.ArrowInvalid, pa.ArrowTypeError):  # a mixed column: Streamlit copes
        table = pa.Table.from_pylist(rows)
    st.dataframe(table, hide_index=True, key=key)


def lazy_section(name: str, label: str, in_url: bool = True) -> ExpanderContainer | None:
    """An expander whose content is built only while it is open: a Train click computes and sends
    none of its charts and tables until someone asks for them. ``in_url``: a section of
    ``seqviz.view.OPENABLE``, which ``open=<name>`` in a link opens and the URL records.

    Returns the expander to fill, or None while it is closed. Call it inside a fragment: opening
    it reruns only that fragment.
    """
    view = current_view()
    section = st.expander(label, expanded=in_url and view.opened(name), key=f"open_{name}", on_change="rerun")
    if not in_url:
        return section if section.open else None
    noted = st.session_state.setdefault("view_now", {})
    opened = set(noted.get("open", view.open)) - {name} | ({name} if section.open else set())
    from seqviz.view import OPENABLE

    note_view("open", tuple(n for n in OPENABLE if n in opened), ())
    sync_view_to_url()
    return section if section.open else None


def panels(count: int) -> list[DeltaGenerator]:
    """``count`` columns, two a row at most: four side by side leave a laptop's panel too
    narrow for a chart's title or a table's columns."""
    per_row = max(1, min(count, PANELS_PER_ROW))
    rows = [st.columns(per_row) for _ in range(0, count, per_row)]
    return [column for row in rows for column in row][:count]
