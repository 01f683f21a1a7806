"""Margins reserved up front for what Plotly would otherwise push them out for.

Plotly draws a figure, then measures what sticks out of its margins (a colorbar, a legend
beside or below the plot, an axis's tick labels and title: its "margin pushers") and, when the
margins must grow, draws the whole figure a second time. On the default page that second
drawing was about a third of the browser's work per Train click. A figure whose margins already
hold its pushers is drawn once.

:func:`reserve_margins` estimates each pusher's size from the figure itself (text lengths,
font sizes, colorbar thickness, the data's range for numeric tick labels) with a wide
character (0.62 of the font size: wider than most sans-serif fonts' average), and only ever
widens a margin the builder chose. Plotly's automatic margins stay on: where an estimate falls
short (a font wider still, a legend that wraps into more rows on a narrow screen) Plotly grows
the margin as before, at the cost of that second drawing, and never clips anything.
``tests/test_browser.py`` checks, with Plotly's own measurement in Chromium, that no chart
of the default page needs it.
"""

from __future__ import annotations

import math
import re
from typing import Any

Figure = dict[str, Any]

CHAR = 0.62  # a character's width, in font sizes (wider than most fonts' average)
LINE = 1.35  # a line of text's height, in font sizes
WIDEST_PLOT = 1400  # px: a paper-relative offset (x = 1.02) is measured on at most this width
LEGEND_SYMBOL = 40  # px before each legend entry's text (its line or marker and the gap)
PANEL = 560  # px: a horizontal legend wraps at about a half-width panel's width, less the left margin
DEFAULT_FONT = 12
CARTESIAN = ("scatter", "scattergl", "bar", "heatmap", "contour", "histogram", "histogram2d", "box")


def _font(node: dict[str, Any] | None, fallback: float) -> float:
    size = ((node or {}).get("font") or {}).get("size") if isinstance(node, dict) else None
    return float(size or fallback)


def _text_width(text: str, size: float) -> float:
    return len(_shown(text)) * CHAR * size


def _shown(text: Any) -> str:
    """What a label shows: its longest line, without markup tags."""
    lines = re.split(r"<br\s*/?>", str(text))
    return max((re.sub(r"<[^>]*>", "", line) for line in lines), key=len, default="")


def _title_text(axis: dict[str, Any]) -> str:
    title = axis.get("title")
    if isinstance(title, dict):
        return str(title.get("text") or "")
    return str(title or "")


def _numeric_label_chars(values: list[float]) -> int:
    """Characters of the longest tick label Plotly writes for an axis over ``values`` (about six
    ticks at a 1, 2 or 5 step; its minus sign counted as one character)."""
    finite = [v for v in values if isinstance(v, (int, float)) and math.isfinite(v)]
    if not finite:
        return 4
    lo, hi = min(finite), max(finite)
    span = hi - lo or abs(hi) or 1.0
    raw = span / 6
    step = 10 ** math.floor(math.log10(raw))
    step *= next(m for m in (1, 2, 5, 10) if m * step >= raw)
    decimals = max(0, -math.floor(math.log10(step) + 1e-9))
    ends = [math.floor(lo / step) * step, math.ceil(hi / step) * step]
    if max(abs(e) for e in ends) >= 1e4:  # Plotly writes 12k, 1.2M
        return 6
    return max(len(f"{e:.{decimals}f}") for e in ends)


def _flat(values: Any) -> list[float]:
    out: list[float] = []
    if isinstance(values, (list, tuple)):
        for value in values:
            if isinstance(value, (list, tuple)):
                out.extend(_flat(value))
            elif isinstance(value, (int, float)) and not isinstance(value, bool):
                out.append(float(value))
    return out


