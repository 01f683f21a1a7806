"""Play through time: the state-flow diagram with the state each step leaves below it, and a
slider (and a play button) that walks the feed one timestep at a time, in the browser.

Each frame of the animation is one (sample, step) of X, in the order Keras computes them:
batch after batch, timestep after timestep, the samples of a batch side by side. A frame
outlines the step's box in the flow diagram (its input token is written in it), the box its
state enters from (dashed, in the colour of where it comes from; none when zeros enter), and
the same two columns in the heatmap below: the state leaving the step and the state entering it.

The flow diagram is :mod:`.flow`'s own figure; this module adds the heatmap, the outlines and
the frames. Frames only move four small outline traces, so playing costs the browser no
server round trip and the page little data; a long feed plays its first ``MAX_FRAMES`` steps
(fewer for wide states, see :func:`frame_count`) and the subtitle says so.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from seqviz.figures._common import (
    HOVER_CHARS,
    MAX_CELLS,
    OTHER_SOURCE_COLOR,
    SOURCE_COLORS,
    SUBTITLE_CHARS,
    Figure,
    _wrap,
    clamp,
    colorscale,
    empty,
    mode_name,
    token,
    unit_dtick,
)
from seqviz.figures._player import CONTROLS_PIXELS, controls
from seqviz.figures.flow import HALF_HEIGHT, HALF_WIDTH, _collect_flow, _drawn, state_flow_figure
from seqviz.modes import ZEROS
from seqviz.results import FeedCell, ModeResult, Values

MAX_FRAMES = 60  # steps played at most: the page ships every frame, and a slider of more is too fine
NOW_COLOR = "#000000"  # the outline of the step being played: black, like the target outline
CAPTION_PIXELS = 72  # the band between the diagram and the heatmap that says what frame k shows
CAPTION_CHARS = 46  # per caption line, for a phone's width (four lines fit the band)
SHOWN_INPUT = "\x00input\x00"  # where the caption's input token goes
HEATMAP_ROW_PIXELS = 9


@dataclass(frozen=True)
class PlayedStep:
    """One frame: a (sample, step) of X, where its box is drawn and where its state comes from."""

    sample: int
    step: int
    batch: int
    x: float  # the box's centre in the flow diagram
    y: float
    input: str | None  # the input token (None: zero padding)
    position: int | None  # the position predicted here, if any
    kind: str  # where the entering state comes from: zeros | previous_step | previous_batch
    source: int | None  # the frame whose leaving state enters here, when it is played
    leaving: tuple[float, ...] | None  # the state ``name`` leaving the step, per unit (None: padding)
    entering: tuple[float, ...] | None  # the state entering the step (``h0``), per unit


@dataclass(frozen=True)
class Played:
    name: str  # the state drawn in the heatmap: h (or c)
    steps: tuple[PlayedStep, ...]  # in the order Keras computes them
    total: int  # steps the flow diagram draws (``steps`` may be the first of them)
    units: int


def processing_order(cells: list[FeedCell]) -> list[FeedCell]:
    """``cells`` in the order Keras computes them: batch by batch, each batch timestep by
    timestep, and the samples of a batch (computed side by side) in their slot order."""
    return sorted(cells, key=lambda c: (c.batch, c.step, c.index_in_batch))


def step_values(mode: ModeResult) -> dict[tuple[int, int], Values]:
    """(sample, step) → the last layer's values at that step, for every step the run kept:
    the steps that predict a position, and the inner steps of window-like samples."""
    out: dict[tuple[int, int], Values] = {}
    for state in mode.states:
        out[(state.sample, state.step)] = state.values
        for inner in state.steps or []:
            out.setdefault((state.sample, inner.step), inner.values)
    return out


def frame_count(steps: int, units: int) -> int:
    """Frames played of ``steps``: at most ``MAX_FRAMES``, and no more heatmap cells than
    half of what a state heatmap may ship (``MAX_CELLS``)."""
    return max(1, min(steps, MAX_FRAMES, MAX_CELLS // 2 // max(1, units)))


def _vector(values: Values | None, name: str) -> tuple[float, ...] | None:
    if values is None or name not in values:
        return None
    return tuple(float(v) for v in values[name])


def _collect_played(mode: ModeResult, name: str) -> Played:
    info, _ = _drawn(_collect_flow(mode))
    drawn = {(b.sample, b.step): b for b in info.boxes}
    cells = processing_order([c for c in mode.feed.cells if (c.sample, c.step) in drawn])
    values = step_values(mode)
    units = len(mode.states[0].values.get(name, [])) if mode.states else 0
    cells = cells[: frame_count(len(cells), units)]
    index = {(c.sample, c.step): k for k, c in enumerate(cells)}
    x_tokens = mode.feed.x_tokens
    entering = "c0" if name == "c" else "h0"
    played = []
    for cell in cells:
        box = drawn[(cell.sample, cell.step)]
        row = x_tokens[cell.sample] if cell.sample < len(x_tokens) else []
        here = values.get((cell.sample, cell.step))
        origin = cell.source.sample, cell.source.step
        source = (
            index.get((origin[0], origin[1])) if origin[0] is not None and origin[1] is not None else None
        )
        played.append(
            PlayedStep(
                sample=cell.sample,
                step=cell.step,
                batch=cell.batch,
                x=box.x,
                y=box.y,
                input=row[cell.step] if cell.step < len(row) else None,
                position=cell.position,
                kind=cell.source.kind,
                source=None if cell.source.kind == ZEROS else source,
                leaving=None if cell.masked else _vector(here, name),
                entering=None if cell.masked else _vector(here, entering),
            )
        )
    return Played(name, tuple(played), len(drawn), units)


# --- drawing -----------------------------------------------------------------------------


def _box_outline(x: float, y: float, pad: float) -> tuple[list[float], list[float]]:
    left, right, top, bottom = (
        x - HALF_WIDTH - pad,
        x + HALF_WIDTH + pad,
        y - HALF_HEIGHT - pad,
        y + HALF_HEIGHT + pad,
    )
    return [left, right, right, left, left], [top, top, bottom, bottom, top]


def _column_outline(k: int, units: int) -> tuple[list[float], list[float]]:
    left, right, top, bottom = k + 0.5, k + 1.5, -0.5, units - 0.5  # column k is drawn at x = k + 1
    return [left, right, right, left, left], [top, top, bottom, bottom, top]


def _none() -> tuple[list[None], list[None]]:
    return [None], [None]


def _frame_traces(info: Played, k: int) -> list[dict[str, Any]]:
    """Frame ``k``'s four outlines: this step's box and column, its source's box and column."""
    step = info.steps[k]
    source = info.steps[step.source] if step.source is not None else None
    color = SOURCE_COLORS.get(step.kind, OTHER_SOURCE_COLOR)
    now_box, now_column = _box_outline(step.x, step.y, 0.04), _column_outline(k, info.units)
    was_box = _box_outline(source.x, source.y, 0.07) if source is not None else _none()
    was_column = _column_outline(step.source, info.units) if step.source is not None else _none()
    caption = _caption(info, k)
    return [
        {"x": now_box[0], "y": now_box[1], "line": {"color": NOW_COLOR, "width": 4}},
        {"x": was_box[0], "y": was_box[1], "line": {"color": color, "width": 3, "dash": "dash"}},
        {"x": now_column[0], "y": now_column[1], "line": {"color": NOW_COLOR, "width": 3}},
        {"x": was_column[0], "y": was_column[1], "line": {"color": color, "width": 3, "dash": "dash"}},
        {"x": [0.0], "y": [0.5], "text": [caption]},
    ]


