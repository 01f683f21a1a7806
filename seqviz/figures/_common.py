"""What every figure shares: colours with one meaning each, escaping of the user's tokens,
position labels, snapshot and layer choice, and the layout every figure ends with.

Figures are plain Plotly figure dicts (``{"data": [...], "layout": {...}}``), the JSON that
``plotly.graph_objects.Figure.to_dict()`` would give, built without ``graph_objects``: its
validation of every property cost more than everything else a page does. The tests hold every
figure to ``go.Figure`` (which validates it) instead.

A page never ships much more than its screen can show: a heatmap with more than
``MAX_COLUMNS`` positions (or ``MAX_CELLS`` cells) averages consecutive positions into bins,
one with more than ``DETAIL_CELLS`` cells keeps a short hover box, and long loss curves keep
each bucket's lowest and highest point (:func:`columns`, :func:`binned`, :func:`envelope`).
The run itself, and so every download, keeps every value.

Nothing here knows a particular figure; the figure modules import from here (and the
players from ``_player``), not from each other, with one exception: ``steps`` plays the
state-flow diagram, so it builds on ``flow``'s collected boxes instead of drawing them again.
"""

from __future__ import annotations

import functools
import json
import math
import re
import textwrap
from dataclasses import dataclass
from importlib import resources
from typing import Any

from seqviz.cells import CELLS, Cell
from seqviz.modes import PREVIOUS_BATCH, PREVIOUS_EPOCH, PREVIOUS_STEP, SHUFFLED, ZEROS
from seqviz.replay import step_names
from seqviz.results import ModeResult, Snapshot

# --- colours -------------------------------------------------------------------------
# Each colour means one thing across every figure, so a reader never has to ask whether
# green means "the sequence mode" or "right". The four modes take four Okabe–Ito colours
# (safe for colour-blindness); nothing else may use them.

MODE_COLORS: dict[str, str] = {
    "stateless": "#0072B2",
    "stateful": "#D55E00",
    "sequence": "#009E73",
    "window": "#CC79A7",
    "chunks": "#882255",
    "lanes": "#117733",
    "rows": "#AA4499",
    "custom": "#332288",
}
OTHER_MODE_COLOR = "#8C510A"  # a mode this package does not know yet

# Where the state entering a step comes from, in the state-flow diagram. Zeros are near-black:
# a hollow circle, and the "reset" label, which marks the same boxes (zeros enter there).
SOURCE_COLORS: dict[str, str] = {
    ZEROS: "#333333",
    PREVIOUS_STEP: "#56B4E9",
    PREVIOUS_BATCH: "#E69F00",
    PREVIOUS_EPOCH: "#44AA99",
    SHUFFLED: "#999999",
}
OTHER_SOURCE_COLOR = "#BBBBBB"  # a source kind this package does not know yet
SOURCE_LABELS: dict[str, str] = {
    # Short: they are legend entries too, and a legend entry must fit a phone's width.
    ZEROS: "starts from zeros",
    PREVIOUS_STEP: "state from the previous step",
    PREVIOUS_BATCH: "state from the previous batch",
    PREVIOUS_EPOCH: "zeros in epoch 1, then the previous epoch",
    SHUFFLED: "state from the row before, shuffled",
}

# The prediction heatmap's marks. The target outline must show on white and on the dark end
# of "Blues", so it is black. ✓ and ✗ already differ in shape, so "right" stays a quiet grey
# and only "wrong" stands out, in a crimson darker than the stateful mode's vermillion.
TARGET_COLOR = "#000000"
VERDICT_COLORS: dict[bool, str] = {True: "#666666", False: "#A50026"}  # both >= 4.5:1 on white

# The state-flow boxes: a step that predicts a position, and one whose output is not trained.
BOX_FILLS: dict[bool, str] = {True: "#EAF2FB", False: "#F4F4F4"}

