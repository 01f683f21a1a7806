"""The cell, explained: a diagram of one recurrent cell drawn from its registry record
(``seqviz.cells``): a box per input and internal, named as Keras names it, an arrow wherever an
equation reads another value, and, on hover, each value's equation, what a high or a low value
means and its range.

Nothing here names a cell. The wiring is read from the equations (``c = f * c_tm1 + i * g``
draws arrows from ``f``, ``c_tm1``, ``i`` and ``g`` into ``c``), and the columns from it: the
inputs first, then each value one column right of the last value it reads.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from seqviz.cells import CELLS, Cell, Internal
from seqviz.figures._common import Figure, empty, figure, layout, plain

INPUT = "x"
BOX_HALF_WIDTH = 0.42  # in columns
BOX_HALF_HEIGHT = 0.36  # in rows
# Box fills by role: what a reader should tell apart at a glance (none is a colour with a
# meaning elsewhere on the page: see ``_common.COLOR_MEANINGS``).
ROLE_FILLS = {"input": "#EFEFEF", "gate": "#FFF2CC", "candidate": "#E2F0D9", "state": "#DDEBF7"}
ROLE_WORDS = {
    "input": "an input of the step",
    "gate": "a gate: a sigmoid, from 0 to 1, that scales what passes through it",
    "candidate": "a candidate: a tanh, from -1 to 1, a new value offered to the state",
    "state": "a state the cell carries to its next step",
}
ROLE_LEGEND = {
    "input": "input",
    "gate": "gate (sigmoid, 0 to 1)",
    "candidate": "candidate (tanh, -1 to 1)",
    "state": "state carried to the next step",
}
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class Node:
    name: str
    role: str  # input | gate | candidate | state
    column: int
    row: float
    hover: str
    text: str


@dataclass(frozen=True)
class CellDiagram:
    cell: str
    label: str
    nodes: tuple[Node, ...]
    edges: tuple[tuple[str, str], ...]  # (from, to): ``to``'s equation reads ``from``


def entering(state: str) -> str:
    """Keras's name for a state entering the step: ``h_tm1``, ``c_tm1``."""
    return f"{state}_tm1"


def reads(internal: Internal, names: set[str]) -> list[str]:
    """The values among ``names`` that ``internal``'s equation reads, in order of appearance."""
    right = internal.equation.split("=", 1)[1]
    found = [n for n in _IDENTIFIER.findall(right) if n in names and n != internal.name]
    return list(dict.fromkeys(found))


def _role(cell: type[Cell], internal: Internal) -> str:
    if internal.name in cell.state_names:
        return "state"
    if internal.low is not None and internal.low >= 0 and internal.high == 1:
        return "gate"
    return "candidate"


def _range(internal: Internal) -> str:
    if internal.low is None or internal.high is None:
        return "unbounded"
    return f"{internal.low:g} to {internal.high:g}"


def _input_hover(cell: type[Cell], name: str) -> str:
    if name == INPUT:
        return "<b><i>x</i></b>, the input at this step<br>the token, one-hot: one 1, the rest 0"
    state = name.removesuffix("_tm1")
    return (
        f"<b><i>{name}</i></b>, the {state} entering the step ({state}0 in the tables)<br>"
        "zeros at a reset; else what the previous step (or batch) left"
    )


def _node(cell: type[Cell], name: str, record: Internal | None, column: int, row: float) -> Node:
    """The box of ``name``: an input of the step when the registry has no ``record`` of it."""
    if record is None:
        words = "the input" if name == INPUT else f"the {name.removesuffix('_tm1')} entering"
        return Node(name, "input", column, row, _input_hover(cell, name), f"<b><i>{name}</i></b><br>{words}")
    role = _role(cell, record)
    hover = (
        f"<b>{plain(record.label)}</b><br>{plain(record.equation)}<br>"
        f"{plain(record.meaning)}<br>range: {_range(record)} · {ROLE_WORDS[role]}"
    )
    # The box names the value; its equation is on hover and in the page's table (a box on a
    # phone is narrower than any equation).
    words = record.label.split(", ", 1)[-1]
    return Node(name, role, column, row, hover, f"<b><i>{plain(record.name)}</i></b><br>{plain(words)}")


