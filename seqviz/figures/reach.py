"""What each position can see: for two positions, in every mode, the inputs whose tokens have
reached the state that predicts them (the distill.pub idea), from ``seqviz.reach``.

A row per (mode, position); a column per input position up to the later of the two. Dark:
the input is in the position's own sample, where the loss's gradient reaches it; light: it
reached the state only through a state carried from an earlier batch (stateful); white: never
seen. Two positions whose rows are shaded over the same tokens look alike to that mode.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from seqviz.figures._common import (
    MAX_COLUMNS,
    Figure,
    _wrap,
    clamp,
    empty,
    figure,
    layout,
    mode_color,
    plain,
    token,
)
from seqviz.figures._player import CONTROLS_PIXELS, controls
from seqviz.reach import Reach
from seqviz.results import ModeResult

NOT_SEEN, CARRIED, REACHED = 0, 1, 2
SHADES = {NOT_SEEN: "#FFFFFF", CARRIED: "#BDBDBD", REACHED: "#4D4D4D"}
SHADE_LABELS = {
    REACHED: "seen, in its own sample",
    CARRIED: "seen via a carried state (no gradient)",
    NOT_SEEN: "not seen",
}
TITLE = "What each position can see"
MAX_FRAMES = 60  # a sequence of at most this many positions gets a slider over position A
CAPTION_PIXELS = 84  # five lines
LEGEND_PIXELS = 84  # room for the legend under the caption (three lines on a phone)


@dataclass(frozen=True)
class ReachRow:
    mode: str
    position: int
    shade: tuple[int, ...]  # per drawn column: REACHED, CARRIED or NOT_SEEN


@dataclass(frozen=True)
class ReachGrid:
    pair: tuple[int, int]
    first: int  # the first drawn column's position
    rows: tuple[ReachRow, ...]  # per mode: position a, then position b
    pairs: tuple[tuple[str, str], ...]  # (input, target) per drawn column
    alike: tuple[tuple[str, bool], ...]  # per mode: do a and b see the same tokens?
    missing: str | None


def shades(reach: Reach, p: int, first: int, last: int) -> tuple[int, ...]:
    """Position ``p``'s shade of each input position from ``first`` to ``last``."""
    reached, seen = set(reach.reached[p]), set(reach.seen[p])
    return tuple(
        REACHED if q in reached else CARRIED if q in seen else NOT_SEEN for q in range(first, last + 1)
    )


def _collect_reach(
    modes: list[ModeResult], reaches: dict[str, Reach], pairs: list[tuple[str, str]], pair: tuple[int, int]
) -> ReachGrid:
    a, b = pair
    n = len(pairs)
    drawn = [m for m in modes if m.mode in reaches]
    if not drawn or not (0 <= a < n and 0 <= b < n):
        problem = "No positions to show." if n == 0 else f"Choose two positions between 0 and {n - 1}."
        return ReachGrid(pair, 0, (), (), (), problem)
    last = n - 1 if n <= MAX_FRAMES else max(a, b)  # played: every position may be chosen
    first = max(0, last + 1 - MAX_COLUMNS)
    rows = tuple(ReachRow(m.mode, p, shades(reaches[m.mode], p, first, last)) for m in drawn for p in (a, b))

    alike = tuple((m.mode, looks_alike(reaches[m.mode], pairs, a, b)) for m in drawn)
    return ReachGrid(pair, first, rows, tuple(pairs[first : last + 1]), alike, None)


def looks_alike(reach: Reach, pairs: list[tuple[str, str]], a: int, b: int) -> bool:
    """Whether the same tokens, in the same order, reach the states of positions ``a`` and ``b``."""
    return [pairs[q][0] for q in reach.seen[a]] == [pairs[q][0] for q in reach.seen[b]]


def _row_label(row: ReachRow, pairs: list[tuple[str, str]], played: bool, first_row: bool) -> str:
    if played:  # short, for a phone: the caption names A and B
        return f"{plain(row.mode)} · {'A' if first_row else 'B'}"
    x, y = pairs[row.position]
    return f"{plain(row.mode)} · position {row.position}: {token(x)}→{token(y)}"


