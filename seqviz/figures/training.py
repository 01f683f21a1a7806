"""Play through training: the loss per epoch with a marker on each mode's curve at the epoch
shown, and below it each position's probability of its target at that epoch, played over the
run's weight snapshots with a slider and a play button, in the browser.

Each frame is one snapshot epoch. A mode shows its snapshot of that epoch (a mode that
stopped early keeps its last one). A long run plays at most ``MAX_FRAMES`` snapshots, evenly
spaced with the first and the last, and a sequence of more than ``MAX_POINTS`` positions
averages them in bins: every frame ships every point it moves, and the subtitle says what was
thinned.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from seqviz.figures._common import (
    Figure,
    binned,
    empty,
    envelope,
    figure,
    layout,
    mode_color,
    plain,
)
from seqviz.figures._player import CONTROLS_PIXELS, controls
from seqviz.results import ModeResult, Snapshot

MAX_FRAMES = 60  # snapshot epochs played at most
FRAME_VALUES = 12000  # target probabilities shipped over all frames at most (~10 bytes each)
MAX_POINTS = 100  # per mode and frame: more positions are averaged in bins
TITLE = "Play through training: loss and predictions at each snapshot epoch"


@dataclass(frozen=True)
class ModeFrames:
    """One mode: its loss curve, and per played epoch the snapshot it shows."""

    mode: str
    epochs: tuple[int, ...]  # of the loss curve, from 1
    loss: tuple[float, ...]
    shown: tuple[Snapshot, ...]  # per played epoch
    targets: tuple[int, ...]  # per position: its target's index in the vocabulary
    apart: tuple[
        tuple[int, float], ...
    ] = ()  # per snapshot: (epoch, max |h(a) - h(b)|), when a pair is given


@dataclass(frozen=True)
class TrainingPlay:
    epochs: tuple[int, ...]  # the snapshot epochs played
    kept: int  # snapshot epochs the run has (``epochs`` may be some of them)
    modes: tuple[ModeFrames, ...]
    bin_size: int  # positions averaged per point (1: every position)
    positions: int
    pair: tuple[int, int] | None = None  # the two positions whose states are compared


def played_epochs(epochs: list[int], limit: int) -> list[int]:
    """At most ``limit`` of ``epochs`` (sorted), evenly spaced, the first and the last kept."""
    if len(epochs) <= limit:
        return epochs
    if limit <= 1:
        return epochs[-1:]
    picks = {round(k * (len(epochs) - 1) / (limit - 1)) for k in range(limit)}
    return [epochs[k] for k in sorted(picks)]


def _shown(mode: ModeResult, epoch: int) -> Snapshot:
    """The mode's snapshot at ``epoch``, or its latest before (a mode that stopped early)."""
    before = [s for s in mode.snapshots if s.epoch <= epoch]
    return before[-1] if before else mode.snapshots[0]


def state_gap(snapshot: Snapshot, a: int, b: int) -> float:
    """The largest difference, over the units, between the ``h`` positions ``a`` and ``b`` leave."""
    h = snapshot.states["h"]
    return round(max((abs(x - y) for x, y in zip(h[a], h[b])), default=0.0), 6)


