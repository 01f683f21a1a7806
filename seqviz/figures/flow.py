"""The state-flow diagram: one box per (sample, step) of the training array X, rows grouped
by batch, with an arrow wherever state flows in from an earlier step or batch."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from seqviz.figures._common import (
    BOX_FILLS,
    HOVER_CHARS,
    OTHER_SOURCE_COLOR,
    SOURCE_COLORS,
    SOURCE_LABELS,
    Figure,
    clamp,
    empty,
    figure,
    label_of,
    layout,
    mode_name,
    plain,
    position_labels,
    token,
)
from seqviz.modes import PREVIOUS_BATCH, PREVIOUS_STEP, ZEROS
from seqviz.results import FeedCell, FeedView, ModeResult

Point = tuple[float, float]  # (x, y) in data coordinates

HALF_WIDTH = 0.4  # half a box, in timesteps
HALF_HEIGHT = 0.34  # half a box, in rows
BATCH_GAP = 0.5  # extra rows between batches (when batches hold more than one sample)
ROW_PIXELS = 46  # per row, so a box fits two lines of text
MIN_COLUMNS = 5  # one-step feeds keep narrow boxes instead of one box across the page
# Drawn at most: past this the boxes are too small to read, and the pattern only repeats
# (every sample and step is in the page's "X and Y as tokens" table and the downloads).
MAX_ROWS = 60  # the shared server's longest sequence draws whole
MAX_STEPS = 60
# Every box is a layout shape and every arrow an annotation, which the browser draws one by one
# (~10 ms each here: 600 boxes took 6 s to first draw), so a feed of many multi-step samples
# draws as many whole samples as fit in this many boxes (at least two, to show what flows
# from one to the next).
MAX_BOXES = 120


@dataclass(frozen=True)
class FlowBox:
    """One (sample, step): where it is drawn, what it says, and the arrow bringing state in."""

    sample: int
    step: int
    x: float
    y: float
    position: int | None  # the position this step predicts, if any
    text: str  # drawn in the box
    hover: str
    kind: str  # zeros | previous_step | previous_batch
    reset: bool
    tail: Point | None  # where the arrow into this box starts
    head: Point | None
    cut: bool = False  # state flows in from the previous batch, but the gradient stops here


@dataclass(frozen=True)
class Flow:
    boxes: tuple[FlowBox, ...]
    rows: tuple[tuple[float, str], ...]  # (y, "batch k, sample i") from the top
    timesteps: int
    subtitle: str


def _rows(feed: FeedView) -> dict[int, tuple[float, int]]:
    """Sample → (y, batch): rows in batch order, with a gap between batches."""
    batches = feed.batches
    if not batches:
        by_batch: dict[int, list[int]] = {}
        for cell in feed.cells:
            members = by_batch.setdefault(cell.batch, [])
            if cell.sample not in members:
                members.append(cell.sample)
        batches = [by_batch[k] for k in sorted(by_batch)]
    gap = BATCH_GAP if any(len(samples) > 1 for samples in batches) else 0.0
    rows, row = {}, 0
    for k, samples in enumerate(batches):
        for s in samples:
            rows[int(s)] = (row + k * gap, k)
            row += 1
    return rows


def _arrow(kind: str, src: Point, dst: Point, gutter: float) -> tuple[Point, Point]:
    """(tail, head) of the arrow into a box at ``dst`` from the box at ``src`` (centres)."""
    if kind == PREVIOUS_BATCH and src[0] == dst[0]:
        # The same column (one-step samples): run down the gutter right of the boxes, so the
        # arrow passes no box on its way from sample i of one batch to sample i of the next.
        return (src[0] + gutter, src[1]), (dst[0] + gutter, dst[1])
    return (src[0] + HALF_WIDTH, src[1]), (dst[0] - HALF_WIDTH, dst[1])


def _hover(cell: FeedCell, batch: int, text: str | None, labels: tuple[str, ...]) -> str:
    kind = cell.source.kind
    where = SOURCE_LABELS.get(kind, plain(kind))
    if kind != ZEROS:
        where += f" (sample {cell.source.sample}, step {cell.source.step})"
    if cell.position is None:
        target = "nothing (no output is trained here)"
    else:
        target = "position " + label_of(labels, cell.position)
    lines = [f"batch {batch}, sample {cell.sample}, step {cell.step}"]
    lines += [f"input {token(text, HOVER_CHARS)}", f"predicts {target}", where]
    extra = ["state reset here"] if cell.reset else []
    if cell.gradient_cut:
        extra.append("the gradient stops here: backpropagation never reaches the batch before")
    return "<br>".join(lines + extra)


def _target(mode: ModeResult, position: int) -> str:
    if 0 <= position < len(mode.predictions):
        return token(mode.predictions[position].target_text)
    return f"position {position}"


def _box(
    mode: ModeResult, cell: FeedCell, rows: dict[int, tuple[float, int]], labels: tuple[str, ...]
) -> FlowBox:
    s, t = cell.sample, cell.step
    y, batch = rows.get(s, (float(s), cell.batch))
    x_tokens = mode.feed.x_tokens
    text = x_tokens[s][t] if s < len(x_tokens) and t < len(x_tokens[s]) else None
    source = cell.source
    tail = head = None
    if source.kind in (PREVIOUS_STEP, PREVIOUS_BATCH) and source.sample is not None:
        src_y = rows.get(source.sample, (float(source.sample), 0))[0]
        # One gutter lane per slot of the batch, so parallel arrows never overlap.
        lane = min(0.08, 0.4 / max(1, mode.batch_size))
        gutter = HALF_WIDTH + 0.05 + (cell.index_in_batch + 1) * lane
        tail, head = _arrow(source.kind, (float(source.step or 0), src_y), (float(t), y), gutter)
    # The target token, as the position labels show it ("0: a→b"); the hover names the position.
    predicts = "no output" if cell.position is None else f"→ {_target(mode, cell.position)}"
    if cell.masked:
        predicts = "padding (masked)"
    return FlowBox(
        sample=s,
        step=t,
        x=float(t),
        y=y,
        position=cell.position,
        text=f"{token(text)}<br>{predicts}",
        hover=_hover(cell, batch, text, labels),
        kind=source.kind,
        reset=cell.reset,
        tail=tail,
        head=head,
        cut=cell.gradient_cut,
    )


def _collect_flow(mode: ModeResult) -> Flow:
    labels = position_labels(mode, HOVER_CHARS)
    rows = _rows(mode.feed)
    boxes = tuple(_box(mode, cell, rows, labels) for cell in mode.feed.cells)
    drawn = {b.sample for b in boxes}
    by_row = sorted((y, f"batch {batch}, sample {s}") for s, (y, batch) in rows.items() if s in drawn)
    timesteps = max([b.step + 1 for b in boxes] + [0])
    subtitle = plain(f"{mode.feed.description} X {mode.x_shape}, Y {mode.y_shape}.")
    return Flow(boxes, tuple(by_row), timesteps, subtitle)


def _boxes_and_arrows(info: Flow) -> dict[str, Any]:
    """The boxes (layout shapes) and the arrows (layout annotations) as layout items."""
    shapes = [
        {
            "type": "rect",
            "x0": box.x - HALF_WIDTH,
            "x1": box.x + HALF_WIDTH,
            "y0": box.y - HALF_HEIGHT,
            "y1": box.y + HALF_HEIGHT,
            "line": {"color": "#888", "width": 1},
            "fillcolor": BOX_FILLS[box.position is not None],
            "layer": "below",
        }
        for box in info.boxes
    ]
    arrows = [
        {
            "name": box.kind,
            "x": box.head[0],
            "y": box.head[1],
            "ax": box.tail[0],
            "ay": box.tail[1],
            "xref": "x",
            "yref": "y",
            "axref": "x",
            "ayref": "y",
            "text": "",
            "showarrow": True,
            "arrowhead": 2,
            "arrowsize": 1.2,
            "arrowwidth": 1.6,
            "arrowcolor": SOURCE_COLORS.get(box.kind, OTHER_SOURCE_COLOR),
            "standoff": 1,
        }
        for box in info.boxes
        if box.tail is not None and box.head is not None
    ]
    return {"shapes": shapes, "annotations": arrows}


def _cut_traces(boxes: tuple[FlowBox, ...]) -> list[dict[str, Any]]:
    """A ✂ where state flows in from the previous batch but the gradient stops."""
    cuts = [b for b in boxes if b.cut]
    if not cuts:
        return []
    return [
        {
            "type": "scatter",
            "x": [b.x - HALF_WIDTH - 0.02 for b in cuts],
            "y": [b.y + HALF_HEIGHT * 0.55 for b in cuts],
            "mode": "text",
            "text": ["✂"] * len(cuts),
            # The page's text colour: the orange of the arrows is 2.3:1 on white, too faint for text.
            "textfont": {"size": 13},
            "name": "✂ state flows in, the gradient stops",
            "hoverinfo": "skip",
            "showlegend": False,
        },
        {
            # The legend's entry: a text trace's own sample ("Aa") is drawn at 10 px whatever the theme.
            "type": "scatter",
            "x": [None],
            "y": [None],
            "mode": "markers",
            "marker": {"symbol": "line-ns-open", "size": 12, "color": SOURCE_COLORS[PREVIOUS_BATCH]},
            "name": "✂ state flows in, the gradient stops",
        },
    ]


def _marker_traces(info: Flow) -> list[dict[str, Any]]:
    """The boxes' text and hover, the zeros circles, the reset labels, and a legend entry
    per arrow colour (annotations have none of their own)."""
    boxes, zeros = info.boxes, [b for b in info.boxes if b.kind == ZEROS]
    resets = [b for b in info.boxes if b.reset]
    traces: list[dict[str, Any]] = [
        {
            "type": "scatter",
            "x": [b.x for b in boxes],
            "y": [b.y for b in boxes],
            "mode": "markers+text",
            "text": [b.text for b in boxes],
            "textfont": {"size": 11 if info.timesteps <= 12 else 9},
            "hovertext": [b.hover for b in boxes],
            "hoverinfo": "text",
            "marker": {"size": 28, "color": "rgba(0,0,0,0)", "symbol": "square"},
            "showlegend": False,
            "name": "boxes",
        },
        {
            "type": "scatter",
            "x": [b.x - HALF_WIDTH + 0.06 for b in zeros],
            "y": [b.y for b in zeros],
            "mode": "markers",
            "marker": {
                "symbol": "circle-open",
                "size": 10,
                "color": SOURCE_COLORS[ZEROS],
                "line": {"width": 2},
            },
            "name": SOURCE_LABELS[ZEROS],
            "hoverinfo": "skip",
        },
        {
            "type": "scatter",
            "x": [b.x - HALF_WIDTH for b in resets],
            "y": [b.y - HALF_HEIGHT for b in resets],
            "mode": "text",
            "text": ["reset"] * len(resets),
            "textposition": "top right",
            # Zeros' colour: a reset is where zeros enter.
            "textfont": {"size": 9, "color": SOURCE_COLORS[ZEROS]},
            "name": "reset",
            "showlegend": False,
            "hoverinfo": "skip",
        },
    ]
    if not zeros:
        traces[1]["showlegend"] = False  # no box starts from zeros: its legend entry would not apply
    return traces + _cut_traces(boxes) + _arrow_legend(boxes)


def _arrow_legend(boxes: tuple[FlowBox, ...]) -> list[dict[str, Any]]:
    """A legend entry per arrow colour the diagram draws (annotations have none of their own)."""
    kinds = {b.kind for b in boxes if b.tail is not None}
    return [
        {
            "type": "scatter",
            "x": [None],
            "y": [None],
            "mode": "lines",
            "line": {"color": SOURCE_COLORS[kind], "width": 2},
            "name": f"→ {SOURCE_LABELS[kind]}",
        }
        for kind in (PREVIOUS_STEP, PREVIOUS_BATCH)
        if kind in kinds
    ]


def _drawn(info: Flow) -> tuple[Flow, str]:
    """The first ``MAX_ROWS`` samples (fewer when they would need over ``MAX_BOXES`` boxes) and
    ``MAX_STEPS`` steps of ``info`` (every arrow into
    them comes from an earlier sample or step, so none is cut), and a sentence saying so."""
    steps = min(info.timesteps, MAX_STEPS)
    rows = info.rows[: min(MAX_ROWS, max(2, MAX_BOXES // max(steps, 1)))]
    if len(rows) == len(info.rows) and steps == info.timesteps:
        return info, ""
    last = rows[-1][0]
    boxes = tuple(b for b in info.boxes if b.y <= last and b.step < steps)
    note = (
        f" Drawn: samples 0–{len(rows) - 1} of {len(info.rows)}, steps 0–{steps - 1} of {info.timesteps};"
        " the table below has them all."
    )
    return Flow(boxes, rows, steps, info.subtitle), note


def state_flow_figure(mode: ModeResult) -> Figure:
    """Where each step's state comes from: one box per (sample, step), rows grouped by batch
    (the first ``MAX_ROWS`` samples and ``MAX_STEPS`` steps; the subtitle says when there are more).

    Each box shows its input token and the position it predicts. Arrows bring state in from
    the previous step or from the same slot of the previous batch (stateful); a hollow circle
    marks a box whose state starts from zeros, and "reset" where the state is reset.
    """
    info, note = _drawn(_collect_flow(mode))
    title = f"{mode_name(mode)}: where each step's state comes from"
    if not info.boxes:
        return empty(title, "No feed to show.")
    span = info.rows[-1][0] - info.rows[0][0] + 1
    right = max(info.timesteps, MIN_COLUMNS) - 1 + HALF_WIDTH + 0.55
    steps = {
        "tickmode": "array",
        "tickvals": list(range(info.timesteps)),
        "ticktext": [f"step {t}" for t in range(info.timesteps)],
        "side": "top",
        "range": [-0.6, right],
        "showgrid": False,
        "zeroline": False,
    }
    samples = {
        "tickmode": "array",
        "tickvals": [y for y, _ in info.rows],
        "ticktext": [label for _, label in info.rows],
        "range": [info.rows[-1][0] + 0.55, info.rows[0][0] - 0.55],  # reversed: batch 0 on top
        "showgrid": False,
        "zeroline": False,
    }
    fig = figure(
        _marker_traces(info),
        xaxis=steps,
        yaxis=samples,
        legend={"orientation": "h", "x": 0.0, "y": 0.0, "yanchor": "top"},
        **_boxes_and_arrows(info),
    )
    fig = layout(fig, title, info.subtitle + note, height=clamp(190 + ROW_PIXELS * span, 300, 2000))
    fig["layout"]["margin"].update({"t": fig["layout"]["margin"]["t"] + 24, "b": 60, "l": 120})
    return fig