def _caption(
    modes: list[str], reaches: dict[str, Reach], pairs: list[tuple[str, str]], a: int, b: int
) -> str:
    """Frame ``a``'s words: which positions A and B are, and which modes tell them apart."""
    same = [m for m in modes if looks_alike(reaches[m], pairs, a, b)]
    apart = [m for m in modes if m not in same]
    words = [
        f"A = position {a}: {token(pairs[a][0])}→{token(pairs[a][1])};",
        f"B = position {b}: {token(pairs[b][0])}→{token(pairs[b][1])}.",
    ]
    if same:
        words.append(f"A and B look alike to {', '.join(map(plain, same))}.")
    if apart:
        words.append(f"{', '.join(map(plain, apart))} can tell them apart.")
    return "<br>".join(_wrap(" ".join(words), 38))  # a phone's width


def _subtitle(info: ReachGrid, pairs: list[tuple[str, str]], played: bool) -> str:
    a, b = info.pair
    if played:
        return (
            "Drag the slider to choose position A; B is chosen above. Rows that shade the same tokens "
            "look alike to that mode, which must then give both positions the same output."
        )
    need = "need different targets" if pairs[a][1] != pairs[b][1] else "need the same target"
    same = [m for m, alike in info.alike if alike]
    apart = [m for m, alike in info.alike if not alike]
    words = f"Positions {a} and {b} {need} ({token(pairs[a][1])} and {token(pairs[b][1])})."
    if same:
        words += f" They look alike to {', '.join(same)}: the same tokens reach their state."
    if apart:
        words += f" {', '.join(apart)} can tell them apart."
    if info.first > 0:
        words += f" Drawn: inputs {info.first}–{max(a, b)}."
    return plain(words)


def _legend() -> list[dict[str, Any]]:
    return [
        {
            "type": "scatter",
            "x": [None],
            "y": [None],
            "mode": "markers",
            "marker": {
                "symbol": "square",
                "size": 12,
                "color": SHADES[k],
                "line": {"color": "#888", "width": 1},
            },
            "name": SHADE_LABELS[k],
        }
        for k in (REACHED, CARRIED, NOT_SEEN)
    ]


def _traces(info: ReachGrid, columns: list[int]) -> list[dict[str, Any]]:
    """The shaded grid, and a ring in each mode's colour on each row's own position."""
    scale = [[0.0, SHADES[0]], [0.33, SHADES[0]], [0.33, SHADES[1]], [0.67, SHADES[1]], [0.67, SHADES[2]]]
    heat = {
        "type": "heatmap",
        "z": [list(r.shade) for r in info.rows],
        "x": columns,
        "y": list(range(len(info.rows))),
        "zmin": 0,
        "zmax": 2,
        "colorscale": [*scale, [1.0, SHADES[2]]],
        "showscale": False,
        "xgap": 1,
        "ygap": 1,
        "hovertemplate": "input position %{x}<br>%{z} (2: seen in its own sample, where the gradient "
        "reaches;<br>1: seen only through a state carried from an earlier batch; 0: not seen)<extra></extra>",
    }
    rings = [
        {
            "type": "scatter",
            "x": [r.position for r in info.rows if r.mode == m],
            "y": [k for k, r in enumerate(info.rows) if r.mode == m],
            "mode": "markers",
            "marker": {"symbol": "square-open", "size": 16, "color": mode_color(m), "line": {"width": 3}},
            "name": f"{plain(m)}: the position itself",
            "showlegend": False,
            "hoverinfo": "skip",
        }
        for m in dict.fromkeys(r.mode for r in info.rows)
    ]
    return [heat, *rings]


def _frames(
    info: ReachGrid, reaches: dict[str, Reach], pairs: list[tuple[str, str]], modes: list[str]
) -> list[dict[str, Any]]:
    """One frame per position A (B stays): the grid's shades, each mode's rings, the caption."""
    b, last = info.pair[1], info.first + len(info.pairs) - 1
    frames = []
    for a in range(info.first, last + 1):
        z = [
            list(shades(reaches[r.mode], a if k % 2 == 0 else b, info.first, last))
            for k, r in enumerate(info.rows)
        ]
        rings = [{"x": [a, b]} for _ in modes]
        caption = {"text": [_caption(modes, reaches, pairs, a, b)]}
        frames.append({"name": str(a), "data": [{"type": "heatmap", "z": z}, *rings, caption]})
    return frames


