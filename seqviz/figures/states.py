"""What the cell holds at each position: one state or internal as a heatmap, all of a cell's
internals side by side, and the difference between the states of two positions.

Names and labels come from the cell registry (``seqviz.cells``): an LSTM step holds
``h0 c0 i f g o c h``, a GRU step ``h0 z r hh h``, a SimpleRNN step ``h0 h``. ``h0`` (``c0``)
is the state entering the step. A ``layer`` is 0-based, None meaning the last; snapshots keep
only the last layer's states, so a snapshot is shown only for those.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from seqviz.cells import CELLS, Cell, Internal
from seqviz.figures._common import (
    HOVER_CHARS,
    IDENTICAL,
    Columns,
    Figure,
    Grid,
    binned,
    binned_axis,
    cell_of,
    clamp,
    colorscale,
    columns,
    empty,
    figure,
    groups_note,
    label_of,
    label_room,
    layer_count,
    layer_phrase,
    layer_problem,
    layout,
    mode_color,
    mode_name,
    pick_snapshot,
    position_axis,
    position_labels,
    transpose,
    unit_axis,
    unit_dtick,
)
from seqviz.replay import entering_name, step_names
from seqviz.results import ModeResult, Snapshot

# --- names and labels from the registry ----------------------------------------------


def _cell(cell: str) -> type[Cell]:
    if cell not in CELLS:
        raise ValueError(f"Unknown cell {cell!r}; choose one of: {', '.join(CELLS)}.")
    return CELLS[cell]


def state_names(cell: str) -> tuple[str, ...]:
    """Every name a step of ``cell`` holds: the entering states, then its internals."""
    return step_names(_cell(cell))


def shown_internals(cell: str) -> tuple[Internal, ...]:
    """What the internals figure shows: the cell's internals but the states it carries
    (LSTM ``i f g o``, GRU ``z r hh``), or all of them when that leaves none (SimpleRNN ``h``)."""
    c = _cell(cell)
    inner = tuple(i for i in c.internals if i.name not in c.state_names)
    return inner or c.internals


def _entered(cell: type[Cell], name: str) -> str | None:
    """The state ``name`` is the entering value of (``h0`` → ``h``), or None."""
    return next((s for s in cell.state_names if entering_name(s) == name), None)


def _internal(cell: type[Cell], name: str) -> Internal | None:
    """The registry's record for ``name``; an entering state shares its state's range."""
    name = _entered(cell, name) or name
    return next((i for i in cell.internals if i.name == name), None)


def state_label(cell: str, name: str) -> str:
    """A legend label for ``name``: the registry's, or "h0 (h_tm1), the h entering the step"."""
    c = _cell(cell)
    state = _entered(c, name)
    if state is not None:
        return f"{name} ({state}_tm1), the {state} entering the step"
    internal = _internal(c, name)
    if internal is None:
        raise ValueError(f"The {c.label} cell has no {name!r}; its steps hold {', '.join(step_names(c))}.")
    return internal.label


_KNOWN = tuple(dict.fromkeys(n for c in CELLS.values() for n in step_names(c)))


def _label_anywhere(cell: type[Cell] | None, name: str) -> str:
    """``name``'s label from the mode's cell, else from the first cell that holds it."""
    for c in ([cell] if cell is not None else []) + list(CELLS.values()):
        if name in step_names(c):
            return state_label(c.name, name)
    return name


# --- one state or internal -----------------------------------------------------------


@dataclass(frozen=True)
class Scale:
    """A heatmap's colours: sequential for a 0..1 gate, diverging around 0 for the rest."""

    colorscale: str
    zmin: float
    zmax: float
    zmid: float | None


def _scale(internal: Internal | None, values: Grid) -> Scale:
    low, high = (None, None) if internal is None else (internal.low, internal.high)
    if low is not None and high is not None and low >= 0:
        return Scale("Viridis", low, high, None)
    # Signed values: centred on 0, as far as the range reaches, or the data where unbounded
    # (an LSTM's c may grow past 1).
    bound = max(abs(low), abs(high)) if low is not None and high is not None else 1.0
    peak = max([abs(v) for row in values for v in row] + [bound])
    return Scale("RdBu_r", -peak, peak, 0.0)


@dataclass(frozen=True)
class StateGrid:
    """What a state heatmap draws; ``missing`` says why there is nothing (None: there is)."""

    name: str
    label: str
    values: Grid  # (positions, units)
    entering: tuple[tuple[str, Grid | None], ...]  # ("h0", grid) …; None when a snapshot is shown
    scale: Scale
    labels: tuple[str, ...]  # per position, for hover boxes
    when: str
    missing: str | None