def _caption(info: Played, k: int) -> str:
    step = info.steps[k]
    target = "no output is trained here" if step.position is None else f"predicts position {step.position}"
    where = {
        ZEROS: "the state entering it is zeros",
        "previous_step": "the state enters from the previous step (dashed)",
        "previous_batch": "the state enters from the same slot of the previous batch (dashed)",
    }.get(step.kind, f"the state enters from {step.kind}")
    words = (
        f"Step {k + 1} of {len(info.steps)}: batch {step.batch}, sample {step.sample}, timestep {step.step}. "
        f"Input {SHOWN_INPUT}, {target}; {where}."
    )
    # Wrapped for a phone's width; the input is put in after wrapping, so no line breaks inside it.
    lines = "<br>".join(_wrap(words, CAPTION_CHARS))
    return lines.replace(SHOWN_INPUT, f"<b>{token(step.input, HOVER_CHARS)}</b>")


def _outline_traces(info: Played) -> list[dict[str, Any]]:
    """Frame 0's outlines, as the traces the frames replace (on the diagram's and the heatmap's axes)."""
    first = _frame_traces(info, 0)
    names = ("this step", "where its state comes from", f"{info.name} leaving this step", "entering")
    axes = (("x", "y"), ("x", "y"), ("x2", "y2"), ("x2", "y2"))
    traces = [
        {"type": "scatter", "mode": "lines", "name": n, "showlegend": False, "hoverinfo": "skip", **t}
        | {"xaxis": a, "yaxis": b}
        for n, t, (a, b) in zip(names, first, axes)
    ]
    traces.append(
        {
            "type": "scatter",
            "mode": "text",
            "textposition": "middle right",
            "textfont": {"size": 13, "color": "#222222"},
            "showlegend": False,
            "hoverinfo": "skip",
            "name": "caption",
            "xaxis": "x3",
            "yaxis": "y3",
            **first[4],
        }
    )
    return traces