def _played(
    fig: Figure, info: ReachGrid, reaches: dict[str, Reach], pairs: list[tuple[str, str]], plot: float
) -> None:
    """Add the slider over position A to ``fig``: frames, a caption band under the grid, controls."""
    modes = list(dict.fromkeys(r.mode for r in info.rows))
    lay = fig["layout"]
    band = CAPTION_PIXELS / plot
    lay["yaxis"]["domain"] = [band, 1.0]
    hidden = {"visible": False, "range": [0, 1], "fixedrange": True}
    lay["xaxis2"] = {**hidden, "domain": [0.0, 1.0], "anchor": "y2"}
    lay["yaxis2"] = {**hidden, "domain": [0.0, band - 8 / plot], "anchor": "x2"}
    a, b = info.pair
    fig["data"].append(
        {
            "type": "scatter",
            "x": [0.0],
            "y": [0.5],
            "mode": "text",
            "text": [_caption(modes, reaches, pairs, a, b)],
            "textposition": "middle right",
            "textfont": {"size": 12, "color": "#222222"},
            "xaxis": "x2",
            "yaxis": "y2",
            "name": "caption",
            "showlegend": False,
            "hoverinfo": "skip",
        }
    )
    moved = [0, *range(1, 1 + len(modes)), len(fig["data"]) - 1]
    fig["frames"] = [{**f, "traces": moved} for f in _frames(info, reaches, pairs, modes)]
    lay["legend"]["y"] = -10 / plot
    labels = [str(q) for q in range(info.first, info.first + len(info.pairs))]
    lay.update(controls(labels, "position A: ", -LEGEND_PIXELS / plot, plot, 600, redraw=True))
    lay["sliders"][0]["active"] = a - info.first


def reach_figure(
    modes: list[ModeResult], reaches: dict[str, Reach], pairs: list[tuple[str, str]], pair: tuple[int, int]
) -> Figure:
    """For positions ``pair`` in every mode, the inputs that reached their state (dark: in the
    position's own sample; light: only through a state carried from an earlier batch), and a
    ring in the mode's colour on the position itself.

    A sequence of at most ``MAX_FRAMES`` positions also gets a slider (frames named by
    position) that moves the first position, A, in the browser; B stays ``pair[1]``.

    Args:
        modes: every mode of a run (``Run.runs``); drawn in this order.
        reaches: per mode, what each position sees (``seqviz.reach.reach_of`` of its feed).
        pairs: (input, target) per position (``Run.pairs``).
        pair: the two positions compared (``seqviz.reach.telling_pair`` is the most telling).
    """
    info = _collect_reach(modes, reaches, pairs, pair)
    if info.missing is not None:
        return empty(TITLE, info.missing)
    played = len(pairs) <= MAX_FRAMES
    columns = list(range(info.first, info.first + len(info.pairs)))
    labels = [_row_label(r, pairs, played, k % 2 == 0) for k, r in enumerate(info.rows)]
    ticks = [f"{q}: {token(x)}" for q, (x, _) in zip(columns, info.pairs)]
    fig = figure(
        [*_traces(info, columns), *_legend()],
        xaxis={
            "title": {"text": "input position: token"},
            "tickmode": "array",
            "tickvals": columns,
            "ticktext": ticks,
            "showgrid": False,
            "side": "top",
        },
        yaxis={
            "tickmode": "array",
            "tickvals": list(range(len(labels))),
            "ticktext": labels,
            "autorange": "reversed",
            "showgrid": False,
        },
        legend={"orientation": "h", "x": 0.0, "y": 0.0, "yanchor": "top"},
        plot_bgcolor="#FFFFFF",
    )
    grid = 120 + 34 * len(info.rows)
    extra = CAPTION_PIXELS + LEGEND_PIXELS + CONTROLS_PIXELS if played else 0
    fig = layout(fig, TITLE, _subtitle(info, pairs, played), height=clamp(80 + grid + extra, 300, 1100))
    margin = fig["layout"]["margin"]
    margin.update({"l": clamp(7 * max(len(t) for t in labels), 120, 320), "t": margin["t"] + 40, "b": 70})
    if played:
        margin["b"] = LEGEND_PIXELS + CONTROLS_PIXELS
        _played(fig, info, reaches, pairs, fig["layout"]["height"] - margin["t"] - margin["b"])
    return fig