# Every colour that carries a meaning, by meaning; a test checks the groups are disjoint.
COLOR_MEANINGS: dict[str, tuple[str, ...]] = {
    "mode": (*MODE_COLORS.values(), OTHER_MODE_COLOR),
    "source": (*SOURCE_COLORS.values(), OTHER_SOURCE_COLOR),
    "target": (TARGET_COLOR,),
    "verdict": tuple(VERDICT_COLORS.values()),
    "box": tuple(BOX_FILLS.values()),
}

# --- sizes ---------------------------------------------------------------------------

TEMPLATE = "plotly_white"
DRAWN_TYPES = ("bar", "heatmap", "scatter")  # the trace types these figures use

# What a chart can show at screen resolution: a full-width chart is ~1,300 px wide, a panel of
# four ~330 px, so more columns than this are thinner than a pixel or two.
MAX_COLUMNS = 200
# Cells whose hover box carries text of its own (the position's label, the entering states):
# ~50 bytes each in the page's JSON, against ~10 for a value alone.
DETAIL_CELLS = 3000
# Cells in one figure at most (~10 bytes each): a 256-unit state's heatmap bins positions sooner.
MAX_CELLS = 16000
MAX_LINE_POINTS = 2000  # per loss line; longer ones keep each bucket's lowest and highest point
GROUP_LISTED = 8  # positions listed per identical group in a subtitle

Figure = dict[str, Any]  # a Plotly figure as JSON: {"data": [trace, ...], "layout": {...}}
TOKEN_CHARS = 14  # longest token in a tick label or box; hover boxes allow HOVER_CHARS
HOVER_CHARS = 60
IDENTICAL = 1e-6  # the result keeps 6 decimals, so smaller differences cannot be told apart
SUBTITLE_CHARS = 100  # subtitle line length for a full-width figure
PANEL_CHARS = 52  # and for one that shares the width with the other modes

Grid = tuple[tuple[float, ...], ...]  # (positions, units) or (positions, tokens)

# --- text ----------------------------------------------------------------------------


def plain(text: str) -> str:
    """``text`` as Plotly should show it: literally, never as markup.

    Plotly reads a small HTML subset (``<b>``, ``<br>``, ``<a href>``...) and entities in every
    label, and typesets anything between two ``$`` as LaTeX when MathJax is on the page, even in
    the middle of a label. So ``&``, ``<`` and ``>`` become entities, and so does every ``$``
    (``&#36;``: Plotly looks for LaTeX before it decodes entities, and shows a ``$``).
    """
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("$", "&#36;")


def token(text: str | None, limit: int = TOKEN_CHARS) -> str:
    """A token for display: shortened (before escaping, so no entity is cut) and made plain."""
    if text is None:
        return "(pad)"  # a zero-padded step: no input at all
    text = str(text)
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return plain(text)


def mode_color(mode: str) -> str:
    return MODE_COLORS.get(mode, OTHER_MODE_COLOR)


def mode_name(mode: ModeResult) -> str:
    """The mode's name in its own colour, for titles."""
    return f"<span style='color:{mode_color(mode.mode)}'>{plain(mode.mode)}</span>"


