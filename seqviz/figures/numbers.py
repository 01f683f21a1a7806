"""A regression run's predictions against its targets, as lines over the positions: the
training part, then (with a test part) the test part beside it, in the target's own units."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from seqviz.figures._common import (
    TARGET_COLOR,
    Figure,
    empty,
    figure,
    layout,
    mode_color,
    pick_snapshot,
    plain,
)
from seqviz.results import ModeResult

TITLE = "Predicted and target values"


@dataclass(frozen=True)
class NumberLines:
    """One part (train or test): per position its x, the target and the prediction."""

    part: str  # "train" | "test"
    x: tuple[int, ...]
    targets: tuple[float, ...]
    predicted: tuple[float, ...]


def _collect_numbers(
    mode: ModeResult, snapshot: int | None, scale: tuple[float, float]
) -> tuple[tuple[NumberLines, ...], str]:
    """The train part (at ``snapshot``'s weights, or the final ones) and the test part (final
    weights), and which epoch is drawn. ``scale`` (target scale, target mean) turns a
    snapshot's model outputs back into the target's units."""
    chosen, when = pick_snapshot(mode, snapshot)
    train = mode.predictions
    if chosen is None:
        predicted = tuple(float(p.predicted) for p in train if not isinstance(p.predicted, str))
    else:
        predicted = tuple(float(row[0]) * scale[0] + scale[1] for row in chosen.probabilities[: len(train)])
    parts = [
        NumberLines(
            "train",
            tuple(range(len(train))),
            tuple(float(p.target) for p in train if not isinstance(p.target, str)),
            predicted,
        )
    ]
    if mode.test is not None:
        test = mode.test.predictions
        first = len(train)
        parts.append(
            NumberLines(
                "test",
                tuple(first + k for k in range(len(test))),
                tuple(float(p.target) for p in test if not isinstance(p.target, str)),
                tuple(float(p.predicted) for p in test if not isinstance(p.predicted, str)),
            )
        )
    return tuple(parts), when


def _traces(lines: NumberLines, mode: str) -> list[dict[str, Any]]:
    dash = "solid" if lines.part == "train" else "dot"
    name = plain(mode)
    return [
        {
            "type": "scatter",
            "x": list(lines.x),
            "y": list(lines.targets),
            "mode": "lines",
            "name": f"target ({lines.part})",
            "line": {"color": TARGET_COLOR, "width": 1.5, "dash": dash},
            "hovertemplate": f"position %{{x}}<br>target %{{y:.6g}}<extra>{lines.part}</extra>",
        },
        {
            "type": "scatter",
            "x": list(lines.x),
            "y": list(lines.predicted),
            "mode": "lines",
            "name": f"{name} predicted ({lines.part})",
            "line": {"color": mode_color(mode), "width": 2, "dash": dash},
            "hovertemplate": f"position %{{x}}<br>predicted %{{y:.6g}}<extra>{lines.part}</extra>",
        },
    ]


def number_predictions_figure(
    mode: ModeResult, snapshot: int | None = None, scale: tuple[float, float] = (1.0, 0.0)
) -> Figure:
    """The targets (black) and the predictions (the mode's colour) over the positions; the test
    part, when there is one, dotted to the right of the training part.

    Args:
        snapshot: a weight snapshot's index for the training part (None: the final weights).
        scale: (target scale, target mean) of the run's scaling, for snapshot outputs.
    """
    parts, when = _collect_numbers(mode, snapshot, scale)
    if not parts[0].x or not parts[0].predicted:
        return empty(TITLE, "No numeric predictions to show.")
    traces = [trace for part in parts for trace in _traces(part, mode.mode)]
    shapes = []
    if len(parts) > 1:
        edge = parts[1].x[0] - 0.5
        shapes.append(
            {
                "type": "line",
                "x0": edge,
                "x1": edge,
                "y0": 0,
                "y1": 1,
                "yref": "paper",
                "line": {"color": "#999", "dash": "dash", "width": 1},
            }
        )
    fig = figure(
        traces,
        xaxis={"title": {"text": "position (train, then test)" if len(parts) > 1 else "position"}},
        yaxis={"title": {"text": "value"}},
        shapes=shapes,
        legend={"orientation": "h", "y": -0.2},
    )
    subtitle = f"{plain(mode.mode)}, {when}. Black: the targets; coloured: the predictions"
    subtitle += "; dotted, right of the dashed line: the test part." if len(parts) > 1 else "."
    return layout(fig, TITLE, subtitle, height=380)
