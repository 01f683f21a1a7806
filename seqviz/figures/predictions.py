"""The prediction heatmap: each token's predicted probability at each position, the target
outlined and a ✓ or ✗ above each column."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from seqviz.figures._common import (
    HOVER_CHARS,
    PANEL_CHARS,
    TARGET_COLOR,
    VERDICT_COLORS,
    Columns,
    Figure,
    Grid,
    binned,
    binned_axis,
    clamp,
    colorscale,
    columns,
    empty,
    figure,
    groups_note,
    label_of,
    label_room,
    layout,
    mode_name,
    pick_snapshot,
    position_axis,
    position_labels,
    token,
    transpose,
)
from seqviz.results import ModeResult


@dataclass(frozen=True)
class PredictionGrid:
    """What the heatmap draws; ``missing`` says why there is nothing to draw (None: there is)."""

    probabilities: Grid  # (positions, V)
    targets: tuple[int | None, ...]  # per position, the target's row (None: not in the vocabulary)
    correct: tuple[bool, ...]
    tokens: tuple[str, ...]  # the vocabulary, escaped, as row labels
    labels: tuple[str, ...]  # tick labels "p: input→target", one per column
    hover_labels: tuple[str, ...]  # the same, with longer tokens
    when: str
    missing: str | None


def _argmax(row: tuple[float, ...]) -> int:
    return max(range(len(row)), key=row.__getitem__) if row else -1


def _collect_predictions(mode: ModeResult, vocabulary: list[str], snapshot: int | None) -> PredictionGrid:
    chosen, when = pick_snapshot(mode, snapshot)
    rows = chosen.probabilities if chosen is not None else [p.probabilities for p in mode.predictions]
    probabilities = tuple(tuple(float(v) for v in row) for row in rows)
    index = {t: k for k, t in enumerate(vocabulary)}
    # Padded to one entry per drawn column, should a snapshot hold more positions than predictions.
    targets = tuple(index.get(p.target_text) for p in mode.predictions)
    targets += (None,) * (len(probabilities) - len(targets))
    if chosen is None:
        correct = tuple(p.correct for p in mode.predictions)
    else:  # at any epoch, as at the last: a tie is never counted right
        preds = mode.predictions
        top = [vocabulary[_argmax(row)] for row in probabilities]
        correct = tuple(k < len(preds) and preds[k].right_if(token) for k, token in enumerate(top))
    short, long = position_labels(mode), position_labels(mode, HOVER_CHARS)
    columns = range(len(probabilities))
    return PredictionGrid(
        probabilities=probabilities,
        targets=targets,
        correct=correct,
        tokens=tuple(token(t) for t in vocabulary),
        labels=tuple(label_of(short, p) for p in columns),
        hover_labels=tuple(label_of(long, p) for p in columns),
        when=when,
        missing=None if probabilities and vocabulary else "No predictions to show.",
    )


def _heatmap(info: PredictionGrid, vocabulary: list[str], shape: Columns) -> dict[str, Any]:
    positions = range(len(info.probabilities))
    trace: dict[str, Any] = {
        "type": "heatmap",
        "z": transpose(binned(info.probabilities, shape.size)),
        "x": list(shape.labels) if shape.binned else list(positions),
        "y": list(range(len(vocabulary))),
        "zmin": 0,
        "zmax": 1,
        "colorscale": colorscale("Blues"),
        "colorbar": {"title": {"text": "p"}, "thickness": 12},
    }
    if not shape.detailed:
        where, value = ("positions", "mean probability") if shape.binned else ("position", "probability")
        # The token's name per cell: a few bytes, where the full hover text is ~50.
        trace["text"] = [[t] * len(trace["x"]) for t in info.tokens]
        trace["hovertemplate"] = f"{where} %{{x}}<br>token %{{text}}<br>{value} %{{z:.6f}}<extra></extra>"
        return trace
    customdata = [
        [
            [info.hover_labels[p], token(t, HOVER_CHARS), " (the target)" if info.targets[p] == v else ""]
            for p in positions
        ]
        for v, t in enumerate(vocabulary)
    ]
    trace["customdata"] = customdata
    trace["hovertemplate"] = (
        "position %{customdata[0]}<br>token %{customdata[1]}%{customdata[2]}"
        "<br>probability %{z:.6f}<extra></extra>"
    )
    return trace


def _marks(info: PredictionGrid) -> dict[str, Any]:
    """The target's outline in each column, and ✓/✗ above it, as layout items."""
    shapes = [
        {
            "type": "rect",
            "x0": p - 0.5,
            "x1": p + 0.5,
            "y0": t - 0.5,
            "y1": t + 0.5,
            "line": {"color": TARGET_COLOR, "width": 2.5},
        }
        for p, t in enumerate(info.targets)
        if t is not None
    ]
    annotations = [
        {
            "x": p,
            "y": 1.0,
            "xref": "x",
            "yref": "paper",
            "yanchor": "bottom",
            "text": "✓" if ok else "✗",
            "showarrow": False,
            "font": {"size": 14, "color": VERDICT_COLORS[ok]},
        }
        for p, ok in enumerate(info.correct)
    ]
    return {"shapes": shapes, "annotations": annotations}


def predictions_figure(mode: ModeResult, vocabulary: list[str], snapshot: int | None = None) -> Figure:
    """Heatmap of each token's predicted probability (rows) at each position (columns).

    Each position's target cell is outlined and a ✓/✗ above the column says whether the most
    probable token is the target; past ``MAX_COLUMNS`` positions, columns average bins of
    positions and the subtitle alone counts the right ones.

    Args:
        mode: one mode's result.
        vocabulary: ``Run.vocabulary``, the row order.
        snapshot: an index into ``mode.snapshots``: that epoch's probabilities, not the final ones.
    """
    info = _collect_predictions(mode, vocabulary, snapshot)
    # Short: the app shows one of these per mode side by side.
    epoch = info.when.split(", snapshot")[0].removeprefix("final, ")
    title = f"{mode_name(mode)}: predicted probability, {epoch}"
    if info.missing is not None:
        return empty(title, info.missing)
    token_axis = {
        "title": {"text": "token"},
        "tickmode": "array",
        "tickvals": list(range(len(info.tokens))),
        "ticktext": list(info.tokens),
        "autorange": "reversed",
    }
    shape = columns(len(info.probabilities), len(vocabulary))
    heatmap = _heatmap(info, vocabulary, shape)
    if shape.binned:  # a column per bin: no one target to outline, no one verdict to mark
        fig = figure([heatmap], xaxis=binned_axis(shape), yaxis=token_axis)
        marks = f"mean probability over bins of {shape.size} positions"
    else:
        fig = figure([heatmap], xaxis=position_axis(info.labels), yaxis=token_axis, **_marks(info))
        marks = "✓: the most probable token is the target, outlined"
        if any(p.tie for p in mode.predictions):
            marks += "; a tie never counts"
    subtitle = f"{sum(info.correct)} of {len(info.probabilities)} right ({marks}). {groups_note(mode)}"
    height = clamp(170 + 30 * len(vocabulary), 260, 760) + label_room(shape.labels or info.labels)
    fig = layout(fig, title, subtitle, height=height, width=PANEL_CHARS)
    fig["layout"]["margin"]["t"] += 22
    fig["layout"]["title"]["font"] = {"size": 14}
    return fig
