"""The training loss per epoch, one line per mode, with each mode's loss floor."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from seqviz.figures._common import Figure, empty, envelope, figure, layout, mode_color, plain
from seqviz.results import ModeResult

TITLE = "Training loss per epoch"


@dataclass(frozen=True)
class LossLine:
    """One mode's line: its losses from epoch 1 on, and the lowest loss its inputs allow."""

    mode: str
    epochs: tuple[int, ...]
    loss: tuple[float, ...]
    floor: float | None


def _collect_loss(runs: list[ModeResult]) -> tuple[LossLine, ...]:
    return tuple(
        LossLine(
            mode=r.mode,
            epochs=tuple(range(1, len(r.loss) + 1)),
            loss=tuple(float(v) for v in r.loss),
            floor=None if r.loss_floor is None else float(r.loss_floor),
        )
        for r in runs
    )


def _traces(line: LossLine, last_epoch: int) -> list[dict[str, Any]]:
    color = mode_color(line.mode)
    name = plain(line.mode)
    x, y = envelope(line.epochs, line.loss)
    traces: list[dict[str, Any]] = [
        {
            "type": "scatter",
            "x": x,
            "y": y,
            "mode": "lines",
            "name": name,
            "legendgroup": name,
            "line": {"color": color, "width": 2},
            "hovertemplate": f"{name}<br>epoch %{{x}}<br>loss %{{y:.6f}}<extra></extra>",
        }
    ]
    if line.floor is not None:
        traces.append(
            {
                "type": "scatter",
                "x": [1, last_epoch],
                "y": [line.floor, line.floor],
                "mode": "lines",
                "name": f"{name} floor = {line.floor:.4g}",
                "legendgroup": name,
                "line": {"color": color, "width": 1.5, "dash": "dash"},
                "hovertemplate": f"{name} loss floor: %{{y:.6f}}<extra></extra>",
            }
        )
    return traces


def loss_figure(runs: list[ModeResult], log_scale: bool = False) -> Figure:
    """Loss per epoch, one line per mode, and each mode's loss floor as a dashed line; a line
    of more than ``MAX_LINE_POINTS`` epochs keeps each bucket's lowest and highest loss.

    Args:
        runs: every mode of a run (``Run.runs``).
        log_scale: a logarithmic loss axis (floors of 0 cannot be drawn on it).
    """
    lines = _collect_loss(runs)
    if not lines:
        return empty(TITLE, "No runs to show.")
    last_epoch = max([len(line.loss) for line in lines] + [1])
    subtitle = "Dashed: each mode's loss floor, the lowest loss its inputs allow."
    if log_scale and any(line.floor is not None and line.floor <= 0 for line in lines):
        subtitle += " Floors of 0 cannot be drawn on a log axis."
    fig = figure(
        [trace for line in lines for trace in _traces(line, last_epoch)],
        xaxis={"title": {"text": "epoch"}},
        yaxis={"title": {"text": "loss"}, "type": "log" if log_scale else "linear"},
    )
    return layout(fig, TITLE, subtitle, height=420)