def _usable_snapshot(
    mode: ModeResult, cell: type[Cell], names: tuple[str, ...], snapshot: int | None, last: bool
) -> tuple[Snapshot | None, str]:
    """The snapshot to draw ``names`` from, or None with a phrase saying why the final is shown."""
    chosen, when = pick_snapshot(mode, snapshot)
    if chosen is None or snapshot is None:
        return chosen, when
    kept = None
    if not all(n in chosen.states for n in names):
        kept = " and ".join(cell.state_names)
    elif not last:
        kept = "the last layer"
    if kept is None:
        return chosen, when
    final = pick_snapshot(mode, None)[1]
    return None, f"{final}; snapshots keep only {kept}, so snapshot {snapshot} is not shown"


def _grid(mode: ModeResult, name: str, layer: int | None) -> Grid:
    return tuple(tuple(float(v) for v in s.value(name, layer)) for s in mode.states)


def _collect_state(mode: ModeResult, name: str, snapshot: int | None, layer: int | None) -> StateGrid:
    if name not in _KNOWN:
        raise ValueError(f"Unknown state {name!r}; choose one of: {', '.join(_KNOWN)}.")
    cell = cell_of(mode)
    layers = layer_count(mode)
    hover = position_labels(mode, HOVER_CHARS)
    labels = tuple(label_of(hover, p) for p in range(len(mode.states)))
    label = _label_anywhere(cell, name)
    missing = None if cell is not None else "No states to show."
    if cell is not None and name not in step_names(cell):
        missing = f"The {cell.label} cell has no {name}; its steps hold {', '.join(step_names(cell))}."
    missing = missing or layer_problem(layer, layers)
    if missing is not None or cell is None:
        when = pick_snapshot(mode, None)[1]
        return StateGrid(name, label, (), (), _scale(None, ()), labels, when, missing)
    last = layer is None or layer == layers - 1
    chosen, when = _usable_snapshot(mode, cell, (name,), snapshot, last)
    when = layer_phrase(layer, layers) + when
    internal = _internal(cell, name)
    if chosen is not None:
        values = tuple(tuple(float(v) for v in row) for row in chosen.states[name])
        entering: tuple[tuple[str, Grid | None], ...] = tuple(
            (entering_name(s), None) for s in cell.state_names
        )
    else:
        values = _grid(mode, name, layer)
        entering = tuple((entering_name(s), _grid(mode, entering_name(s), layer)) for s in cell.state_names)
    missing = None if values and values[0] else "No states to show."
    return StateGrid(name, label, values, entering, _scale(internal, values), labels, when, missing)


def _customdata(grid: StateGrid) -> list[list[list[str]]]:
    """Per (unit, position): the position's label, then each entering state of that unit as text."""
    units = len(grid.values[0]) if grid.values else 0

    def entering(values: Grid | None, p: int, u: int) -> str:
        if values is None:
            return "not kept in snapshots"
        return f"{values[p][u]:.6f}" if p < len(values) and u < len(values[p]) else "?"

    return [
        [
            [label_of(grid.labels, p)] + [entering(v, p, u) for _, v in grid.entering]
            for p in range(len(grid.values))
        ]
        for u in range(units)
    ]


def _heatmap(grid: StateGrid, shape: Columns, **extra: Any) -> dict[str, Any]:
    """One state's heatmap trace: every cell with its own hover text when ``shape`` is
    detailed, else values alone (averaged over bins of positions when it is binned)."""
    if shape.detailed:
        entering = ", ".join(f"{n} = %{{customdata[{k + 1}]}}" for k, (n, _) in enumerate(grid.entering))
        return {
            "type": "heatmap",
            "z": transpose(grid.values),
            "x": list(range(len(grid.values))),
            "y": list(range(len(grid.values[0]))),
            "customdata": _customdata(grid),
            "hovertemplate": (
                f"position %{{customdata[0]}}<br>unit %{{y}}<br>{grid.name} = %{{z:.6f}}"
                f"<br>{entering}<extra></extra>"
            ),
            **extra,
        }
    where, value = ("positions", f"mean {grid.name}") if shape.binned else ("position", grid.name)
    return {
        "type": "heatmap",
        "z": transpose(binned(grid.values, shape.size)),
        "x": list(shape.labels) if shape.binned else list(range(len(grid.values))),
        "y": list(range(len(grid.values[0]))),
        "hovertemplate": f"{where} %{{x}}<br>unit %{{y}}<br>{value} = %{{z:.6f}}<extra></extra>",
        **extra,
    }