def _collect_cell(cell_name: str) -> CellDiagram:
    cell = CELLS[cell_name]
    inputs = [INPUT, *(entering(s) for s in cell.state_names)]
    names = set(inputs) | {i.name for i in cell.internals}
    edges = [(src, i.name) for i in cell.internals for src in reads(i, names)]
    column = dict.fromkeys(inputs, 0)
    for internal in cell.internals:  # the registry lists a value after the values it reads
        column[internal.name] = 1 + max((column.get(src, 0) for src in reads(internal, names)), default=0)
    by_column: dict[int, list[str]] = {}
    for name in [*inputs, *(i.name for i in cell.internals)]:
        by_column.setdefault(column[name], []).append(name)
    tallest = max(len(v) for v in by_column.values())
    internals = {i.name: i for i in cell.internals}
    nodes = [
        _node(cell, name, internals.get(name), col, (tallest - len(members)) / 2 + k)
        for col, members in by_column.items()
        for k, name in enumerate(members)
    ]
    return CellDiagram(cell.name, cell.label, tuple(nodes), tuple(edges))


def _arrow(src: Node, dst: Node) -> dict[str, Any]:
    internal = src.role != "input"
    return {
        "x": dst.column - BOX_HALF_WIDTH,
        "y": dst.row,
        "ax": src.column + BOX_HALF_WIDTH,
        "ay": src.row,
        "xref": "x",
        "yref": "y",
        "axref": "x",
        "ayref": "y",
        "text": "",
        "showarrow": True,
        "arrowhead": 2,
        "arrowsize": 1.1,
        "arrowwidth": 1.8 if internal else 1.0,
        "arrowcolor": "#555555" if internal else "#AAAAAA",
        "standoff": 2,
    }


def _boxes(info: CellDiagram) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The boxes (layout shapes), and the traces: their text and hover cards, then a legend
    entry per role drawn."""
    shapes = [
        {
            "type": "rect",
            "x0": n.column - BOX_HALF_WIDTH,
            "x1": n.column + BOX_HALF_WIDTH,
            "y0": n.row - BOX_HALF_HEIGHT,
            "y1": n.row + BOX_HALF_HEIGHT,
            "line": {"color": "#666666", "width": 1},
            "fillcolor": ROLE_FILLS[n.role],
            "layer": "below",
        }
        for n in info.nodes
    ]
    boxes = {
        "type": "scatter",
        "x": [n.column for n in info.nodes],
        "y": [n.row for n in info.nodes],
        "mode": "markers+text",
        "text": [n.text for n in info.nodes],
        "textfont": {"size": 12, "color": "#111111"},
        # An invisible square as big as the box, so hovering anywhere on it shows its card.
        "marker": {"symbol": "square", "size": 60, "color": "rgba(0,0,0,0)"},
        "hovertext": [n.hover for n in info.nodes],
        "hoverinfo": "text",
        "hoverlabel": {"align": "left"},
        "name": "values",
        "showlegend": False,
    }
    legend = [
        {
            "type": "scatter",
            "x": [None],
            "y": [None],
            "mode": "markers",
            "marker": {
                "symbol": "square",
                "size": 14,
                "color": ROLE_FILLS[role],
                "line": {"color": "#666666"},
            },
            "name": ROLE_LEGEND[role],
        }
        for role in ROLE_FILLS
        if any(n.role == role for n in info.nodes)
    ]
    return shapes, [boxes, *legend]


def cell_figure(cell: str) -> Figure:
    """The diagram of ``cell`` (a key of ``seqviz.cells.CELLS``): inputs on the left, each
    internal in a box with its equation, arrows for what each equation reads; hovering a box
    shows its equation, what a high or low value means and its range.

    Raises:
        ValueError: ``cell`` is not a registered cell.
    """
    if cell not in CELLS:
        raise ValueError(f"Unknown cell {cell!r}; choose one of: {', '.join(CELLS)}.")
    info = _collect_cell(cell)
    title = f"The {plain(info.label)} cell: what one step computes"
    if not info.nodes:
        return empty(title, "This cell has nothing to draw.")
    at = {n.name: n for n in info.nodes}
    shapes, traces = _boxes(info)
    columns = max(n.column for n in info.nodes) + 1
    rows = max(n.row for n in info.nodes) + 1
    hidden = {"visible": False, "fixedrange": True, "zeroline": False, "showgrid": False}
    fig = figure(
        traces,
        shapes=shapes,
        annotations=[_arrow(at[a], at[b]) for a, b in info.edges],
        xaxis={**hidden, "range": [-0.5, columns - 0.5]},
        yaxis={**hidden, "range": [rows - 0.4, -0.6]},
        legend={"orientation": "h", "x": 0.0, "y": 0.0, "yanchor": "top"},
        plot_bgcolor="#FFFFFF",
    )
    subtitle = (
        "Each box is one value a step computes (Keras's names and gate order); arrows: what each "
        "value's equation reads. Hover a box for its equation and what a high or low value means."
    )
    return layout(fig, title, subtitle, height=int(190 + 96 * rows))
