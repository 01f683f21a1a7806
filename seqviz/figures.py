"""Plotly figures of a run, as pure functions from the JSON-ready result to ``go.Figure``.

Every builder takes the dicts in ``RunResult.data`` (a whole ``data["runs"]`` list, or one run
of it) and nothing else: no Streamlit, no TensorFlow. Each one first collects the arrays it
draws in a small ``_collect_*`` helper (what the tests check), then lays them out. An empty
input (no runs, a run without snapshots, ``{}``) still gives a titled figure that says what
is missing, never an exception.

Tokens are the user's own text, so every token that reaches a label, a hover box or a title
goes through :func:`plain`, which keeps Plotly from reading it as HTML or LaTeX.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from typing import Any

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from seqviz.modes import PREVIOUS_BATCH, PREVIOUS_STEP, ZEROS

# One colour per feeding mode, the same in every figure (Okabe–Ito, safe for colour-blindness).
MODE_COLORS: dict[str, str] = {
    "stateless": "#0072B2",
    "stateful": "#D55E00",
    "sequence": "#009E73",
    "window": "#CC79A7",
}
OTHER_COLOR = "#666666"  # a mode this module does not know yet

# Where the state entering a step comes from, in the state-flow diagram.
SOURCE_COLORS: dict[str, str] = {
    ZEROS: "#222222",
    PREVIOUS_STEP: "#56B4E9",
    PREVIOUS_BATCH: "#E69F00",
}
SOURCE_LABELS: dict[str, str] = {
    ZEROS: "starts from zeros (h0 = c0 = 0)",
    PREVIOUS_STEP: "state from the previous step",
    PREVIOUS_BATCH: "state from the previous batch (stateful)",
}

STATE_NAMES = ("h", "c", "i", "f", "g", "o", "h0", "c0")
GATE_NAMES = ("i", "f", "g", "o")
SNAPSHOT_STATES = ("h", "c")  # the only states each snapshot keeps
STATE_LABELS: dict[str, str] = {
    "h": "h, the hidden state (output)",
    "c": "c, the cell state",
    "i": "i, the input gate",
    "f": "f, the forget gate",
    "g": "g, the candidate (Keras's c slice)",
    "o": "o, the output gate",
    "h0": "h0 (h_tm1), the h entering the step",
    "c0": "c0 (c_tm1), the c entering the step",
}

TEMPLATE = "plotly_white"
TOKEN_CHARS = 14  # longest token in a tick label or box; hover boxes allow HOVER_CHARS
HOVER_CHARS = 60
IDENTICAL = 1e-6  # the result keeps 6 decimals, so smaller differences cannot be told apart
SUBTITLE_CHARS = 100  # subtitle line length for a full-width figure
PANEL_CHARS = 52  # and for one that shares the width with the other modes

Run = dict[str, Any]
Point = tuple[float, float]  # (x, y) in data coordinates


# --- text ----------------------------------------------------------------------------


def plain(text: str) -> str:
    """``text`` as Plotly should show it: literally, never as markup.

    Plotly reads a small HTML subset (``<b>``, ``<br>``, ``<a href>``...) and entities in every
    label, and typesets anything between two ``$`` as LaTeX when MathJax is on the page, even in
    the middle of a label. So ``&``, ``<`` and ``>`` become entities, and so does every ``$``
    (``&#36;``: Plotly looks for LaTeX before it decodes entities, and shows a ``$``).
    """
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("$", "&#36;")


def _token(token: str | None, limit: int = TOKEN_CHARS) -> str:
    """A token for display: shortened (before escaping, so no entity is cut) and made plain."""
    if token is None:
        return "(pad)"  # a zero-padded step: no input at all
    text = str(token)
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return plain(text)


def _mode_name(run: Run) -> str:
    mode = str(run.get("mode", "run"))
    color = MODE_COLORS.get(mode, OTHER_COLOR)
    return f"<span style='color:{color}'>{plain(mode)}</span>"


def _group_letter(k: int) -> str:
    """A, B, … Z, AA, AB, …: spreadsheet-style, so there is a letter for every group."""
    letters = ""
    k += 1
    while k:
        k, rest = divmod(k - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _group_marks(run: Run) -> dict[int, str]:
    """Position → "≡A" for each position in an identical group."""
    marks = {}
    for k, members in enumerate(run.get("identical_groups") or []):
        for p in members:
            marks[int(p)] = f"≡{_group_letter(k)}"
    return marks


def _position_labels(run: Run, limit: int = TOKEN_CHARS) -> list[str]:
    """Per position "p: input→target", with "≡A" where the position is in identical group A."""
    marks = _group_marks(run)
    labels = []
    for p, prediction in enumerate(run.get("predictions") or []):
        label = f"{p}: {_token(prediction.get('input'), limit)}→{_token(prediction.get('target'), limit)}"
        labels.append(f"{label} {marks[p]}" if p in marks else label)
    return labels


def _groups_note(run: Run) -> str:
    groups = run.get("identical_groups") or []
    if not groups:
        return ""
    named = ", ".join(
        # No-break spaces keep "≡A = positions" on one line when the subtitle wraps.
        f"≡{_group_letter(k)}\u00a0=\u00a0positions {', '.join(map(str, members))}"
        for k, members in enumerate(groups)
    )
    return f"{named}: identical visible input, so identical state."


# --- layout --------------------------------------------------------------------------


def _wrap(text: str, width: int) -> list[str]:
    return textwrap.wrap(text, width, break_long_words=False, break_on_hyphens=False)


def _layout(
    fig: go.Figure, title: str, subtitle: str = "", height: int = 420, width: int = SUBTITLE_CHARS
) -> go.Figure:
    """Title (and a subtitle wrapped at ``width`` characters), template, tight margins, a fixed height."""
    lines = _wrap(subtitle, width) if subtitle else []
    fig.update_layout(
        template=TEMPLATE,
        # Anchored to the top of the whole figure, so a long title never runs into the plot.
        title={
            "text": title,
            "subtitle": {"text": "<br>".join(lines), "font": {"size": 12, "color": "#555"}},
            "x": 0.01,
            "xanchor": "left",
            "yref": "container",
            "y": 1.0,
            "yanchor": "top",
            "pad": {"t": 10},
        },
        height=height,
        margin={"l": 60, "r": 20, "t": 54 + 16 * len(lines), "b": 40},
    )
    return fig


def _empty(title: str, message: str, height: int = 300) -> go.Figure:
    """A laid-out figure that says why there is nothing to draw."""
    fig = go.Figure()
    fig.add_annotation(
        text=message, x=0.5, y=0.5, xref="paper", yref="paper", showarrow=False, font={"size": 14}
    )
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return _layout(fig, title, height=height)


def _label_room(labels: list[str]) -> int:
    """Pixels the position tick labels need below a plot: Plotly tilts them when there are many."""
    if len(labels) <= 8:
        return 20
    longest = max(len(label) for label in labels)
    return 5 * min(longest, 40)


def _clamp(value: float, low: int, high: int) -> int:
    return int(max(low, min(high, value)))


def _transpose(rows: list[list[Any]]) -> list[list[Any]]:
    return [list(column) for column in zip(*rows, strict=True)]


def _final_epoch(run: Run) -> int:
    return int(run.get("epochs") or len(run.get("loss") or []))


def _pick_snapshot(run: Run, snapshot: int | None) -> tuple[Run | None, str]:
    """The snapshot asked for (None: the final weights) and a phrase saying which epoch it is."""
    final = f"final, epoch {_final_epoch(run)}"
    if snapshot is None:
        return None, final
    snapshots = run.get("snapshots") or []
    if not -len(snapshots) <= snapshot < len(snapshots):
        return None, f"{final}; there is no snapshot {snapshot}, the run kept {len(snapshots)}"
    chosen = snapshots[snapshot]
    k = snapshot % len(snapshots)
    return chosen, f"epoch {chosen.get('epoch')}, snapshot {k + 1} of {len(snapshots)}"


def _position_axis(labels: list[str]) -> dict[str, Any]:
    return {
        "title": {"text": "position: input→target"},
        "tickmode": "array",
        "tickvals": list(range(len(labels))),
        "ticktext": labels,
        "showgrid": False,
    }


def _unit_axis(units: int) -> dict[str, Any]:
    return {
        "title": {"text": "unit"},
        "autorange": "reversed",
        "showgrid": False,
        "dtick": _unit_dtick(units),
    }


def _unit_dtick(units: int) -> int:
    return 1 if units <= 24 else 5 if units <= 120 else 10


# --- loss ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _LossLine:
    mode: str
    epochs: list[int]
    loss: list[float]
    floor: float | None


def _collect_loss(runs: list[Run]) -> list[_LossLine]:
    lines = []
    for run in runs:
        loss = [float(v) for v in run.get("loss") or []]
        floor = run.get("loss_floor")
        lines.append(
            _LossLine(
                mode=str(run.get("mode", "run")),
                epochs=list(range(1, len(loss) + 1)),
                loss=loss,
                floor=None if floor is None else float(floor),
            )
        )
    return lines


def loss_figure(runs: list[Run], log_scale: bool = False) -> go.Figure:
    """Loss per epoch, one line per mode, and each mode's loss floor as a dashed line.

    Args:
        runs: ``data["runs"]``.
        log_scale: a logarithmic loss axis (floors of 0 cannot be drawn on it).
    """
    title = "Training loss per epoch"
    lines = _collect_loss(runs)
    if not lines:
        return _empty(title, "No runs to show.")
    fig = go.Figure()
    last_epoch = max([len(line.loss) for line in lines] + [1])
    for line in lines:
        color = MODE_COLORS.get(line.mode, OTHER_COLOR)
        name = plain(line.mode)
        fig.add_trace(
            go.Scatter(
                x=line.epochs,
                y=line.loss,
                mode="lines",
                name=name,
                legendgroup=name,
                line={"color": color, "width": 2},
                hovertemplate=f"{name}<br>epoch %{{x}}<br>loss %{{y:.6f}}<extra></extra>",
            )
        )
        if line.floor is not None:
            fig.add_trace(
                go.Scatter(
                    x=[1, last_epoch],
                    y=[line.floor, line.floor],
                    mode="lines",
                    name=f"{name} floor = {line.floor:.4g}",
                    legendgroup=name,
                    line={"color": color, "width": 1.5, "dash": "dash"},
                    hovertemplate=f"{name} loss floor: %{{y:.6f}}<extra></extra>",
                )
            )
    subtitle = "Dashed: each mode's loss floor, the lowest loss its inputs allow."
    if log_scale and any(line.floor is not None and line.floor <= 0 for line in lines):
        subtitle += " Floors of 0 cannot be drawn on a log axis."
    fig.update_xaxes(title_text="epoch")
    fig.update_yaxes(title_text="loss", type="log" if log_scale else "linear")
    return _layout(fig, title, subtitle, height=420)


# --- predictions ---------------------------------------------------------------------


@dataclass(frozen=True)
class _Predictions:
    probabilities: list[list[float]]  # (positions, V)
    targets: list[int | None]  # per position, the target's row (None: not in the vocabulary)
    correct: list[bool]
    labels: list[str]  # tick labels "p: input→target"
    when: str


def _argmax(row: list[float]) -> int:
    return max(range(len(row)), key=row.__getitem__) if row else -1


def _collect_predictions(run: Run, vocabulary: list[str], snapshot: int | None) -> _Predictions:
    predictions = run.get("predictions") or []
    chosen, when = _pick_snapshot(run, snapshot)
    if chosen is None:
        probabilities = [list(p.get("probabilities") or []) for p in predictions]
    else:
        probabilities = [list(row) for row in chosen.get("probabilities") or []]
    rows = {token: k for k, token in enumerate(vocabulary)}
    # Padded to one entry per drawn column, should a snapshot hold more positions than predictions.
    targets = [rows.get(p.get("target")) for p in predictions]
    targets += [None] * (len(probabilities) - len(targets))
    if chosen is None:
        correct = [bool(p.get("correct")) for p in predictions]
    else:
        correct = [_argmax(row) == t for row, t in zip(probabilities, targets, strict=False)]
    labels = _position_labels(run)
    labels += [str(p) for p in range(len(labels), len(probabilities))]
    return _Predictions(probabilities, targets, correct, labels, when)


def predictions_figure(run: Run, vocabulary: list[str], snapshot: int | None = None) -> go.Figure:
    """Heatmap of each token's predicted probability (rows) at each position (columns).

    Each position's target cell is outlined and a ✓/✗ above the column says whether the most
    probable token is the target.

    Args:
        run: one of ``data["runs"]``.
        vocabulary: ``data["vocabulary"]``, the row order.
        snapshot: an index into ``run["snapshots"]``: that epoch's probabilities, not the final ones.
    """
    info = _collect_predictions(run, vocabulary, snapshot)
    # Short: the app shows one of these per mode side by side.
    epoch = info.when.split(", snapshot")[0].removeprefix("final, ")
    title = f"{_mode_name(run)}: predicted probability, {epoch}"
    if not info.probabilities or not vocabulary:
        return _empty(title, "No predictions to show.")
    positions = len(info.probabilities)
    tokens = [_token(t) for t in vocabulary]
    hover_labels = _position_labels(run, HOVER_CHARS)
    hover_labels += info.labels[len(hover_labels) :]
    customdata = [
        [
            [
                hover_labels[p],
                _token(vocabulary[v], HOVER_CHARS),
                " (the target)" if info.targets[p] == v else "",
            ]
            for p in range(positions)
        ]
        for v in range(len(vocabulary))
    ]
    fig = go.Figure(
        go.Heatmap(
            z=_transpose(info.probabilities),
            x=list(range(positions)),
            y=list(range(len(vocabulary))),
            zmin=0,
            zmax=1,
            colorscale="Blues",
            colorbar={"title": {"text": "p"}, "thickness": 12},
            customdata=customdata,
            hovertemplate=(
                "position %{customdata[0]}<br>token %{customdata[1]}%{customdata[2]}"
                "<br>probability %{z:.6f}<extra></extra>"
            ),
        )
    )
    for p, t in enumerate(info.targets):
        if t is not None:
            fig.add_shape(
                type="rect",
                x0=p - 0.5,
                x1=p + 0.5,
                y0=t - 0.5,
                y1=t + 0.5,
                line={"color": "#D55E00", "width": 2.5},
            )
    for p, ok in enumerate(info.correct):
        fig.add_annotation(
            x=p,
            y=1.0,
            xref="x",
            yref="paper",
            yanchor="bottom",
            text="✓" if ok else "✗",
            showarrow=False,
            font={"size": 14, "color": "#009E73" if ok else "#C0392B"},
        )
    fig.update_xaxes(**_position_axis(info.labels))
    fig.update_yaxes(
        title_text="token",
        tickmode="array",
        tickvals=list(range(len(tokens))),
        ticktext=tokens,
        autorange="reversed",
    )
    right = sum(info.correct)
    subtitle = (
        f"{right} of {positions} right (✓: the most probable token is the target, outlined). "
        f"{_groups_note(run)}"
    )
    height = _clamp(170 + 30 * len(vocabulary), 260, 760) + _label_room(info.labels)
    fig = _layout(fig, title, subtitle, height=height, width=PANEL_CHARS)
    fig.update_layout(margin={"t": fig.layout.margin.t + 22}, title_font_size=14)
    return fig


# --- states --------------------------------------------------------------------------


@dataclass(frozen=True)
class _StateGrid:
    values: list[list[float]]  # (positions, units)
    h0: list[list[float]] | None  # (positions, units); None when a snapshot is shown
    c0: list[list[float]] | None
    when: str


def _collect_state(run: Run, name: str, snapshot: int | None) -> _StateGrid:
    if name not in STATE_NAMES:
        raise ValueError(f"Unknown state {name!r}; choose one of: {', '.join(STATE_NAMES)}.")
    states = run.get("states") or []
    if name in SNAPSHOT_STATES:
        chosen, when = _pick_snapshot(run, snapshot)
    else:
        chosen, when = _pick_snapshot(run, None)
        if snapshot is not None:
            when += f"; snapshots keep only h and c, so snapshot {snapshot} is not shown"
    if chosen is not None:
        return _StateGrid([list(row) for row in chosen.get(name) or []], None, None, when)
    return _StateGrid(
        values=[list(s.get(name) or []) for s in states],
        h0=[list(s.get("h0") or []) for s in states],
        c0=[list(s.get("c0") or []) for s in states],
        when=when,
    )


def _state_scale(name: str, values: list[list[float]]) -> dict[str, Any]:
    """Gates are sigmoids in 0..1; the rest are signed and get a diverging scale centred on 0."""
    if name in ("i", "f", "o"):
        return {"colorscale": "Viridis", "zmin": 0.0, "zmax": 1.0}
    # h, g and h0 are tanh-bounded; c may grow past 1, so its scale follows the data.
    peak = max([abs(v) for row in values for v in row] + [1.0])
    return {"colorscale": "RdBu_r", "zmid": 0.0, "zmin": -peak, "zmax": peak}


def _state_customdata(run: Run, grid: _StateGrid) -> list[list[list[str]]]:
    """Per (unit, position): the position's label, and h0 and c0 of that unit as text."""
    labels = _position_labels(run, HOVER_CHARS)
    units = len(grid.values[0]) if grid.values else 0

    def entering(values: list[list[float]] | None, p: int, u: int) -> str:
        if values is None:
            return "not kept in snapshots"
        return f"{values[p][u]:.6f}" if p < len(values) and u < len(values[p]) else "?"

    return [
        [
            [labels[p] if p < len(labels) else str(p), entering(grid.h0, p, u), entering(grid.c0, p, u)]
            for p in range(len(grid.values))
        ]
        for u in range(units)
    ]


def _state_heatmap(run: Run, name: str, grid: _StateGrid, **extra: Any) -> go.Heatmap:
    return go.Heatmap(
        z=_transpose(grid.values),
        x=list(range(len(grid.values))),
        y=list(range(len(grid.values[0]))),
        customdata=_state_customdata(run, grid),
        hovertemplate=(
            f"position %{{customdata[0]}}<br>unit %{{y}}<br>{name} = %{{z:.6f}}"
            "<br>h0 = %{customdata[1]}, c0 = %{customdata[2]}<extra></extra>"
        ),
        **extra,
    )


def _heatmap_height(units: int) -> int:
    return _clamp(170 + 14 * units, 320, 900)


def state_figure(run: Run, name: str, snapshot: int | None = None) -> go.Figure:
    """Heatmap of one state or gate: positions across, units down.

    Args:
        run: one of ``data["runs"]``.
        name: one of ``STATE_NAMES``: ``h``, ``c``, gates ``i``, ``f``, ``g``, ``o``, or the state
            entering each step, ``h0``/``c0``.
        snapshot: an index into ``run["snapshots"]``; used for ``h`` and ``c`` only, the
            only states snapshots keep (the title says so for the others).
    Raises:
        ValueError: ``name`` is not a state this module knows.
    """
    grid = _collect_state(run, name, snapshot)
    title = f"{_mode_name(run)}: {STATE_LABELS[name]} ({grid.when})"
    if not grid.values or not grid.values[0]:
        return _empty(title, "No states to show.")
    units = len(grid.values[0])
    fig = go.Figure(
        _state_heatmap(
            run,
            name,
            grid,
            colorbar={"title": {"text": name}, "thickness": 12},
            **_state_scale(name, grid.values),
        )
    )
    fig.update_xaxes(**_position_axis(_position_labels(run)))
    fig.update_yaxes(**_unit_axis(units))
    height = _heatmap_height(units) + _label_room(_position_labels(run))
    return _layout(fig, title, _groups_note(run), height=height)


def gates_figure(run: Run) -> go.Figure:
    """The four gates ``i``, ``f``, ``g``, ``o`` as 2×2 heatmaps, positions across, units down."""
    title = f"{_mode_name(run)}: the gates at each position (final, epoch {_final_epoch(run)})"
    grids = {name: _collect_state(run, name, None) for name in GATE_NAMES}
    if not grids["i"].values or not grids["i"].values[0]:
        return _empty(title, "No states to show.")
    units = len(grids["i"].values[0])
    fig = make_subplots(
        rows=2,
        cols=2,
        subplot_titles=[STATE_LABELS[name] for name in GATE_NAMES],
        shared_xaxes=True,
        shared_yaxes=True,
        horizontal_spacing=0.04,
        vertical_spacing=0.1,
    )
    for k, name in enumerate(GATE_NAMES):
        # g is tanh (-1..1); i, f and o are sigmoids (0..1): two colour axes, not one.
        axis = "coloraxis2" if name == "g" else "coloraxis"
        fig.add_trace(_state_heatmap(run, name, grids[name], coloraxis=axis), row=k // 2 + 1, col=k % 2 + 1)
    labels = _position_labels(run)
    fig.update_xaxes(tickmode="array", tickvals=list(range(len(labels))), ticktext=labels, showgrid=False)
    fig.update_yaxes(autorange="reversed", showgrid=False, dtick=_unit_dtick(units))
    fig.update_layout(
        coloraxis={
            "colorscale": "Viridis",
            "cmin": 0,
            "cmax": 1,
            "colorbar": {"title": {"text": "i f o"}, "thickness": 12, "len": 0.45, "y": 0.78},
        },
        coloraxis2={
            "colorscale": "RdBu_r",
            "cmid": 0,
            "cmin": -1,
            "cmax": 1,
            "colorbar": {"title": {"text": "g"}, "thickness": 12, "len": 0.45, "y": 0.22},
        },
    )
    height = _clamp(220 + 28 * units, 460, 1100) + _label_room(labels)
    fig = _layout(fig, title, _groups_note(run), height=height)
    # The top row's subplot titles sit above the plot area, where the subtitle would be.
    fig.update_layout(margin={"t": fig.layout.margin.t + 20})
    return fig


# --- difference ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Difference:
    h: list[float]  # per unit, h(a) - h(b)
    c: list[float]
    pairs_h: list[tuple[float, float]]  # per unit, (h(a), h(b))
    pairs_c: list[tuple[float, float]]
    max_abs: float
    when: str


def _collect_difference(run: Run, a: int, b: int, snapshot: int | None) -> _Difference | None:
    """None when ``a`` or ``b`` is not a position of the run."""
    chosen, when = _pick_snapshot(run, snapshot)
    source = (
        chosen if chosen is not None else {k: [s.get(k) or [] for s in run.get("states") or []] for k in "hc"}
    )
    h, c = source.get("h") or [], source.get("c") or []
    if not (0 <= a < len(h) and 0 <= b < len(h) and len(c) == len(h)):
        return None
    pairs_h = list(zip(h[a], h[b], strict=True))
    pairs_c = list(zip(c[a], c[b], strict=True))
    dh = [x - y for x, y in pairs_h]
    dc = [x - y for x, y in pairs_c]
    max_abs = max([abs(v) for v in dh + dc] + [0.0])
    return _Difference(dh, dc, pairs_h, pairs_c, max_abs, when)


def difference_figure(run: Run, a: int, b: int, snapshot: int | None = None) -> go.Figure:
    """Per unit, ``h`` and ``c`` at position ``a`` minus those at position ``b``.

    The title states the largest absolute difference, so two positions the model cannot tell
    apart read "max |Δ| = 0 (identical)".
    """
    info = _collect_difference(run, a, b, snapshot)
    labels = _position_labels(run, HOVER_CHARS)
    if info is None:
        title = f"{_mode_name(run)}: position {a} minus position {b}"
        return _empty(
            title, f"Choose two positions between 0 and {len(labels) - 1}." if labels else "No states."
        )
    verdict = f"max |Δ| = {info.max_abs:.3g}"
    if info.max_abs <= IDENTICAL:
        verdict += " (identical)"
    title = f"{_mode_name(run)}: position {a} minus position {b}: {verdict}"
    color = MODE_COLORS.get(str(run.get("mode")), OTHER_COLOR)
    units = list(range(len(info.h)))
    fig = go.Figure()
    for name, values, pairs, opacity in (("h", info.h, info.pairs_h, 1.0), ("c", info.c, info.pairs_c, 0.45)):
        fig.add_trace(
            go.Bar(
                x=units,
                y=values,
                name=f"{name}({a}) − {name}({b})",
                marker={"color": color, "opacity": opacity, "line": {"color": color, "width": 1}},
                customdata=[list(pair) for pair in pairs],
                hovertemplate=(
                    f"unit %{{x}}<br>{name}({a}) = %{{customdata[0]:.6f}}"
                    f"<br>{name}({b}) = %{{customdata[1]:.6f}}<br>Δ{name} = %{{y:.6f}}<extra></extra>"
                ),
            )
        )
    fig.update_layout(barmode="group", bargap=0.25)
    fig.update_xaxes(title_text="unit", dtick=_unit_dtick(len(units)))
    fig.update_yaxes(title_text="difference", zeroline=True, zerolinecolor="#888")
    name_a, name_b = (labels[p] if p < len(labels) else str(p) for p in (a, b))
    subtitle = (
        f"{info.when}. Position {name_a} minus position {name_b}; "
        f"max |Δh| = {max([abs(v) for v in info.h] + [0.0]):.3g}, "
        f"max |Δc| = {max([abs(v) for v in info.c] + [0.0]):.3g}."
    )
    return _layout(fig, title, subtitle, height=380)


# --- state flow ----------------------------------------------------------------------

HALF_WIDTH = 0.4  # half a box, in timesteps
HALF_HEIGHT = 0.34  # half a box, in rows
BATCH_GAP = 0.5  # extra rows between batches (when batches hold more than one sample)
ROW_PIXELS = 46  # per row, so a box fits two lines of text
MIN_COLUMNS = 5  # one-step feeds keep narrow boxes instead of one box across the page


@dataclass(frozen=True)
class _FlowCell:
    sample: int
    step: int
    x: float
    y: float
    position: int | None  # the position this step predicts, if any
    text: str  # drawn in the box
    hover: str
    kind: str  # zeros | previous_step | previous_batch
    reset: bool
    tail: Point | None  # where the arrow into this cell starts
    head: Point | None


@dataclass(frozen=True)
class _Flow:
    cells: list[_FlowCell]
    rows: list[tuple[float, str]]  # (y, "batch k, sample i") from the top
    timesteps: int


def _flow_rows(feed: Run) -> dict[int, tuple[float, int]]:
    """Sample → (y, batch): rows in batch order, with a gap between batches."""
    batches = feed.get("batches") or []
    if not batches:
        by_batch: dict[int, list[int]] = {}
        for cell in feed.get("cells") or []:
            members = by_batch.setdefault(int(cell.get("batch", 0)), [])
            if cell["sample"] not in members:
                members.append(cell["sample"])
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


def _collect_flow(run: Run) -> _Flow:
    feed = run.get("feed") or {}
    cells = feed.get("cells") or []
    x_tokens = feed.get("x_tokens") or []
    labels = _position_labels(run, HOVER_CHARS)
    rows = _flow_rows(feed)
    batch_size = max(1, int(run.get("batch_size") or 1))
    timesteps = max([int(cell["step"]) + 1 for cell in cells] + [0])
    out = []
    for cell in cells:
        s, t = int(cell["sample"]), int(cell["step"])
        y, batch = rows.get(s, (float(s), int(cell.get("batch", 0))))
        token = x_tokens[s][t] if s < len(x_tokens) and t < len(x_tokens[s]) else None
        position = cell.get("position")
        source = cell.get("source") or {}
        kind = str(source.get("kind", ZEROS))
        where = SOURCE_LABELS.get(kind, plain(kind))
        if kind != ZEROS:
            where += f" (sample {source.get('sample')}, step {source.get('step')})"
        if position is None:
            predicts, target = "no output", "nothing (no output is trained here)"
        else:
            predicts = f"→ p{position}"
            target = "position " + (labels[position] if position < len(labels) else str(position))
        hover = "<br>".join(
            [
                f"batch {batch}, sample {s}, step {t}",
                f"input {_token(token, HOVER_CHARS)}",
                f"predicts {target}",
                where,
            ]
            + (["state reset here"] if cell.get("reset") else [])
        )
        tail = head = None
        if kind in (PREVIOUS_STEP, PREVIOUS_BATCH) and source.get("sample") is not None:
            src_y = rows.get(int(source["sample"]), (float(source["sample"]), 0))[0]
            index = int(cell.get("index_in_batch", 0))
            gutter = HALF_WIDTH + 0.05 + (index + 1) * min(0.08, 0.4 / batch_size)
            tail, head = _arrow(kind, (float(source["step"]), src_y), (float(t), y), gutter)
        out.append(
            _FlowCell(
                sample=s,
                step=t,
                x=float(t),
                y=y,
                position=position,
                text=f"{_token(token)}<br>{predicts}",
                hover=hover,
                kind=kind,
                reset=bool(cell.get("reset")),
                tail=tail,
                head=head,
            )
        )
    labels_by_row = sorted(
        (y, f"batch {batch}, sample {s}") for s, (y, batch) in rows.items() if any(c.sample == s for c in out)
    )
    return _Flow(out, labels_by_row, timesteps)


def state_flow_figure(run: Run) -> go.Figure:
    """Where each step's state comes from: one box per (sample, step), rows grouped by batch.

    Each box shows its input token and the position it predicts. Arrows bring state in from
    the previous step or from the same slot of the previous batch (stateful); a hollow circle
    marks a box whose state starts from zeros, and "reset" where the state is reset.
    """
    info = _collect_flow(run)
    title = f"{_mode_name(run)}: where each step's state comes from"
    if not info.cells:
        return _empty(title, "No feed to show.")
    feed = run.get("feed") or {}
    fig = go.Figure()
    for cell in info.cells:
        fig.add_shape(
            type="rect",
            x0=cell.x - HALF_WIDTH,
            x1=cell.x + HALF_WIDTH,
            y0=cell.y - HALF_HEIGHT,
            y1=cell.y + HALF_HEIGHT,
            line={"color": "#888", "width": 1},
            fillcolor="#EAF2FB" if cell.position is not None else "#F4F4F4",
            layer="below",
        )
        if cell.tail is not None and cell.head is not None:
            fig.add_annotation(
                name=cell.kind,
                x=cell.head[0],
                y=cell.head[1],
                ax=cell.tail[0],
                ay=cell.tail[1],
                xref="x",
                yref="y",
                axref="x",
                ayref="y",
                text="",
                showarrow=True,
                arrowhead=2,
                arrowsize=1.2,
                arrowwidth=1.6,
                arrowcolor=SOURCE_COLORS.get(cell.kind, OTHER_COLOR),
                standoff=1,
            )
    font_size = 11 if info.timesteps <= 12 else 9
    fig.add_trace(
        go.Scatter(
            x=[c.x for c in info.cells],
            y=[c.y for c in info.cells],
            mode="markers+text",
            text=[c.text for c in info.cells],
            textfont={"size": font_size},
            hovertext=[c.hover for c in info.cells],
            hoverinfo="text",
            marker={"size": 28, "color": "rgba(0,0,0,0)", "symbol": "square"},
            showlegend=False,
            name="boxes",
        )
    )
    zeros = [c for c in info.cells if c.kind == ZEROS]
    fig.add_trace(
        go.Scatter(
            x=[c.x - HALF_WIDTH + 0.06 for c in zeros],
            y=[c.y for c in zeros],
            mode="markers",
            marker={"symbol": "circle-open", "size": 10, "color": SOURCE_COLORS[ZEROS], "line": {"width": 2}},
            name=SOURCE_LABELS[ZEROS],
            hoverinfo="skip",
        )
    )
    resets = [c for c in info.cells if c.reset]
    fig.add_trace(
        go.Scatter(
            x=[c.x - HALF_WIDTH for c in resets],
            y=[c.y - HALF_HEIGHT for c in resets],
            mode="text",
            text=["reset"] * len(resets),
            textposition="top right",
            textfont={"size": 9, "color": "#C0392B"},
            name="reset",
            showlegend=False,
            hoverinfo="skip",
        )
    )
    for kind in (PREVIOUS_STEP, PREVIOUS_BATCH):
        # Annotations have no legend entry: a line trace with no points explains each arrow colour.
        fig.add_trace(
            go.Scatter(
                x=[None],
                y=[None],
                mode="lines",
                line={"color": SOURCE_COLORS[kind], "width": 2},
                name=f"→ {SOURCE_LABELS[kind]}",
            )
        )
    span = info.rows[-1][0] - info.rows[0][0] + 1
    right = max(info.timesteps, MIN_COLUMNS) - 1 + HALF_WIDTH + 0.55
    fig.update_xaxes(
        tickmode="array",
        tickvals=list(range(info.timesteps)),
        ticktext=[f"step {t}" for t in range(info.timesteps)],
        side="top",
        range=[-0.6, right],
        showgrid=False,
        zeroline=False,
    )
    fig.update_yaxes(
        tickmode="array",
        tickvals=[y for y, _ in info.rows],
        ticktext=[label for _, label in info.rows],
        range=[info.rows[-1][0] + 0.55, info.rows[0][0] - 0.55],  # reversed: batch 0 on top
        showgrid=False,
        zeroline=False,
    )
    fig.update_layout(legend={"orientation": "h", "x": 0.0, "y": 0.0, "yanchor": "top"})
    subtitle = f"{feed.get('description', '')} X {run.get('x_shape')}, Y {run.get('y_shape')}."
    fig = _layout(fig, title, plain(subtitle), height=_clamp(190 + ROW_PIXELS * span, 300, 2000))
    fig.update_layout(margin={"t": fig.layout.margin.t + 24, "b": 60, "l": 120})
    return fig