def _scale_args(scale: Scale) -> dict[str, Any]:
    args: dict[str, Any] = {
        "colorscale": colorscale(scale.colorscale),
        "zmin": scale.zmin,
        "zmax": scale.zmax,
    }
    if scale.zmid is not None:
        args["zmid"] = scale.zmid
    return args


def state_figure(
    mode: ModeResult, name: str, snapshot: int | None = None, layer: int | None = None
) -> Figure:
    """Heatmap of one state or internal: positions across, units down.

    Args:
        mode: one mode's result.
        name: a name the mode's cell holds (``state_names(cell)``): ``h``, ``c``, an internal
            such as an LSTM's ``i`` or a GRU's ``z``, or a state entering each step, ``h0``.
        snapshot: an index into ``mode.snapshots``; used for the states snapshots keep
            (``h``, ``c``; last layer only). The title says when it is not used.
        layer: 0-based; None is the last layer.
    Raises:
        ValueError: ``name`` is a name no cell holds.
    """
    grid = _collect_state(mode, name, snapshot, layer)
    title = f"{mode_name(mode)}: {grid.label} ({grid.when})"
    if grid.missing is not None:
        return empty(title, grid.missing)
    units = len(grid.values[0])
    colorbar = {"title": {"text": grid.name}, "thickness": 12}
    labels = position_labels(mode)
    shape = columns(len(grid.values), units)
    fig = figure(
        [_heatmap(grid, shape, colorbar=colorbar, **_scale_args(grid.scale))],
        xaxis=binned_axis(shape) if shape.binned else position_axis(labels),
        yaxis=unit_axis(units),
    )
    height = clamp(170 + 14 * units, 320, 900) + label_room(shape.labels or labels)
    return layout(fig, title, groups_note(mode), height=height)


# --- a cell's internals --------------------------------------------------------------


@dataclass(frozen=True)
class InternalsGrid:
    """The panels of the internals figure, one per shown internal, in the registry's order."""

    cell: str
    panels: tuple[StateGrid, ...]
    when: str
    missing: str | None


def _collect_internals(mode: ModeResult, cell: str, layer: int | None) -> InternalsGrid:
    wanted = _cell(cell)
    held = cell_of(mode)
    when = layer_phrase(layer, layer_count(mode)) + pick_snapshot(mode, None)[1]
    missing: str | None = None
    if held is None:
        missing = "No states to show."
    elif held is not wanted:
        names = ", ".join(step_names(held))
        missing = f"This mode ran the {held.label} cell, not the {wanted.label}: its steps hold {names}."
    else:
        missing = layer_problem(layer, layer_count(mode))
    if missing is not None:
        return InternalsGrid(cell, (), when, missing)
    panels = tuple(_collect_state(mode, i.name, None, layer) for i in shown_internals(cell))
    missing = next((p.missing for p in panels if p.missing is not None), None)
    return InternalsGrid(cell, panels, when, missing)


def _color_axes(panels: tuple[StateGrid, ...]) -> dict[Scale, str]:
    """One colour axis per distinct scale (a 0..1 gate and a -1..1 candidate never share one)."""
    axes: dict[Scale, str] = {}
    for panel in panels:
        axes.setdefault(panel.scale, "coloraxis" if not axes else f"coloraxis{len(axes) + 1}")
    return axes


def _axis_layout(panels: tuple[StateGrid, ...], axes: dict[Scale, str]) -> dict[str, Any]:
    out = {}
    for k, (scale, axis) in enumerate(axes.items()):
        names = " ".join(p.name for p in panels if p.scale == scale)
        colorbar = {
            "title": {"text": names},
            "thickness": 12,
            "len": 0.9 / len(axes),
            "y": 1 - (k + 0.5) / len(axes),
        }
        out[axis] = {
            "colorscale": colorscale(scale.colorscale),
            "cmin": scale.zmin,
            "cmax": scale.zmax,
            "colorbar": colorbar,
        }
        if scale.zmid is not None:
            out[axis]["cmid"] = scale.zmid
    return out


