"""Follow one unit: its states and gates across the positions, one line per mode, a panel per
value the cell computes (LSTM ``i f g o c h``, GRU ``z r hh h``, SimpleRNN ``h``: the registry's
internals, in its order), so one unit's story can be read across the modes side by side.

A sequence of more than ``MAX_POINTS`` positions is averaged in bins of positions, as the
heatmaps are, and the subtitle says so.
"""

from __future__ import annotations

import math
import textwrap
from dataclasses import dataclass
from typing import Any

from seqviz.cells import CELLS, Internal
from seqviz.figures._common import (
    Figure,
    binned,
    cell_of,
    empty,
    figure,
    layer_count,
    layer_phrase,
    layer_problem,
    layout,
    mode_color,
    plain,
)
from seqviz.results import ModeResult

PANEL_COLUMNS = 2
MAX_POINTS = 100  # per line: a panel is half the page wide
TITLE_CHARS = 20  # a panel title's line: a half-width panel on a phone is ~150 px wide
GAP = (0.06, 0.14)  # between panels: across, down (fractions of the figure)


@dataclass(frozen=True)
class UnitLines:
    """What the figure draws: per panel (a value the cell computes), per mode, one unit's values."""

    unit: int
    names: tuple[Internal, ...]
    lines: tuple[tuple[str, tuple[tuple[float, ...], ...]], ...]  # (mode, per name: per position)
    size: int  # positions per point (1: each position)
    positions: int
    when: str
    missing: str | None


def unit_values(mode: ModeResult, name: str, unit: int, layer: int | None) -> tuple[float, ...]:
    """``name`` of unit ``unit`` at every position (the run's ``StepState`` values)."""
    return tuple(float(s.value(name, layer)[unit]) for s in mode.states)


def _collect_unit(modes: list[ModeResult], cell: str, unit: int, layer: int | None) -> UnitLines:
    kind = CELLS[cell]
    drawn = [m for m in modes if m.states and cell_of(m) is kind]
    units = len(drawn[0].states[0].values["h"]) if drawn else 0
    layers = layer_count(drawn[0]) if drawn else 0
    when = layer_phrase(layer, layers) + "after training"
    problem = None if drawn else "No states to show."
    problem = problem or layer_problem(layer, layers)
    if problem is None and not 0 <= unit < units:
        problem = f"There is no unit {unit}: the layer has {units} (0 to {units - 1})."
    if problem is not None:
        return UnitLines(unit, kind.internals, (), 1, 0, when, problem)
    positions = max(len(m.states) for m in drawn)
    size = max(1, math.ceil(positions / MAX_POINTS))
    lines = []
    for m in drawn:
        per_name = [unit_values(m, i.name, unit, layer) for i in kind.internals]
        lines.append(
            (m.mode, tuple(tuple(v[0] for v in binned(tuple((x,) for x in vs), size)) for vs in per_name))
        )
    return UnitLines(unit, kind.internals, tuple(lines), size, positions, when, None)


def _grid(count: int) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Axes for ``count`` panels, ``PANEL_COLUMNS`` across, and their title annotations' places."""
    cols = min(PANEL_COLUMNS, count)
    rows = math.ceil(count / cols)
    across, down = GAP
    width, height = (1 - across * (cols - 1)) / cols, (1 - down * (rows - 1)) / rows
    axes: dict[str, Any] = {}
    places = []
    for k in range(count):
        row, col = divmod(k, cols)
        x0, y1 = (width + across) * col, 1 - (height + down) * row
        suffix = "" if k == 0 else str(k + 1)
        x_domain = [round(max(0.0, x0), 6), round(min(1.0, x0 + width), 6)]
        y_domain = [round(max(0.0, y1 - height), 6), round(min(1.0, y1), 6)]
        axes[f"xaxis{suffix}"] = {"domain": x_domain, "anchor": f"y{suffix}", "showgrid": False}
        axes[f"yaxis{suffix}"] = {"domain": y_domain, "anchor": f"x{suffix}", "zeroline": True}
        places.append({"x": x0 + width / 2, "y": y1})
    return axes, places