def group_letter(k: int) -> str:
    """A, B, … Z, AA, AB, …: spreadsheet-style, so there is a letter for every group."""
    letters = ""
    k += 1
    while k:
        k, rest = divmod(k - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def group_marks(mode: ModeResult) -> dict[int, str]:
    """Position → "≡A" for each position in an identical group."""
    return {int(p): f"≡{group_letter(k)}" for k, members in enumerate(mode.identical_groups) for p in members}


def position_labels(mode: ModeResult, limit: int = TOKEN_CHARS) -> tuple[str, ...]:
    """Per position "p: input→target", with "≡A" where the position is in identical group A."""
    marks = group_marks(mode)
    labels = []
    for p, prediction in enumerate(mode.predictions):
        label = f"{p}: {token(prediction.input, limit)}→{token(prediction.target_text, limit)}"
        labels.append(f"{label} {marks[p]}" if p in marks else label)
    return tuple(labels)


def label_of(labels: tuple[str, ...], p: int) -> str:
    """Position ``p``'s label, or its bare number when the run has no label for it."""
    return labels[p] if 0 <= p < len(labels) else str(p)


def _listed(members: list[int]) -> str:
    """A group's positions, the first ``GROUP_LISTED`` of a long one and how many in all."""
    shown = ", ".join(map(str, members[:GROUP_LISTED]))
    return shown if len(members) <= GROUP_LISTED else f"{shown}, … ({len(members)} positions)"


def groups_note(mode: ModeResult) -> str:
    if not mode.identical_groups:
        return ""
    named = ", ".join(
        # No-break spaces keep "≡A = positions" on one line when the subtitle wraps.
        f"≡{group_letter(k)}\u00a0=\u00a0positions {_listed(list(members))}"
        for k, members in enumerate(mode.identical_groups)
    )
    return f"{named}: identical visible input, so identical state."


# --- which epoch, which cell, which layer ---------------------------------------------


def final_epoch(mode: ModeResult) -> int:
    return int(mode.epochs or len(mode.loss))


def pick_snapshot(mode: ModeResult, snapshot: int | None) -> tuple[Snapshot | None, str]:
    """The snapshot asked for (None: the final weights) and a phrase saying which epoch it is."""
    final = f"final, epoch {final_epoch(mode)}"
    if snapshot is None:
        return None, final
    snapshots = mode.snapshots
    # Snapshots are counted from 1 in every phrase ("snapshot 3 of 30"); the index is 0-based.
    if not snapshots:
        return None, f"{final}; the run kept no snapshots"
    if not -len(snapshots) <= snapshot < len(snapshots):
        return None, f"{final}; there is no snapshot {snapshot + 1}, the run kept {len(snapshots)}"
    chosen = snapshots[snapshot]
    k = snapshot % len(snapshots)
    return chosen, f"epoch {chosen.epoch}, snapshot {k + 1} of {len(snapshots)}"


def cell_of(mode: ModeResult) -> type[Cell] | None:
    """The cell a mode ran (``ModeResult.cell``); for JSON written before the run named it, told
    by the names its steps hold, the first registered cell that holds exactly those; None when
    there are no states to tell by."""
    if mode.cell in CELLS:
        return CELLS[mode.cell]
    if not mode.states:
        return None
    held = set(mode.states[0].values)
    return next((cell for cell in CELLS.values() if set(step_names(cell)) == held), None)


def layer_count(mode: ModeResult) -> int:
    """Recurrent layers in the mode's model: ``StepState.layers`` is None for a single one."""
    if not mode.states:
        return 0
    layers = mode.states[0].layers
    return 1 if layers is None else len(layers)


def layer_phrase(layer: int | None, layers: int) -> str:
    """The words that open a stacked model's "when" phrase, "layer 1 of 2, " (counted from 1,
    as a reader counts); nothing for a single layer."""
    if layers <= 1:
        return ""
    k = layers - 1 if layer is None else layer
    return f"layer {k + 1} of {layers}, "


def layer_problem(layer: int | None, layers: int) -> str | None:
    """Why ``layer`` (0-based, None: the last) cannot be shown, or None when it can."""
    if layer is None or 0 <= layer < layers:
        return None
    return f"There is no layer {layer}: the model has {layers} (0 to {layers - 1})."


# --- layout --------------------------------------------------------------------------


def _wrap(text: str, width: int) -> list[str]:
    return textwrap.wrap(text, width, break_long_words=False, break_on_hyphens=False)


@functools.cache
def template() -> dict[str, Any]:
    """Plotly's ``plotly_white`` template as a figure carries it (the browser knows no template
    by name), with the defaults of the trace types drawn here only. Read once, shared by every
    figure: nothing may change it."""
    text = (resources.files("plotly") / "package_data" / "templates" / f"{TEMPLATE}.json").read_text()
    full = json.loads(text)
    return {"data": {k: v for k, v in full["data"].items() if k in DRAWN_TYPES}, "layout": full["layout"]}


@functools.cache
def colorscale(name: str) -> list[list[Any]]:
    """A named colorscale (``"Blues"``, ``"RdBu_r"``) as the list of stops plotly.py sends: the
    browser's plotly.js has colorscales of the same names with other colours."""
    from _plotly_utils.basevalidators import ColorscaleValidator

    stops = ColorscaleValidator("colorscale", "heatmap").validate_coerce(name)
    return [[float(v), str(c)] for v, c in stops]


def merge(target: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """``target`` updated in place with ``changes``, nested dicts merged (as ``update_layout``)."""
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            merge(target[key], value)
        else:
            target[key] = value
    return target


def figure(data: list[dict[str, Any]], **layout_items: Any) -> Figure:
    """A figure of ``data`` traces with these layout items."""
    return {"data": data, "layout": dict(layout_items)}


def layout(
    fig: Figure, title: str, subtitle: str = "", height: int = 420, width: int = SUBTITLE_CHARS
) -> Figure:
    """Title (and a subtitle wrapped at ``width`` characters), template, tight margins, a fixed
    height, in the normal theme (:func:`themed` sets another)."""
    fig["layout"]["template"] = template()
    merge(
        fig["layout"],
        {
            # Anchored to the top of the whole figure, so a long title never runs into the plot;
            # ``themed`` sets ``y`` so that, with this pad, the title's text starts just below the
            # toolbar Plotly shows over a chart's top right corner (measured in Chromium).
            "title": {
                "text": title,
                "subtitle": {"text": subtitle},
                "x": 0.01,
                "xanchor": "left",
                "yref": "container",
                "y": 1.0,
                "yanchor": "top",
                "pad": {"t": 14},
            },
            "height": height,
            "margin": {"l": 60, "r": 20, "t": 0, "b": 40},
            "meta": {"subtitle_chars": width},
        },
    )
    return _apply_theme(fig, THEMES["normal"])  # a new figure of ours: no copy needed


# --- themes: the page's normal look and presentation mode ---------------------------------

TOOLBAR_PIXELS = 30  # Plotly's toolbar (on hover) is ~25 px tall at the top right
OLD_TITLE_PIXELS = 54  # the title area a figure's ``height`` was chosen to include


@dataclass(frozen=True)
class Theme:
    """How chart text looks: sizes in px, colours with at least 4.5:1 contrast on white, and
    how many characters a title or subtitle line holds (a narrow panel on a phone or beside
    another mode shows ~50 characters of 13 px text)."""

    name: str
    font_size: int  # the text a figure does not size itself
    min_size: int  # every chart text at least this
    title_size: int
    color: str
    subtitle_color: str
    title_chars: int
    subtitle_chars: int  # at most; a figure may ask for fewer
    height_scale: float  # bigger text needs taller plots

    @property
    def line_pixels(self) -> int:
        return round(self.font_size * 1.35)


THEMES: dict[str, Theme] = {
    # #1f1f1f is 16.4:1 on white, #444444 9.7:1 (Plotly's default grey ticks are ~3.7:1 at 12 px).
    "normal": Theme("normal", 13, 11, 16, "#1f1f1f", "#444444", 36, 50, 1.0),
    "present": Theme("present", 18, 18, 24, "#000000", "#1f1f1f", 30, 40, 1.3),
}


def _visible(word: str) -> int:
    """Characters a word shows: markup tags take none, an entity one."""
    return len(re.sub(r"&#?\w+;", "x", re.sub(r"<[^>]*>", "", word)))


def wrap_markup(text: str, width: int) -> list[str]:
    """``text`` (Plotly markup: ``<span style='...'>``, entities) in lines of at most ``width``
    shown characters, never breaking inside a tag; existing ``<br>`` are kept."""
    lines: list[str] = []
    for part in re.split(r"<br\s*/?>", text):
        words: list[str] = []
        for piece in part.split(" "):
            if words and words[-1].count("<") > words[-1].count(">"):
                words[-1] += " " + piece  # a space inside a tag
            else:
                words.append(piece)
        line, shown = "", 0
        for word in words:
            size = _visible(word)
            if line and shown + 1 + size > width:
                lines.append(line)
                line, shown = word, size
            else:
                line, shown = (f"{line} {word}" if line else word), shown + (1 if line else 0) + size
        lines.append(line)
    return [line for line in lines if line] or [""]


def _unwrapped(text: str) -> str:
    return re.sub(r"<br\s*/?>", " ", text)


def _fonts(node: Any, theme: Theme, scale: float) -> None:
    """Every explicit text size in ``node`` raised to the theme (scaled for presentation)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("font", "textfont", "tickfont", "insidetextfont") and isinstance(value, dict):
                if "size" in value:
                    value["size"] = max(theme.min_size, round(value["size"] * scale))
            elif key not in ("template",):
                _fonts(value, theme, scale)
    elif isinstance(node, list):
        for item in node:
            _fonts(item, theme, scale)


def themed(fig: Figure, theme: Theme) -> Figure:
    """``fig`` in ``theme``: text sizes and colours, titles re-wrapped to the theme's line
    length, the top margin fitted to them. A new figure; ``fig`` is left as it is (its
    template is shared by every figure and never changed)."""
    out: Figure = {"data": json.loads(json.dumps(fig["data"])), "layout": {}}
    for key, value in fig["layout"].items():
        out["layout"][key] = value if key == "template" else json.loads(json.dumps(value))
    return _apply_theme(out, theme)


def _apply_theme(out: Figure, theme: Theme) -> Figure:
    """:func:`themed`, in place."""
    lay = out["layout"]
    normal = THEMES["normal"]
    scale = theme.font_size / normal.font_size
    _fonts(out["data"], theme, scale)
    _fonts({k: v for k, v in lay.items() if k != "template"}, theme, scale)
    lay["font"] = {"size": theme.font_size, "color": theme.color}
    lay["hoverlabel"] = {"font": {"size": theme.font_size}}
    title = lay.get("title")
    if isinstance(title, dict) and "text" in title:
        meta = lay.get("meta") or {}
        sub_chars = min(theme.subtitle_chars, int(meta.get("subtitle_chars", theme.subtitle_chars)))
        if theme is not normal:
            sub_chars = round(sub_chars * normal.font_size / theme.font_size * 1.2)
        title_lines = wrap_markup(_unwrapped(title["text"]), theme.title_chars)
        subtitle = (title.get("subtitle") or {}).get("text", "")
        sub_lines = wrap_markup(_unwrapped(subtitle), sub_chars) if subtitle else []
        title["text"] = "<br>".join(title_lines)
        title["font"] = {"size": theme.title_size, "color": theme.color}
        title["subtitle"] = {
            "text": "<br>".join(sub_lines),
            "font": {"size": theme.font_size, "color": theme.subtitle_color},
        }
        old_top = int(meta.get("title_pixels", 0))
        top = (
            TOOLBAR_PIXELS
            + round(theme.title_size * 1.3) * len(title_lines)
            + theme.line_pixels * len(sub_lines)
            + 14
        )
        margin = lay.setdefault("margin", {})
        margin["t"] = int(margin.get("t", 0)) - old_top + top
        meta["title_pixels"] = top
        lay["meta"] = meta
        if "height" in lay:
            # The plot's own height: what layout() was given, less the title area it held then.
            base = int(meta.setdefault("base_height", lay["height"] - OLD_TITLE_PIXELS))
            lay["height"] = round(base * theme.height_scale) + top
            # Below the toolbar (TOOLBAR_PIXELS down the figure), however narrow the chart.
            title["y"] = round(1 - TOOLBAR_PIXELS / lay["height"], 4)
    return out


def empty(title: str, message: str, height: int = 300) -> Figure:
    """A laid-out figure that says why there is nothing to draw."""
    note = {
        "text": message,
        "x": 0.5,
        "y": 0.5,
        "xref": "paper",
        "yref": "paper",
        "showarrow": False,
        "font": {"size": 14},
    }
    fig = figure([], annotations=[note], xaxis={"visible": False}, yaxis={"visible": False})
    return layout(fig, title, height=height)


def label_room(labels: tuple[str, ...]) -> int:
    """Pixels the position tick labels need below a plot: Plotly tilts them when there are many."""
    if len(labels) <= 8:
        return 20
    longest = max(len(label) for label in labels)
    return 5 * min(longest, 40)


def clamp(value: float, low: int, high: int) -> int:
    return int(max(low, min(high, value)))


def transpose(rows: Grid) -> list[list[float]]:
    return [list(column) for column in zip(*rows, strict=True)]


def position_axis(labels: tuple[str, ...]) -> dict[str, Any]:
    return {
        "title": {"text": "position: input→target"},
        "tickmode": "array",
        "tickvals": list(range(len(labels))),
        "ticktext": list(labels),
        "showgrid": False,
    }


def unit_axis(units: int) -> dict[str, Any]:
    return {"title": {"text": "unit"}, "autorange": "reversed", "showgrid": False, "dtick": unit_dtick(units)}


# --- what a screen can show --------------------------------------------------------------


@dataclass(frozen=True)
class Columns:
    """How a heatmap lays out its positions: one column each, or ``size`` consecutive positions
    averaged per column; ``detailed``: every cell gets a hover box with text of its own."""

    size: int
    labels: tuple[str, ...]  # per column when binned ("40–44"); empty when not
    detailed: bool

    @property
    def binned(self) -> bool:
        return self.size > 1


def columns(positions: int, rows: int) -> Columns:
    """The layout of ``positions`` columns of ``rows`` cells (all panels of a figure together)."""
    size = max(1, math.ceil(positions / MAX_COLUMNS), math.ceil(positions * rows / MAX_CELLS))
    if size == 1:
        return Columns(1, (), positions * rows <= DETAIL_CELLS)
    starts = range(0, positions, size)
    ends = [min(a + size, positions) - 1 for a in starts]
    labels = tuple(f"{a}–{b}" if b > a else str(a) for a, b in zip(starts, ends))
    return Columns(size, labels, False)


def binned(values: Grid, size: int) -> Grid:
    """(positions, rows) → (bins, rows): the mean of each ``size`` consecutive positions, to
    the run's own 6 decimals (a last, shorter bin averages what it holds)."""
    if size <= 1:
        return values
    out = []
    for start in range(0, len(values), size):
        block = values[start : start + size]
        out.append(tuple(round(sum(column) / len(block), 6) for column in zip(*block, strict=True)))
    return tuple(out)


def binned_axis(layout_: Columns) -> dict[str, Any]:
    return {
        "title": {"text": f"positions, averaged in bins of {layout_.size}"},
        "type": "category",
        "showgrid": False,
    }


def envelope(x: tuple[int, ...], y: tuple[float, ...]) -> tuple[list[int], list[float]]:
    """At most ~``MAX_LINE_POINTS`` points of a line: each bucket's lowest and highest point in
    order, so spikes stay visible; the first and last points always."""
    if len(y) <= MAX_LINE_POINTS:
        return list(x), list(y)
    size = math.ceil(len(y) / (MAX_LINE_POINTS // 2))
    keep = {0, len(y) - 1}
    for start in range(0, len(y), size):
        bucket = range(start, min(start + size, len(y)))
        keep.add(min(bucket, key=y.__getitem__))
        keep.add(max(bucket, key=y.__getitem__))
    kept = sorted(keep)
    return [x[k] for k in kept], [y[k] for k in kept]


def unit_dtick(units: int) -> int:
    return 1 if units <= 24 else 5 if units <= 120 else 10