def subplot_grid(rows: int, cols: int, titles: list[str], spacing: tuple[float, float]) -> dict[str, Any]:
    """Layout items of a ``rows`` × ``cols`` grid of plots that share their x axis down each
    column and their y axis along each row, titled above each plot: what
    ``plotly.subplots.make_subplots(shared_xaxes=True, shared_yaxes=True)`` lays out (a test
    holds the two equal), without building a figure object.

    Args:
        spacing: (horizontal, vertical) gaps between plots, as fractions of the figure.
    Returns:
        ``xaxis``, ``yaxis``, ``xaxis2``… and ``annotations``; plot k (row-major) draws on
        axes ``x{k+1}``/``y{k+1}`` (``x``/``y`` for the first).
    """
    across, down = spacing
    width, height = (1 - across * (cols - 1)) / cols, (1 - down * (rows - 1)) / rows
    items: dict[str, Any] = {}
    notes = []
    for k in range(rows * cols):
        row, col = divmod(k, cols)
        # Counted from the bottom left, as make_subplots does, so the domains are its numbers.
        x0, y0 = (width + across) * col, (height + down) * (rows - 1 - row)
        y1 = y0 + height
        x_domain, y_domain = [x0, x0 + width], [y0, y1]
        suffix = "" if k == 0 else str(k + 1)
        bottom, first = (rows - 1) * cols + col, row * cols
        xaxis: dict[str, Any] = {"anchor": f"y{suffix}", "domain": x_domain}
        yaxis: dict[str, Any] = {"anchor": f"x{suffix}", "domain": y_domain}
        if k != bottom:
            xaxis.update(matches=f"x{bottom + 1}", showticklabels=False)
        if k != first:
            yaxis.update(matches="y" if first == 0 else f"y{first + 1}", showticklabels=False)
        items[f"xaxis{suffix}"], items[f"yaxis{suffix}"] = xaxis, yaxis
        if k < len(titles):
            notes.append(
                {
                    "font": {"size": 16},
                    "showarrow": False,
                    "text": titles[k],
                    "x": x0 + width / 2,
                    "xanchor": "center",
                    "xref": "paper",
                    "y": y1,
                    "yanchor": "bottom",
                    "yref": "paper",
                }
            )
    items["annotations"] = notes
    return items


def internals_figure(mode: ModeResult, cell: str, layer: int | None = None) -> Figure:
    """The cell's own internals (``shown_internals``), one heatmap each: positions across,
    units down, each titled with its registry label and coloured over its own range.

    Args:
        mode: one mode's result.
        cell: the cell the run used (``RunConfig.cell``, a key of ``seqviz.cells.CELLS``).
        layer: 0-based; None is the last layer.
    Raises:
        ValueError: ``cell`` is not a registered cell.
    """
    info = _collect_internals(mode, cell, layer)
    title = f"{mode_name(mode)}: the {CELLS[cell].label}'s internals at each position ({info.when})"
    if info.missing is not None:
        return empty(title, info.missing)
    cols = min(2, len(info.panels))
    rows = math.ceil(len(info.panels) / cols)
    grid = subplot_grid(rows, cols, [p.label for p in info.panels], (0.04, 0.1))
    axes = _color_axes(info.panels)
    labels = position_labels(mode)
    units = len(info.panels[0].values[0])
    shape = columns(len(info.panels[0].values), units * len(info.panels))
    traces = []
    for k, panel in enumerate(info.panels):
        suffix = "" if k == 0 else str(k + 1)
        trace = _heatmap(panel, shape, coloraxis=axes[panel.scale], xaxis=f"x{suffix}", yaxis=f"y{suffix}")
        traces.append(trace)
    ticks: dict[str, Any] = {
        "tickmode": "array",
        "tickvals": list(range(len(labels))),
        "ticktext": list(labels),
    }
    if shape.binned:
        ticks = {"type": "category"}
    for name, axis in grid.items():
        if name.startswith("xaxis"):
            axis.update(ticks, showgrid=False)
        elif name.startswith("yaxis"):
            axis.update(autorange="reversed", showgrid=False, dtick=unit_dtick(units))
    fig = figure(traces, **grid, **_axis_layout(info.panels, axes))
    height = clamp(220 + 28 * units * rows / 2, 460 if rows > 1 else 320, 1100) + label_room(
        shape.labels or labels
    )
    note = groups_note(mode) + (f" Positions averaged in bins of {shape.size}." if shape.binned else "")
    fig = layout(fig, title, note.strip(), height=height)
    # The top row's subplot titles sit above the plot area, where the subtitle would be.
    fig["layout"]["margin"]["t"] += 20
    return fig


def gates_figure(mode: ModeResult, cell: str | None = None, layer: int | None = None) -> Figure:
    """:func:`internals_figure` under its name from when every run was an LSTM.

    ``cell`` None: the cell whose names the mode's steps hold, so an old ``gates_figure(mode)``
    call still draws the right cell's internals.
    """
    held = cell_of(mode)
    return internals_figure(mode, cell or (held.name if held is not None else "lstm"), layer)