def _axis_values(fig: Figure, axis_name: str, letter: str) -> tuple[list[float], list[str]]:
    """The numbers and the category labels the traces put on one axis."""
    ref = letter + axis_name[len(letter) + 4 :]  # xaxis2 -> x2
    numbers: list[float] = []
    labels: list[str] = []
    for trace in fig["data"]:
        if trace.get(f"{letter}axis", letter) != ref:
            continue
        values = trace.get(letter)
        if isinstance(values, list):
            if any(isinstance(v, str) for v in values):
                labels.extend(str(v) for v in values)
            else:
                numbers.extend(_flat(values))
    return numbers, labels


def _axis_labels(fig: Figure, name: str, axis: dict[str, Any], letter: str) -> tuple[int, int]:
    """(characters of the axis's longest tick label, how many labels it writes: 0 for none,
    -1 for numbers, whose count Plotly chooses)."""
    if axis.get("visible") is False or axis.get("showticklabels") is False:
        return 0, 0
    if axis.get("ticktext"):
        return max(len(_shown(t)) for t in axis["ticktext"]), len(axis["ticktext"])
    numbers, labels = _axis_values(fig, name, letter)
    if axis.get("range") and all(isinstance(v, (int, float)) for v in axis["range"]):
        numbers = [float(v) for v in axis["range"]]
    if labels and axis.get("type") != "linear":
        distinct = list(dict.fromkeys(labels))
        return max(len(_shown(t)) for t in distinct), len(distinct)
    if axis.get("type") == "log":
        return 5, -1
    return _numeric_label_chars(numbers), -1


def _x_labels_height(chars: int, count: int, size: float) -> float:
    """How far an x axis's tick labels reach from it: Plotly turns labels that do not fit side
    by side by 30°, or by 90° when those would overlap too. Judged on a half-width panel's plot
    (a chart shown wider keeps some empty room below its axis title)."""
    line = LINE * size
    room = PANEL - 80.0
    if count <= 0 or count * (chars * CHAR * size + 8) <= room:
        return line
    if count * 2 * line <= room:
        return chars * CHAR * size * 0.5 + line
    return chars * CHAR * size


def _colorbars(fig: Figure) -> list[tuple[dict[str, Any], list[float]]]:
    """Each colorbar the figure shows, with the values it spans."""
    bars = []
    for trace in fig["data"]:
        if trace.get("type") in ("heatmap", "contour", "histogram2d") and trace.get("showscale") is not False:
            values = [trace[k] for k in ("zmin", "zmax") if isinstance(trace.get(k), (int, float))]
            bars.append((trace.get("colorbar") or {}, values if len(values) == 2 else _flat(trace.get("z"))))
        marker = trace.get("marker") or {}
        if marker.get("showscale"):
            values = [marker[k] for k in ("cmin", "cmax") if isinstance(marker.get(k), (int, float))]
            bars.append((marker.get("colorbar") or {}, values or _flat(marker.get("color"))))
    return bars


def _legend_entries(fig: Figure) -> list[str]:
    lay = fig["layout"]
    if lay.get("showlegend") is False:
        return []
    named = [
        str(t.get("name") or "")
        for t in fig["data"]
        if t.get("showlegend", True) is not False and t.get("name") and t.get("visible", True) is not False
    ]
    # Plotly shows no legend for a single trace unless asked (showlegend: true).
    if len(fig["data"]) < 2 and lay.get("showlegend") is not True:
        return []
    return list(dict.fromkeys(named))


def _title(node: dict[str, Any], base: float) -> tuple[str, float, float]:
    """(text, font size, standoff) of an axis's or a colorbar's title."""
    title = node.get("title")
    if isinstance(title, dict):
        return str(title.get("text") or ""), _font(title, base), float(title.get("standoff", 15))
    return str(title or ""), base, 15.0