def _range(internal: Internal) -> list[float] | None:
    if internal.low is None or internal.high is None:
        return None
    pad = 0.05 * (internal.high - internal.low)
    return [internal.low - pad, internal.high + pad]


def _lines(info: UnitLines) -> list[dict[str, Any]]:
    """A line per (mode, value): the value's panel is its place in the registry's order."""
    starts = range(0, info.positions, info.size)
    x: list[Any] = list(starts)
    if info.size > 1:
        x = [f"{a}–{min(a + info.size, info.positions) - 1}" for a in starts]
    traces = []
    for mode, per_name in info.lines:
        for k, (internal, values) in enumerate(zip(info.names, per_name)):
            suffix = "" if k == 0 else str(k + 1)
            traces.append(
                {
                    "type": "scatter",
                    "x": x[: len(values)],
                    "y": list(values),
                    "mode": "lines+markers" if len(values) <= 60 else "lines",
                    "name": plain(mode),
                    "legendgroup": plain(mode),
                    "showlegend": k == 0,
                    "line": {"color": mode_color(mode), "width": 2},
                    "marker": {"size": 6},
                    "xaxis": f"x{suffix}",
                    "yaxis": f"y{suffix}",
                    "hovertemplate": (
                        f"{plain(mode)}<br>position %{{x}}<br>{internal.name} = %{{y:.4f}}<extra></extra>"
                    ),
                }
            )
    return traces


def unit_figure(modes: list[ModeResult], cell: str, unit: int, layer: int | None = None) -> Figure:
    """Unit ``unit``'s values across the positions, a panel per value the cell computes and a
    line per mode (in the mode's colour), after training.

    Args:
        modes: every mode of a run (``Run.runs``).
        cell: the cell the run used (``RunConfig.cell``).
        unit: 0-based, below the layer's units.
        layer: 0-based; None is the last layer.
    """
    if cell not in CELLS:
        raise ValueError(f"Unknown cell {cell!r}; choose one of: {', '.join(CELLS)}.")
    info = _collect_unit(modes, cell, unit, layer)
    title = f"Follow unit {unit} of the {CELLS[cell].label} ({info.when})"
    if info.missing is not None:
        return empty(title, info.missing)
    axes, places = _grid(len(info.names))
    traces = _lines(info)
    for k, internal in enumerate(info.names):
        suffix = "" if k == 0 else str(k + 1)
        axes[f"xaxis{suffix}"]["title"] = {"text": "position"}
        if info.size > 1:
            axes[f"xaxis{suffix}"]["type"] = "category"
        elif info.positions <= 20:
            axes[f"xaxis{suffix}"]["dtick"] = 1
        bounds = _range(internal)
        if bounds is not None:
            axes[f"yaxis{suffix}"]["range"] = bounds
    titles = [
        {
            "text": "<br>".join(textwrap.wrap(plain(i.label), TITLE_CHARS)),
            "xref": "paper",
            "yref": "paper",
            "showarrow": False,
            "xanchor": "center",
            "yanchor": "bottom",
            "font": {"size": 14},
            **place,
        }
        for i, place in zip(info.names, places)
    ]
    fig = figure(
        traces,
        **axes,
        annotations=titles,
        legend={"orientation": "h", "x": 0.0, "y": 1.0, "yanchor": "bottom"},
    )
    rows = math.ceil(len(info.names) / min(PANEL_COLUMNS, len(info.names)))
    subtitle = (
        "One line per mode (each mode trained weights of its own). Positions that look alike to a mode "
        "have the same value in every panel of that mode's line."
    )
    if info.size > 1:
        subtitle += f" Positions averaged in bins of {info.size}."
    fig = layout(fig, title, subtitle, height=160 + 260 * rows)
    margin = fig["layout"]["margin"]
    # The legend, and above it nothing: the top panels' titles (up to 2 lines) sit under it.
    margin["t"] += 74
    plot = fig["layout"]["height"] - margin["t"] - margin["b"]
    fig["layout"]["legend"]["y"] = 1 + 26 / plot
    return fig