def _heatmap(info: Played) -> dict[str, Any]:
    columns = [list(s.leaving) if s.leaving is not None else [None] * info.units for s in info.steps]
    z = [[column[u] for column in columns] for u in range(info.units)]
    peak = max([abs(v) for column in columns for v in column if v is not None] + [1.0])
    return {
        "type": "heatmap",
        "z": z,
        "x": list(range(1, len(info.steps) + 1)),  # counted from 1, as the slider and the caption count
        "y": list(range(info.units)),
        "xaxis": "x2",
        "yaxis": "y2",
        "colorscale": colorscale("RdBu_r"),
        "zmin": -peak,
        "zmax": peak,
        "zmid": 0.0,
        "colorbar": {
            "title": {"text": info.name},
            "thickness": 12,
            "len": 0.3,
            "y": 0.0,
            "yanchor": "bottom",
        },
        # Values alone (the caption and the diagram name the step): ~10 bytes a cell.
        "hovertemplate": f"step %{{x}}<br>unit %{{y}}<br>{info.name} = %{{z:.6f}}<extra></extra>",
        "name": f"{info.name} leaving each step",
    }


def _played_rows(mode: ModeResult, info: Played) -> ModeResult:
    """``mode`` with only the samples played in its feed: the diagram draws no row that no
    frame visits (the feed section above draws them all)."""
    samples = {s.sample for s in info.steps}
    cells = [c for c in mode.feed.cells if c.sample in samples]
    if len(cells) == len(mode.feed.cells):
        return mode
    return replace(mode, feed=replace(mode.feed, cells=cells))


def _note(info: Played) -> str:
    if len(info.steps) == info.total:
        return ""
    return (
        f" Played: the first {len(info.steps)} of the {info.total} steps drawn"
        " (more frames would make the page heavy); the feed's table above has every step."
    )


def _heatmap_axes(info: Played, top: float) -> dict[str, Any]:
    """The heatmap's axes: a column per played step (counted from 1), unit 0 on top."""
    return {
        "xaxis2": {
            "domain": [0.0, 0.94],
            "anchor": "y2",
            "title": {"text": "step (each column: the state it leaves)"},
            "range": [0.5, len(info.steps) + 0.5],
            "tickmode": "linear",
            "tick0": 1,
            "dtick": max(1, len(info.steps) // 20),
            "showgrid": False,
            "zeroline": False,
        },
        "yaxis2": {
            "domain": [0.0, top],
            "anchor": "x2",
            "title": {"text": "unit"},
            "range": [info.units - 0.5, -0.5],  # unit 0 on top, as in every state heatmap
            "showgrid": False,
            "zeroline": False,
            "dtick": unit_dtick(info.units),
        },
    }


def _caption_axes(bottom: float, top: float) -> dict[str, Any]:
    """Hidden axes for the caption's band, between the diagram and the heatmap."""
    hidden = {"visible": False, "range": [0, 1], "fixedrange": True}
    return {
        "xaxis3": {**hidden, "domain": [0.0, 1.0], "anchor": "y3"},
        "yaxis3": {**hidden, "domain": [bottom, top], "anchor": "x3"},
    }


def step_figure(mode: ModeResult, name: str = "h") -> Figure:
    """The flow diagram and the state ``name`` (``h``, or an LSTM's ``c``) leaving each step,
    with a slider and a play button that walk the steps in the order Keras computes them.

    Frame ``k`` (named ``str(k)``) outlines step ``k``'s box and heatmap column in black and
    the step its state enters from, dashed; its caption says which step it is.
    """
    title = f"{mode_name(mode)}: play through time, one step at a time"
    info = _collect_played(mode, name)
    if not info.steps or not info.units:
        return empty(title, "No steps to play.")
    fig = state_flow_figure(_played_rows(mode, info))
    lay = fig["layout"]
    margin = lay["margin"]
    flow_plot = lay["height"] - margin["t"] - margin["b"]
    heat = clamp(90 + HEATMAP_ROW_PIXELS * info.units, 150, 520)
    below = 104 + CONTROLS_PIXELS  # the heatmap's step axis, the legend, the buttons and the slider
    area = flow_plot + CAPTION_PIXELS + heat + 40
    heat_top, caption_top = heat / area, (heat + CAPTION_PIXELS) / area
    lay["yaxis"]["domain"] = [caption_top + 20 / area, 1.0]
    lay["xaxis"]["domain"] = [0.0, 0.94]
    lay.update(_heatmap_axes(info, heat_top))
    lay.update(_caption_axes(heat_top + 4 / area, caption_top))
    first = len(fig["data"]) + 1
    fig["data"] += [_heatmap(info), *_outline_traces(info)]
    moved = list(range(first, first + 5))
    fig["frames"] = [
        {"name": str(k), "data": _frame_traces(info, k), "traces": moved} for k in range(len(info.steps))
    ]
    lay["legend"] = {"orientation": "h", "x": 0.0, "y": -62 / area, "yanchor": "top"}
    labels = [str(k + 1) for k in range(len(info.steps))]
    lay.update(controls(labels, "step ", -104 / area, area, 700, redraw=True))
    lay["height"] = margin["t"] + area + below
    margin["b"] = below
    lay["title"]["text"] = title
    subtitle = lay["title"]["subtitle"]
    lines = _wrap(
        f"Below: {info.name} leaving each step. Drag the slider or press play.{_note(info)}", SUBTITLE_CHARS
    )
    subtitle["text"] = "<br>".join(([subtitle["text"]] if subtitle["text"] else []) + lines)
    margin["t"] += 16 * len(lines)
    return fig