# --- two positions -------------------------------------------------------------------


@dataclass(frozen=True)
class StateDelta:
    """One state's per-unit difference between two positions."""

    name: str
    delta: tuple[float, ...]  # per unit, value(a) - value(b)
    pairs: tuple[tuple[float, float], ...]  # per unit, (value(a), value(b))

    @property
    def max_abs(self) -> float:
        return max([abs(v) for v in self.delta] + [0.0])


@dataclass(frozen=True)
class Difference:
    a: int
    b: int
    states: tuple[StateDelta, ...]  # the states the cell carries: h, and c for an LSTM
    when: str
    missing: str | None

    @property
    def max_abs(self) -> float:
        return max([s.max_abs for s in self.states] + [0.0])


def _collect_difference(
    mode: ModeResult, a: int, b: int, snapshot: int | None, layer: int | None
) -> Difference:
    cell, layers = cell_of(mode), layer_count(mode)
    n = len(mode.states)
    if cell is None:
        return Difference(a, b, (), pick_snapshot(mode, None)[1], "No states.")
    problem = layer_problem(layer, layers)
    if problem is None and not (0 <= a < n and 0 <= b < n):
        problem = f"Choose two positions between 0 and {n - 1}."
    last = layer is None or layer == layers - 1
    chosen, when = _usable_snapshot(mode, cell, cell.state_names, snapshot, last)
    when = layer_phrase(layer, layers) + when
    if problem is not None:
        return Difference(a, b, (), when, problem)
    states = []
    for name in cell.state_names:
        grid = _grid(mode, name, layer) if chosen is None else tuple(map(tuple, chosen.states[name]))
        if not (a < len(grid) and b < len(grid)):
            return Difference(a, b, (), when, f"The snapshot holds {len(grid)} positions.")
        pairs = tuple((float(x), float(y)) for x, y in zip(grid[a], grid[b], strict=True))
        states.append(StateDelta(name, tuple(x - y for x, y in pairs), pairs))
    return Difference(a, b, tuple(states), when, None)


def difference_figure(
    mode: ModeResult, a: int, b: int, snapshot: int | None = None, layer: int | None = None
) -> Figure:
    """Per unit, each state the cell carries (``h``; and ``c`` for an LSTM) at position ``a``
    minus the same at position ``b``.

    The title states the largest absolute difference, so two positions the model cannot tell
    apart read "max |Δ| = 0 (identical)". ``layer`` is 0-based, None the last.
    """
    info = _collect_difference(mode, a, b, snapshot, layer)
    if info.missing is not None:
        return empty(f"{mode_name(mode)}: position {a} minus position {b}", info.missing)
    verdict = f"max |Δ| = {info.max_abs:.3g}" + (" (identical)" if info.max_abs <= IDENTICAL else "")
    title = f"{mode_name(mode)}: position {a} minus position {b}: {verdict}"
    color = mode_color(mode.mode)
    bars = []
    for k, state in enumerate(info.states):
        n = state.name
        bars.append(
            {
                "type": "bar",
                "x": list(range(len(state.delta))),
                "y": list(state.delta),
                "name": f"{n}({a}) − {n}({b})",
                # The first state (h) solid, the others paler: one mode, one colour.
                "marker": {
                    "color": color,
                    "opacity": 1.0 if k == 0 else 0.45,
                    "line": {"color": color, "width": 1},
                },
                "customdata": [list(pair) for pair in state.pairs],
                "hovertemplate": (
                    f"unit %{{x}}<br>{n}({a}) = %{{customdata[0]:.6f}}"
                    f"<br>{n}({b}) = %{{customdata[1]:.6f}}<br>Δ{n} = %{{y:.6f}}<extra></extra>"
                ),
            }
        )
    fig = figure(
        bars,
        barmode="group",
        bargap=0.25,
        xaxis={"title": {"text": "unit"}, "dtick": unit_dtick(len(info.states[0].delta))},
        yaxis={"title": {"text": "difference"}, "zeroline": True, "zerolinecolor": "#888"},
    )
    labels = position_labels(mode, HOVER_CHARS)
    maxima = ", ".join(f"max |Δ{s.name}| = {s.max_abs:.3g}" for s in info.states)
    subtitle = f"{info.when}. Position {label_of(labels, a)} minus position {label_of(labels, b)}; {maxima}."
    return layout(fig, title, subtitle, height=380)