def _axis_extent(fig: Figure, name: str, axis: dict[str, Any], base: float) -> tuple[str, float]:
    """(the side an axis pushes, how far its tick labels and title reach from the plot)."""
    letter = name[0]
    size = float((axis.get("tickfont") or {}).get("size") or base)
    chars, count = _axis_labels(fig, name, axis, letter)
    text, title_size, standoff = _title(axis, base)
    title = LINE * title_size + standoff if text else 0.0
    if letter == "x":
        labels = _x_labels_height(chars, count, size) + 6 if count else 0.0
        return ("t" if axis.get("side") == "top" else "b"), labels + title + 4
    labels = chars * CHAR * size + 8 if count else 0.0
    return ("r" if axis.get("side") == "right" else "l"), labels + title + 4


def _colorbar_extent(bar: dict[str, Any], values: list[float], base: float) -> float:
    """How far right of the plot a colorbar reaches (placed at x = 1.02, its title on top)."""
    size = float((bar.get("tickfont") or {}).get("size") or base)
    text, title_size, _ = _title(bar, base)
    width = max(_numeric_label_chars(values) * CHAR * size + 6, _text_width(text, title_size))
    return 0.02 * WIDEST_PLOT + 2 * float(bar.get("xpad", 10)) + float(bar.get("thickness", 30)) + width


def _legend_extent(lay: dict[str, Any], entries: list[str], base: float) -> tuple[str, float] | None:
    """(the side a legend pushes, how far it reaches): a vertical legend right of the plot, or a
    horizontal one hanging below it, in rows wrapped at a half-width panel."""
    legend = lay.get("legend") or {}
    size = _font(legend, base)
    widths = [LEGEND_SYMBOL + _text_width(e, size) for e in entries]
    if legend.get("orientation") != "h":
        if float(legend.get("x", 1.02)) < 1:
            return None
        return "r", 0.02 * WIDEST_PLOT + max(widths) + 10
    y = float(legend.get("y", -0.1))
    if y > 0:
        return None
    margin = lay.get("margin") or {}
    row_width = PANEL - float(margin.get("l", 80))
    rows, used = 1, 0.0
    for width in widths:
        if used and used + width > row_width:
            rows, used = rows + 1, 0.0
        used += width
    plot = max(float(lay.get("height", 450)) - float(margin.get("t", 100)) - 80, 0.0)
    return "b", -y * plot + rows * LINE * size * 1.35 + 14


def needed_margins(fig: Figure) -> dict[str, float]:
    """Each side's margin, in px, that the figure's pushers need (0 where none pushes)."""
    lay = fig["layout"]
    base = _font(lay, DEFAULT_FONT)
    need = {"l": 0.0, "r": 0.0, "t": 0.0, "b": 0.0}
    axes = {n: a for n, a in lay.items() if n.startswith(("xaxis", "yaxis")) and isinstance(a, dict)}
    for trace in fig["data"]:  # an axis a trace uses exists even when the layout names nothing of it
        if trace.get("type", "scatter") in CARTESIAN:
            for letter in "xy":
                ref = str(trace.get(f"{letter}axis", letter))
                axes.setdefault(f"{letter}axis{ref[1:]}", {})
    for name, axis in axes.items():
        if axis.get("visible") is not False and axis.get("automargin") is not False:
            side, extent = _axis_extent(fig, name, axis, base)
            need[side] = max(need[side], extent)
    for bar, values in _colorbars(fig):
        need["r"] = max(need["r"], _colorbar_extent(bar, values, base))
    entries = _legend_entries(fig)
    pushed = _legend_extent(lay, entries, base) if entries else None
    if pushed:
        need[pushed[0]] = max(need[pushed[0]], pushed[1])
    return need


def reserve_margins(fig: Figure) -> Figure:
    """``fig`` with each margin widened to what its pushers need (never narrowed); a new figure
    sharing ``fig``'s traces and frames, ``fig`` left as it is."""
    need = needed_margins(fig)
    margin = dict(fig["layout"].get("margin") or {})
    for side, px in need.items():
        if px > float(margin.get(side, 0)):
            margin[side] = math.ceil(px)
    return {**fig, "layout": {**fig["layout"], "margin": margin}}
