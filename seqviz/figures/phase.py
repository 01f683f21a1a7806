"""The test pass: each token's predicted probability and the last layer's h at each test
position, and, with a reset, the same pass with the state set to zeros before one position,
side by side, so what the reset changed can be seen.

Top row: prediction heatmaps (tokens down), ✓ / ✗ / "tie" above each column and "changed"
under it where the reset pass predicts another token. Bottom row: h heatmaps (units down) on one
diverging scale; a dashed line marks where the state was reset.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from seqviz.figures._common import (
    PANEL_CHARS,
    TARGET_COLOR,
    VERDICT_COLORS,
    Columns,
    Figure,
    Grid,
    binned,
    clamp,
    colorscale,
    columns,
    empty,
    figure,
    label_room,
    layout,
    mode_name,
    token,
    transpose,
    unit_dtick,
)
from seqviz.results import ModeResult, Prediction, Vector


@dataclass(frozen=True)
class PhasePanel:
    """One pass over the test sequence."""

    title: str
    probabilities: Grid  # (positions, V)
    h: Grid  # (positions, units); empty when the run kept no states
    marks: tuple[str, ...]  # per position: "✓", "✗" or "tie"
    changed: tuple[bool, ...]  # per position: predicts another token than the untouched pass


@dataclass(frozen=True)
class PhasePass:
    """What the figure draws; ``missing`` says why there is nothing (None: there is)."""

    panels: tuple[PhasePanel, ...]
    tokens: tuple[str, ...]  # the vocabulary, escaped, as row labels
    labels: tuple[str, ...]  # per test position "p: input→target"
    targets: tuple[int | None, ...]  # per test position, the target's row
    reset_at: int | None
    missing: str | None


def _mark(p: Prediction) -> str:
    return p.mark


def _panel(
    title: str, predictions: list[Prediction], h: list[Vector] | None, before: list[str]
) -> PhasePanel:
    return PhasePanel(
        title=title,
        probabilities=tuple(tuple(float(v) for v in p.probabilities) for p in predictions),
        h=tuple(tuple(float(v) for v in row) for row in h or []),
        marks=tuple(_mark(p) for p in predictions),
        changed=tuple(p.predicted_text != b for p, b in zip(predictions, before)) if before else (),
    )


def _collect_phase(mode: ModeResult, vocabulary: list[str]) -> PhasePass:
    test = mode.test
    if test is None or not test.predictions:
        return PhasePass((), (), (), (), None, "No test sequence in this run.")
    untouched = [p.predicted_text for p in test.predictions]
    panels = [_panel("untouched", test.predictions, test.h, [])]
    if test.reset_at is not None and test.reset_predictions is not None:
        title = f"state reset to zeros before position {test.reset_at}"
        panels.append(_panel(title, test.reset_predictions, test.reset_h, untouched))
    index = {t: k for k, t in enumerate(vocabulary)}
    return PhasePass(
        panels=tuple(panels),
        tokens=tuple(token(t) for t in vocabulary),
        labels=tuple(f"{p.position}: {token(p.input)}→{token(p.target_text)}" for p in test.predictions),
        targets=tuple(index.get(p.target_text) for p in test.predictions),
        reset_at=test.reset_at if len(panels) > 1 else None,
        missing=None,
    )


def _axes(k: int, row: int, cols: int, info: PhasePass, shape: Columns) -> dict[str, Any]:
    """Layout items of the plot in ``row`` (0: predictions, 1: h), column ``k``."""
    n = row * cols + k
    suffix = "" if n == 0 else str(n + 1)
    gap = 0.06
    width = (1 - gap * (cols - 1)) / cols
    x_domain = [k * (width + gap), k * (width + gap) + width]
    y_domain = [0.55, 1.0] if row == 0 else [0.0, 0.4]
    ticks: dict[str, Any] = (
        {"type": "category"}
        if shape.binned
        else {
            "tickmode": "array",
            "tickvals": list(range(len(info.labels))),
            "ticktext": list(info.labels) if row == 1 else [],
        }
    )
    rows = list(range(len(info.tokens))) if row == 0 else None
    yaxis: dict[str, Any] = {"anchor": f"x{suffix}", "domain": y_domain, "autorange": "reversed"}
    if rows is not None:
        yaxis.update(tickmode="array", tickvals=rows, ticktext=list(info.tokens), showticklabels=k == 0)
        yaxis["title"] = {"text": "token" if k == 0 else ""}
    else:
        units = len(info.panels[0].h[0])
        yaxis.update(
            dtick=unit_dtick(units), title={"text": "unit (h)" if k == 0 else ""}, showticklabels=k == 0
        )
    return {
        f"xaxis{suffix}": {"anchor": f"y{suffix}", "domain": x_domain, "showgrid": False, **ticks},
        f"yaxis{suffix}": yaxis,
    }


def _traces(panel: PhasePanel, k: int, cols: int, shape: Columns, peak: float) -> list[dict[str, Any]]:
    top, bottom = ("" if k == 0 else str(k + 1)), str(cols + k + 1)
    x = list(shape.labels) if shape.binned else list(range(len(panel.probabilities)))
    traces: list[dict[str, Any]] = [
        {
            "type": "heatmap",
            "z": transpose(binned(panel.probabilities, shape.size)),
            "x": x,
            "zmin": 0,
            "zmax": 1,
            "colorscale": colorscale("Blues"),
            "showscale": k == 0,
            "colorbar": {"title": {"text": "p"}, "thickness": 12, "len": 0.45, "y": 0.78},
            "hovertemplate": "position %{x}<br>token row %{y}<br>probability %{z:.6f}<extra></extra>",
            "xaxis": f"x{top}",
            "yaxis": f"y{top}",
        }
    ]
    if panel.h:
        traces.append(
            {
                "type": "heatmap",
                "z": transpose(binned(panel.h, shape.size)),
                "x": x,
                "zmin": -peak,
                "zmax": peak,
                "zmid": 0,
                "colorscale": colorscale("RdBu_r"),
                "showscale": k == 0,
                "colorbar": {"title": {"text": "h"}, "thickness": 12, "len": 0.4, "y": 0.2},
                "hovertemplate": "position %{x}<br>unit %{y}<br>h %{z:.6f}<extra></extra>",
                "xaxis": f"x{bottom}",
                "yaxis": f"y{bottom}",
            }
        )
    return traces


def _marks(panel: PhasePanel, k: int, info: PhasePass) -> dict[str, list[dict[str, Any]]]:
    """Targets outlined, ✓ / ✗ / tie above each column, "changed" under it; the reset line."""
    x, y = ("x", "y") if k == 0 else (f"x{k + 1}", f"y{k + 1}")
    shapes: list[dict[str, Any]] = [
        {
            "type": "rect",
            "xref": x,
            "yref": y,
            "x0": p - 0.5,
            "x1": p + 0.5,
            "y0": t - 0.5,
            "y1": t + 0.5,
            "line": {"color": TARGET_COLOR, "width": 2},
        }
        for p, t in enumerate(info.targets)
        if t is not None
    ]
    notes = []
    for p, mark in enumerate(panel.marks):
        text = mark + ("<br>changed" if panel.changed and panel.changed[p] else "")
        colour = VERDICT_COLORS[mark == "✓"]
        notes.append(
            {
                "x": p,
                "y": 1.0,
                "xref": x,
                "yref": f"{y} domain",
                "yanchor": "bottom",
                "text": text,
                "showarrow": False,
                "font": {"size": 12, "color": colour},
            }
        )
    if k > 0 and info.reset_at is not None:
        for axis in (k + 1, len(info.panels) + k + 1):
            shapes.append(
                {
                    "type": "line",
                    "xref": f"x{axis}",
                    "yref": f"y{axis} domain",
                    "x0": info.reset_at - 0.5,
                    "x1": info.reset_at - 0.5,
                    "y0": 0,
                    "y1": 1,
                    "line": {"color": TARGET_COLOR, "width": 2, "dash": "dash"},
                }
            )
    return {"shapes": shapes, "annotations": notes}


def prediction_phase_figure(mode: ModeResult, vocabulary: list[str]) -> Figure:
    """The test pass's predictions (top) and last-layer h (bottom) at each test position; with
    a reset, the untouched pass and the reset pass side by side.

    Args:
        mode: one mode's result, with ``test``.
        vocabulary: ``Run.vocabulary``, the row order.
    """
    info = _collect_phase(mode, vocabulary)
    title = f"{mode_name(mode)}: the test sequence, predicted after training"
    if info.missing is not None:
        return empty(title, info.missing)
    cols = len(info.panels)
    units = len(info.panels[0].h[0]) if info.panels[0].h else 0
    shape = columns(len(info.labels), (len(vocabulary) + units) * cols)
    items: dict[str, Any] = {}
    traces: list[dict[str, Any]] = []
    shapes: list[dict[str, Any]] = []
    notes: list[dict[str, Any]] = []
    peak = max([abs(v) for panel in info.panels for row in panel.h for v in row] + [1e-6])
    for k, panel in enumerate(info.panels):
        items.update(_axes(k, 0, cols, info, shape))
        if units:
            items.update(_axes(k, 1, cols, info, shape))
        traces += _traces(panel, k, cols, shape, peak)
        if not shape.binned:
            marks = _marks(panel, k, info)
            shapes += marks["shapes"]
            notes += marks["annotations"]
        notes.append(
            {
                "text": panel.title,
                "x": items[f"xaxis{'' if k == 0 else k + 1}"]["domain"][0],
                "xanchor": "left",
                "y": 1.0,
                "yanchor": "bottom",
                "yshift": 22,
                "xref": "paper",
                "yref": "paper",
                "showarrow": False,
                "font": {"size": 13},
            }
        )
    fig = figure(traces, **items, shapes=shapes, annotations=notes)
    changed = sum(sum(p.changed) for p in info.panels)
    subtitle = (
        "Top: probability of each token (target outlined). Bottom: the last layer's h. "
        + (f"The reset changes {changed} of {len(info.labels)} predictions." if cols > 1 else "")
        + (f" Positions averaged in bins of {shape.size}." if shape.binned else "")
    )
    height = clamp(260 + 22 * (len(vocabulary) + units), 420, 1000) + label_room(shape.labels or info.labels)
    fig = layout(fig, title, subtitle.strip(), height=height, width=PANEL_CHARS * cols)
    fig["layout"]["margin"]["t"] += 40
    return fig