def _collect_training(
    modes: list[ModeResult], vocabulary: list[str], pair: tuple[int, int] | None = None
) -> TrainingPlay:
    modes = [m for m in modes if m.snapshots and m.predictions]
    all_epochs = sorted({s.epoch for m in modes for s in m.snapshots})
    positions = max([len(m.predictions) for m in modes] + [0])
    size = max(1, -(-positions // MAX_POINTS))
    per_frame = max(1, len(modes) * -(-positions // size))
    epochs = tuple(played_epochs(all_epochs, max(2, min(MAX_FRAMES, FRAME_VALUES // per_frame))))
    index = {token: k for k, token in enumerate(vocabulary)}
    out = tuple(
        ModeFrames(
            mode=m.mode,
            epochs=tuple(range(1, len(m.loss) + 1)),
            loss=tuple(float(v) for v in m.loss),
            shown=tuple(_shown(m, e) for e in epochs),
            targets=tuple(index.get(p.target_text, 0) for p in m.predictions),
            apart=() if pair is None else tuple((s.epoch, state_gap(s, *pair)) for s in m.snapshots),
        )
        for m in modes
    )
    return TrainingPlay(epochs, len(all_epochs), out, size, positions, pair)


def target_probabilities(line: ModeFrames, snapshot: Snapshot, size: int) -> list[float]:
    """Each position's probability of its target at ``snapshot``, averaged in bins of ``size``."""
    values = tuple((float(probs[t]),) for probs, t in zip(snapshot.probabilities, line.targets))
    return [round(row[0], 6) for row in binned(values, size)]


def _frame_traces(info: TrainingPlay, k: int) -> list[dict[str, Any]]:
    """Frame ``k``: each mode's loss marker, each mode's target probabilities, and with a pair
    each mode's marker on its line of state differences."""
    markers = [{"x": [line.shown[k].epoch], "y": [line.shown[k].loss]} for line in info.modes]
    bars = [{"y": target_probabilities(line, line.shown[k], info.bin_size)} for line in info.modes]
    if info.pair is None:
        return markers + bars
    gaps = [{"x": [line.shown[k].epoch], "y": [state_gap(line.shown[k], *info.pair)]} for line in info.modes]
    return markers + bars + gaps


def _static_traces(info: TrainingPlay) -> list[dict[str, Any]]:
    traces: list[dict[str, Any]] = []
    for line in info.modes:
        name, color = plain(line.mode), mode_color(line.mode)
        x, y = envelope(line.epochs, line.loss)
        traces.append(
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
        )
    for line in info.modes if info.pair is not None else []:
        name, color = plain(line.mode), mode_color(line.mode)
        traces.append(
            {
                "type": "scatter",
                "x": [e for e, _ in line.apart],
                "y": [g for _, g in line.apart],
                "mode": "lines",
                "name": f"{name}: state gap",
                "legendgroup": name,
                "showlegend": False,
                "line": {"color": color, "width": 1.5, "dash": "dot"},
                "xaxis": "x3",
                "yaxis": "y3",
                "hovertemplate": f"{name}<br>epoch %{{x}}<br>max |Δh| = %{{y:.6f}}<extra></extra>",
            }
        )
    return traces


def _moving_traces(info: TrainingPlay) -> list[dict[str, Any]]:
    first = _frame_traces(info, 0)
    n = len(info.modes)
    starts = range(0, info.positions, info.bin_size)
    x = (
        list(starts)
        if info.bin_size == 1
        else [f"{a}–{min(a + info.bin_size, info.positions) - 1}" for a in starts]
    )
    traces = []
    for line, marker in zip(info.modes, first[:n]):
        name, color = plain(line.mode), mode_color(line.mode)
        traces.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": f"{name} at the epoch shown",
                "legendgroup": name,
                "showlegend": False,
                "marker": {"size": 13, "color": color, "line": {"color": "#000", "width": 1.5}},
                "hovertemplate": f"{name}<br>epoch %{{x}}<br>loss %{{y:.6f}}<extra></extra>",
                **marker,
            }
        )
    for line, probs in zip(info.modes, first[n:]):
        name, color = plain(line.mode), mode_color(line.mode)
        traces.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": f"{name}: probability of the target",
                "legendgroup": name,
                "showlegend": False,
                "x": x,
                "line": {"color": color, "width": 1.5},
                "marker": {"size": 7, "color": color},
                "xaxis": "x2",
                "yaxis": "y2",
                "hovertemplate": f"{name}<br>position %{{x}}<br>P(target) = %{{y:.3f}}<extra></extra>",
                **probs,
            }
        )
    for line, gap in zip(info.modes, first[2 * n :]):
        name, color = plain(line.mode), mode_color(line.mode)
        traces.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": f"{name}: state gap at the epoch shown",
                "legendgroup": name,
                "showlegend": False,
                "marker": {"size": 11, "color": color, "line": {"color": "#000", "width": 1.5}},
                "xaxis": "x3",
                "yaxis": "y3",
                "hovertemplate": f"{name}<br>epoch %{{x}}<br>max |Δh| = %{{y:.6f}}<extra></extra>",
                **gap,
            }
        )
    return traces


def _note(info: TrainingPlay) -> str:
    notes = []
    if len(info.epochs) < info.kept:
        notes.append(f"Played: {len(info.epochs)} of the {info.kept} snapshot epochs, evenly spaced.")
    if info.bin_size > 1:
        notes.append(f"Positions averaged in bins of {info.bin_size}.")
    return " ".join(notes)


def _axes(info: TrainingPlay) -> dict[str, Any]:
    """The loss on top, the target probabilities under it, and with a pair the state gap last."""
    loss, probs, gap = (
        ([0.56, 1.0], [0.0, 0.4], None)
        if info.pair is None
        else (
            [0.72, 1.0],
            [0.36, 0.6],
            [0.0, 0.24],
        )
    )
    axes: dict[str, Any] = {
        "xaxis": {"title": {"text": "epoch"}, "domain": [0.0, 1.0], "anchor": "y"},
        "yaxis": {"title": {"text": "loss"}, "domain": loss, "anchor": "x"},
        "xaxis2": {
            "title": {"text": "position"},
            "domain": [0.0, 1.0],
            "anchor": "y2",
            "type": "category" if info.bin_size > 1 else "linear",
            **({"dtick": 1} if info.positions <= 30 and info.bin_size == 1 else {}),
        },
        "yaxis2": {"title": {"text": "P(target)"}, "domain": probs, "anchor": "x2", "range": [-0.03, 1.03]},
    }
    if gap is not None:
        axes["xaxis3"] = {"title": {"text": "epoch"}, "domain": [0.0, 1.0], "anchor": "y3", "matches": "x"}
        axes["yaxis3"] = {"title": {"text": "max |Δh|"}, "domain": gap, "anchor": "x3", "rangemode": "tozero"}
    return axes


def training_figure(
    modes: list[ModeResult], vocabulary: list[str], pair: tuple[int, int] | None = None
) -> Figure:
    """The loss curves with a marker per mode at the epoch shown, below them each position's
    probability of its target, and, for a ``pair`` of positions, how far apart the states
    (``h``) they leave are, played over the snapshot epochs.

    Frame ``k`` (named ``str(k)``) shows snapshot epoch ``k`` of the played ones: its traces
    are the modes' loss markers, the modes' target probabilities, then (with a pair) the
    modes' state-gap markers.

    Args:
        modes: every mode of a run (``Run.runs``).
        vocabulary: the run's vocabulary (``Run.vocabulary``), the order of each probability vector.
        pair: two positions (``seqviz.reach.telling_pair``); None draws no state panel.
    """
    positions = min((len(m.predictions) for m in modes), default=0)
    if pair is not None and not all(0 <= p < positions for p in pair):
        pair = None
    info = _collect_training(modes, vocabulary, pair)
    if not info.modes:
        return empty(TITLE, "No snapshots to play.")
    fig = figure(
        _static_traces(info) + _moving_traces(info),
        **_axes(info),
        legend={"orientation": "h", "x": 0.0, "y": 1.0, "yanchor": "bottom"},
    )
    n, panels = len(info.modes), 2 if pair is None else 3
    moved = list(range((panels - 1) * n, (2 * panels - 1) * n))
    fig["frames"] = [
        {"name": str(k), "data": _frame_traces(info, k), "traces": moved} for k in range(len(info.epochs))
    ]
    subtitle = (
        "Top: the loss per epoch; the ringed dot is each mode at the epoch shown. Then each position's "
        "probability of its target at that epoch (1 is right and sure)."
    )
    if pair is not None:
        subtitle += (
            f" Bottom: how far apart the states positions {pair[0]} and {pair[1]} leave are (0: the mode "
            "cannot tell them apart)."
        )
    fig = layout(
        fig,
        TITLE,
        f"{subtitle} {_note(info)}".strip(),
        height=(560 if pair is None else 760) + CONTROLS_PIXELS,
    )
    margin = fig["layout"]["margin"]
    margin["t"] += 30  # the legend sits above the loss plot
    margin["b"] = 56 + CONTROLS_PIXELS  # the last axis's title, then the controls
    plot = fig["layout"]["height"] - margin["t"] - margin["b"]
    fig["layout"].update(controls([str(e) for e in info.epochs], "epoch ", -56 / plot, plot, 500))
    return fig
