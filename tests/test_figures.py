"""Figure builders: the data each figure draws, checked against the typed run it was built from."""

import ast
import dataclasses
import inspect
import json
import math
import subprocess
import sys

import numpy as np
import plotly.graph_objects as go
import pytest
from plotly.subplots import make_subplots

import seqviz.figures as built
from seqviz.cells import CELLS
from seqviz.config import MODE_NAMES, RunConfig
from seqviz.engine import run
from seqviz.figures import flow, loss, predictions, states
from seqviz.figures._common import SOURCE_LABELS
from seqviz.results import FeedCell, FeedView, ModeResult, Prediction, Snapshot, Source, StepState


class _Validating:
    """``seqviz.figures`` with every ``*_figure`` builder's plain dict read back as a
    ``go.Figure``: Plotly validates every property of it (the page sends the dicts as they
    are), and the tests read it as before. The dict must also be plain JSON."""

    def __getattr__(self, name):
        value = getattr(built, name)
        if not (callable(value) and name.endswith("_figure")):
            return value

        def validated(*args, **kwargs):
            spec = value(*args, **kwargs)
            assert isinstance(spec, dict) and set(spec) == {"data", "layout"}
            json.dumps(spec, allow_nan=False)  # no numpy, no NaN: the JSON the browser gets
            return go.Figure(spec)

        return validated


figures = _Validating()
HOSTILE = "<b>x</b> **y** $z$ <b>x</b> $z$ **y**"
ZEROS = Source("zeros")


def _shown(text: str) -> str:
    """A title as read: the lines the theme wrapped it into, joined."""
    return text.replace("<br>", " ")


def _by_mode(data):
    return {r.mode: r for r in data.runs}


@pytest.fixture(scope="module")
def data(short_reference):
    """The reference question in all four modes, with three snapshots (an LSTM, one layer)."""
    return short_reference.run


@pytest.fixture(scope="module")
def hostile():
    """Tokens that Plotly would read as HTML or LaTeX if they were not escaped."""
    return run(RunConfig(sequence=HOSTILE, framing="next", mode="all", epochs=20, snapshots=3)).run


@pytest.fixture(scope="module")
def by_cell(data):
    """One run per registered cell: the LSTM reference, a 2-layer GRU, every other cell one layer."""
    return {
        "lstm": data,
        "gru": run(RunConfig(mode="all", epochs=20, snapshots=3, cell="gru", layers=2)).run,
        **{
            name: run(RunConfig(mode="all", epochs=20, snapshots=3, cell=name)).run
            for name in CELLS
            if name not in ("lstm", "gru")
        },
    }


def _z(fig, k=0):
    return np.asarray(fig.data[k].z, dtype=float)


def _grid(r, name, layer=None):
    """(units, positions): how the heatmaps lay a name's values out."""
    return np.array([s.value(name, layer) for s in r.states]).T


def _strings(obj):
    """Every string anywhere in a figure's JSON-ready dict."""
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, dict):
        for value in obj.values():
            yield from _strings(value)
    elif isinstance(obj, (list, tuple)):
        for value in obj:
            yield from _strings(value)
    elif isinstance(obj, np.ndarray):
        yield from _strings(obj.tolist())


def _all_figures(data):
    cell = data.config.cell
    for r in data.runs:
        yield figures.predictions_figure(r, data.vocabulary)
        yield figures.predictions_figure(r, data.vocabulary, snapshot=1)
        for name in figures.state_names(cell):
            yield figures.state_figure(r, name)
        yield figures.state_figure(r, "h", snapshot=0)
        yield figures.internals_figure(r, cell)
        yield figures.difference_figure(r, 0, 1)
        yield figures.state_flow_figure(r)
    yield figures.loss_figure(data.runs)


# --- hand-built modes: small enough to write every expected value down ------------------


def _mode(states=(), predictions=(), snapshots=(), feed=None, **fields):
    """A ModeResult with only what a test gives; the rest empty."""
    values = {
        "mode": "sequence",
        "description": "hand-built",
        "x_shape": [1, 2, 2],
        "y_shape": [1, 2, 2],
        "batch_size": 1,
        "stateful": False,
        "return_sequences": True,
        "epochs": len(fields.get("loss", [])),
        "stopped": False,
        "loss": [],
        "final_loss": 0.0,
        "loss_floor": 0.0,
        "ambiguous_positions": [],
        "identical_groups": [],
        "accuracy": 0.0,
        "trainer": "numpy",
        "train_seconds": 0.0,
        **fields,
    }
    feed = feed or FeedView("", [], [], [], [], [], [])
    return ModeResult(
        **values, predictions=list(predictions), states=list(states), snapshots=list(snapshots), feed=feed
    )


EMPTY = _mode()

# Two positions of a one-layer LSTM with two units.
LSTM_STEPS = [
    {
        "h0": [0.0, 0.0],
        "c0": [0.0, 0.0],
        "i": [0.5, 0.6],
        "f": [0.7, 0.8],
        "g": [-0.1, 0.2],
        "o": [0.9, 0.1],
        "c": [-0.05, 0.12],
        "h": [-0.04, 0.01],
    },
    {
        "h0": [-0.04, 0.01],
        "c0": [-0.05, 0.12],
        "i": [0.4, 0.3],
        "f": [0.2, 0.1],
        "g": [0.5, -0.5],
        "o": [0.6, 0.7],
        "c": [0.19, 1.5],
        "h": [0.11, 0.63],
    },
]
HAND_PREDICTIONS = [
    Prediction(0, "a", "b", "b", 0.6, True, [0.4, 0.6]),
    Prediction(1, "b", "a", "b", 0.7, False, [0.3, 0.7]),
]
HAND_SNAPSHOT = Snapshot(
    1, 0.7, [[0.8, 0.2], [0.9, 0.1]], {"h": [[0.1, 0.2], [0.3, 0.4]], "c": [[1, 2], [3, 5]]}
)


def _lstm_mode(**fields):
    steps = [
        StepState(p, 0, p, 0, v, ZEROS if p == 0 else Source("previous_step", 0, 0, 0))
        for p, v in enumerate(LSTM_STEPS)
    ]
    return _mode(steps, HAND_PREDICTIONS, [HAND_SNAPSHOT], loss=[0.9, 0.5], loss_floor=0.25, **fields)


def _gru_mode():
    """Two positions of a 2-layer GRU with one unit: layer k's values are all k + p / 10."""
    names = ("h0", "z", "r", "hh", "h")

    def values(k, p):
        return {n: [round(k + p / 10 + j / 100, 6)] for j, n in enumerate(names)}

    steps = [StepState(p, 0, p, 0, values(1, p), ZEROS, [values(0, p), values(1, p)]) for p in range(2)]
    return _mode(
        steps, HAND_PREDICTIONS, [Snapshot(1, 0.7, [[0.5, 0.5]] * 2, {"h": [[9.0], [8.0]]})], loss=[0.9]
    )


# --- text ----------------------------------------------------------------------------


def test_plain_escapes_markup_and_every_dollar():
    assert figures.plain("<b>&</b>") == "&lt;b&gt;&amp;&lt;/b&gt;"
    assert figures.plain("&lt;") == "&amp;lt;"  # an entity typed by the user stays visible as typed
    for text in ("$z$", "0: $z$→y", "a$b"):
        assert "$" not in figures.plain(text)
        assert figures.plain(text).replace("&#36;", "$") == text
    assert figures.plain("**y**") == "**y**"


def test_figures_package_imports_neither_ui_nor_tensorflow():
    code = (
        "import sys, seqviz.figures;"
        "bad = [m for m in ('streamlit', 'tensorflow', 'keras') if m in sys.modules];"
        "print(','.join(bad)); sys.exit(1 if bad else 0)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, f"imported: {done.stdout} {done.stderr}"


def test_every_mode_has_its_own_colour():
    from seqviz.modes import MODES

    assert set(figures.MODE_COLORS) == set(MODES) >= set(MODE_NAMES)
    assert len(set(figures.MODE_COLORS.values())) == len(MODES)


def test_each_colour_has_one_meaning():
    groups = {k: {c.lower() for c in v} for k, v in figures.COLOR_MEANINGS.items()}
    assert {"mode", "source", "target", "verdict"} <= set(groups)
    for meaning, colours in figures.COLOR_MEANINGS.items():
        assert len(set(c.lower() for c in colours)) == len(colours), meaning
    for a in groups:
        for b in groups:
            if a < b:
                assert not groups[a] & groups[b], (a, b)
    assert {c.lower() for c in figures.MODE_COLORS.values()} <= groups["mode"]
    assert {c.lower() for c in figures.SOURCE_COLORS.values()} <= groups["source"]
    assert {figures.TARGET_COLOR.lower()} == groups["target"]
    assert {c.lower() for c in figures.VERDICT_COLORS.values()} == groups["verdict"]


@pytest.mark.parametrize("panels", [1, 2, 3, 4, 5])
def test_the_subplot_grid_is_what_make_subplots_lays_out(panels):
    cols = min(2, panels)
    rows = math.ceil(panels / cols)
    titles = [f"panel {k}" for k in range(panels)]
    oracle = make_subplots(
        rows=rows,
        cols=cols,
        subplot_titles=titles,
        shared_xaxes=True,
        shared_yaxes=True,
        horizontal_spacing=0.04,
        vertical_spacing=0.1,
    )
    expected = oracle.to_plotly_json()["layout"]
    expected.pop("template", None)
    grid = go.Figure(layout=states.subplot_grid(rows, cols, titles, (0.04, 0.1))).to_plotly_json()["layout"]
    grid.pop("template", None)
    assert grid.keys() == expected.keys()
    for name, axis in expected.items():
        if name == "annotations":
            assert len(grid[name]) == len(axis)
            for mine, theirs in zip(grid[name], axis):
                assert mine == {**theirs, "x": pytest.approx(theirs["x"]), "y": pytest.approx(theirs["y"])}
        else:
            assert grid[name] == {**axis, "domain": pytest.approx(axis["domain"])}, name


def test_no_function_in_the_package_is_long():
    for module in (figures._common, loss, predictions, states, flow):
        for node in ast.walk(ast.parse(inspect.getsource(module))):
            if isinstance(node, ast.FunctionDef):
                assert node.end_lineno - node.lineno + 1 <= 62, (module.__name__, node.name)


def test_labels_come_from_the_cell_registry():
    for name, cell in CELLS.items():
        for internal in cell.internals:
            assert figures.state_label(name, internal.name) == internal.label
    assert figures.state_label("lstm", "h0") == "h0 (h_tm1), the h entering the step"
    assert figures.state_label("lstm", "c0") == "c0 (c_tm1), the c entering the step"
    assert figures.state_names("gru") == ("h0", "z", "r", "hh", "h")
    assert [i.name for i in figures.shown_internals("lstm")] == ["i", "f", "g", "o"]
    assert [i.name for i in figures.shown_internals("gru")] == ["z", "r", "hh"]
    assert [i.name for i in figures.shown_internals("simple_rnn")] == ["h"]
    with pytest.raises(ValueError, match="no 'c'"):
        figures.state_label("gru", "c")


# --- collected info, by equality -----------------------------------------------------


def test_collect_loss():
    m = _lstm_mode()
    assert loss._collect_loss([m, EMPTY]) == (
        loss.LossLine("sequence", (1, 2), (0.9, 0.5), 0.25),
        loss.LossLine("sequence", (), (), 0.0),
    )


def test_collect_predictions_final_and_snapshot():
    m = _lstm_mode(identical_groups=[[0, 1]])
    labels = ("0: a→b ≡A", "1: b→a ≡A")
    assert predictions._collect_predictions(m, ["a", "b"], None) == predictions.PredictionGrid(
        probabilities=((0.4, 0.6), (0.3, 0.7)),
        targets=(1, 0),
        correct=(True, False),
        tokens=("a", "b"),
        labels=labels,
        hover_labels=labels,
        when="final, epoch 2",
        missing=None,
    )
    snap = predictions._collect_predictions(m, ["a", "b"], 0)
    assert snap.probabilities == ((0.8, 0.2), (0.9, 0.1))
    assert snap.correct == (False, True)  # argmax is "a" at both positions; targets b, a
    assert snap.when == "epoch 1, snapshot 1 of 1"
    assert predictions._collect_predictions(EMPTY, [], None).missing == "No predictions to show."


def test_a_tie_is_never_counted_right_at_any_snapshot():
    """At a tie the floor forces a hedge, and which token is on top is float rounding: the final
    score (seqviz.engine) never counts it right, and neither does any epoch's."""
    tied = [Prediction(0, "a", "b", "b", 0.6, False, [0.4, 0.6], tie=True), HAND_PREDICTIONS[1]]
    m = _lstm_mode(identical_groups=[[0, 1]])
    m = _mode(
        **{**{f: getattr(m, f) for f in ("loss", "final_loss")}}, predictions=tied, snapshots=m.snapshots
    )
    snap = predictions._collect_predictions(m, ["a", "b"], 0)
    assert snap.correct == (False, True)  # position 0: argmax "a" is wrong anyway
    m.snapshots[0].probabilities[0] = [0.1, 0.9]  # argmax "b" is position 0's target, yet a tie
    assert predictions._collect_predictions(m, ["a", "b"], 0).correct == (False, True)
    fig = predictions.predictions_figure(m, ["a", "b"], 0)
    assert "1 of 2 right" in fig["layout"]["title"]["subtitle"]["text"]
    assert "a tie never counts" in fig["layout"]["title"]["subtitle"]["text"]


def test_collect_state_final_snapshot_and_fallback():
    m = _lstm_mode()
    h0 = ((0.0, 0.0), (-0.04, 0.01))
    c0 = ((0.0, 0.0), (-0.05, 0.12))
    labels = ("0: a→b", "1: b→a")
    assert states._collect_state(m, "c", None, None) == states.StateGrid(
        name="c",
        label="c, the cell state",
        values=((-0.05, 0.12), (0.19, 1.5)),
        entering=(("h0", h0), ("c0", c0)),
        scale=states.Scale("RdBu_r", -1.5, 1.5, 0.0),  # c is unbounded: the data's peak
        labels=labels,
        when="final, epoch 2",
        missing=None,
    )
    assert states._collect_state(m, "f", None, None).scale == states.Scale("Viridis", 0.0, 1.0, None)
    assert states._collect_state(m, "h0", None, None).scale == states.Scale("RdBu_r", -1.0, 1.0, 0.0)
    assert states._collect_state(m, "h", 0, None) == states.StateGrid(
        name="h",
        label="h, the hidden state (output)",
        values=((0.1, 0.2), (0.3, 0.4)),
        entering=(("h0", None), ("c0", None)),
        scale=states.Scale("RdBu_r", -1.0, 1.0, 0.0),
        labels=labels,
        when="epoch 1, snapshot 1 of 1",
        missing=None,
    )
    gate = states._collect_state(m, "i", 0, None)
    assert gate.values == ((0.5, 0.6), (0.4, 0.3))
    assert gate.when == "final, epoch 2; snapshots keep only h and c, so snapshot 0 is not shown"
    assert (
        states._collect_state(m, "z", None, None).missing
        == "The LSTM cell has no z; its steps hold h0, c0, i, f, g, o, c, h."
    )
    assert states._collect_state(EMPTY, "h", None, None).missing == "No states to show."


def test_collect_state_and_internals_pick_the_layer():
    m = _gru_mode()
    first = states._collect_state(m, "z", None, 0)
    assert first.values == ((0.01,), (0.11,))
    assert first.entering == (("h0", ((0.0,), (0.1,))),)
    assert first.when == "layer 1 of 2, final, epoch 1"
    assert states._collect_state(m, "z", None, None).values == ((1.01,), (1.11,))
    assert states._collect_state(m, "z", None, 1).values == ((1.01,), (1.11,))
    assert states._collect_state(m, "z", None, 2).missing == "There is no layer 2: the model has 2 (0 to 1)."
    # Snapshots keep the last layer only.
    assert states._collect_state(m, "h", 0, 1).values == ((9.0,), (8.0,))
    low = states._collect_state(m, "h", 0, 0)
    assert low.values == ((0.04,), (0.14,))
    assert low.when.endswith("snapshots keep only the last layer, so snapshot 0 is not shown")
    info = states._collect_internals(m, "gru", 0)
    assert [p.name for p in info.panels] == ["z", "r", "hh"]
    assert [p.values for p in info.panels] == [((0.01,), (0.11,)), ((0.02,), (0.12,)), ((0.03,), (0.13,))]
    assert [p.label for p in info.panels] == [i.label for i in CELLS["gru"].internals[:3]]
    assert info.missing is None and info.when == "layer 1 of 2, final, epoch 1"
    assert "ran the GRU cell, not the LSTM" in states._collect_internals(m, "lstm", None).missing


def test_collect_difference():
    m = _lstm_mode()
    info = states._collect_difference(m, 1, 0, None, None)
    assert info == states.Difference(
        a=1,
        b=0,
        states=(
            states.StateDelta("h", (0.11 - -0.04, 0.63 - 0.01), ((0.11, -0.04), (0.63, 0.01))),
            states.StateDelta("c", (0.19 - -0.05, 1.5 - 0.12), ((0.19, -0.05), (1.5, 0.12))),
        ),
        when="final, epoch 2",
        missing=None,
    )
    assert info.max_abs == pytest.approx(1.38)
    snap = states._collect_difference(m, 1, 0, 0, None)
    assert [s.delta for s in snap.states] == [(0.3 - 0.1, 0.4 - 0.2), (2.0, 3.0)]
    assert states._collect_difference(m, 0, 9, None, None).missing == "Choose two positions between 0 and 1."
    assert states._collect_difference(EMPTY, 0, 1, None, None).missing == "No states."
    layered = states._collect_difference(_gru_mode(), 1, 0, None, 0)
    assert layered.states == (states.StateDelta("h", (0.14 - 0.04,), ((0.14, 0.04),)),)
    assert layered.when == "layer 1 of 2, final, epoch 1"


def test_collect_flow():
    cells = [
        FeedCell(0, 0, 0, 0, None, ZEROS, True),
        FeedCell(0, 1, 0, 0, 0, Source("previous_step", 0, 0, None), False),
    ]
    feed = FeedView("two steps", [["a", "<b>"]], [["b"]], [], [], [[0]], cells)
    m = _mode(predictions=HAND_PREDICTIONS[:1], feed=feed, x_shape=[1, 2, 2], y_shape=[1, 2])
    assert flow._collect_flow(m) == flow.Flow(
        boxes=(
            flow.FlowBox(
                sample=0,
                step=0,
                x=0.0,
                y=0.0,
                position=None,
                text="a<br>no output",
                hover=(
                    "batch 0, sample 0, step 0<br>input a<br>predicts nothing (no output is trained here)"
                    f"<br>{SOURCE_LABELS['zeros']}<br>state reset here"
                ),
                kind="zeros",
                reset=True,
                tail=None,
                head=None,
            ),
            flow.FlowBox(
                sample=0,
                step=1,
                x=1.0,
                y=0.0,
                position=0,
                text="&lt;b&gt;<br>→ b",
                hover=(
                    "batch 0, sample 0, step 1<br>input &lt;b&gt;<br>predicts position 0: a→b"
                    f"<br>{SOURCE_LABELS['previous_step']} (sample 0, step 0)"
                ),
                kind="previous_step",
                reset=False,
                tail=(0.4, 0.0),
                head=(0.6, 0.0),
            ),
        ),
        rows=((0.0, "batch 0, sample 0"),),
        timesteps=2,
        subtitle="two steps X [1, 2, 2], Y [1, 2].",
    )


# --- loss ----------------------------------------------------------------------------


def test_loss_figure_has_a_line_and_a_floor_per_mode(data):
    fig = figures.loss_figure(data.runs)
    assert len(fig.data) == 2 * len(data.runs)
    for r in data.runs:
        color = figures.MODE_COLORS[r.mode]
        (line,) = [t for t in fig.data if t.name == r.mode]
        assert list(line.y) == pytest.approx(r.loss)
        assert list(line.x) == list(range(1, len(r.loss) + 1))
        assert line.line.color == color
        (floor,) = [t for t in fig.data if t.name.startswith(f"{r.mode} floor")]
        assert list(floor.y) == pytest.approx([r.loss_floor] * 2)
        assert floor.line.dash == "dash" and floor.line.color == color
    assert fig.layout.yaxis.type == "linear"
    assert fig.layout.title.text


def test_loss_figure_log_scale_says_zero_floors_cannot_be_drawn(data):
    fig = figures.loss_figure(data.runs, log_scale=True)
    assert fig.layout.yaxis.type == "log"
    assert "log axis" in _shown(fig.layout.title.subtitle.text)  # sequence, window and stateful reach 0


# --- predictions ---------------------------------------------------------------------


def test_predictions_heatmap_is_the_runs_probabilities(data):
    vocabulary = data.vocabulary
    for r in data.runs:
        fig = figures.predictions_figure(r, vocabulary)
        probs = np.array([p.probabilities for p in r.predictions])
        np.testing.assert_array_equal(_z(fig), probs.T)  # rows = tokens, columns = positions
        assert list(fig.layout.xaxis.ticktext)[0].startswith("0: 0→1")
        assert list(fig.layout.yaxis.ticktext) == vocabulary
        marks = [a.text for a in fig.layout.annotations]
        assert marks == ["✓" if p.correct else "✗" for p in r.predictions]
        assert [a.font.color for a in fig.layout.annotations] == [
            figures.VERDICT_COLORS[p.correct] for p in r.predictions
        ]
        outlined = {(round((s.x0 + s.x1) / 2), round((s.y0 + s.y1) / 2)) for s in fig.layout.shapes}
        assert outlined == {(p, vocabulary.index(q.target)) for p, q in enumerate(r.predictions)}
        assert {s.line.color for s in fig.layout.shapes} == {figures.TARGET_COLOR}
        assert "%{z:.6f}" in fig.data[0].hovertemplate


def test_predictions_snapshot_draws_that_epochs_probabilities(data):
    r = _by_mode(data)["sequence"]
    fig = figures.predictions_figure(r, data.vocabulary, snapshot=0)
    first = np.array(r.snapshots[0].probabilities)
    np.testing.assert_array_equal(_z(fig), first.T)
    assert not np.array_equal(_z(fig), _z(figures.predictions_figure(r, data.vocabulary)))
    assert f"epoch {r.snapshots[0].epoch}" in _shown(fig.layout.title.text)
    right = [int(np.argmax(row)) == data.vocabulary.index(q.target) for row, q in zip(first, r.predictions)]
    assert [a.text for a in fig.layout.annotations] == ["✓" if ok else "✗" for ok in right]


# --- states --------------------------------------------------------------------------

CELL_NAMES = [(cell, name) for cell in CELLS for name in figures.state_names(cell)]


@pytest.mark.parametrize(("cell", "name"), CELL_NAMES)
def test_state_heatmap_is_the_runs_states(by_cell, cell, name):
    r = _by_mode(by_cell[cell])["window"]
    fig = figures.state_figure(r, name)
    np.testing.assert_array_equal(_z(fig), _grid(r, name))
    trace = fig.data[0]
    if name in {i.name for i in CELLS[cell].internals if i.low == 0.0}:  # the sigmoid gates
        assert (trace.zmin, trace.zmax) == (0, 1)
    else:
        assert trace.zmid == 0 and trace.zmin == -trace.zmax
    assert figures.state_label(cell, name) in _shown(fig.layout.title.text)


def test_lstm_gates_are_the_sigmoid_ones(data):
    r = _by_mode(data)["window"]
    for name in ("i", "f", "o"):
        assert (figures.state_figure(r, name).data[0].zmin, figures.state_figure(r, name).data[0].zmax) == (
            0,
            1,
        )


def test_state_hover_carries_the_entering_state_of_each_unit(data):
    r = _by_mode(data)["sequence"]
    fig = figures.state_figure(r, "c")
    custom = fig.data[0].customdata
    for p, state in enumerate(r.states):
        for u in (0, len(state.values["h0"]) - 1):
            label, h0, c0 = custom[u][p]
            assert label.startswith(f"{p}: ")
            assert float(h0) == state.values["h0"][u] and float(c0) == state.values["c0"][u]
    template = fig.data[0].hovertemplate
    assert "%{z:.6f}" in template and "unit %{y}" in template
    assert "h0 = %{customdata[1]}, c0 = %{customdata[2]}" in template


def test_gru_hover_carries_only_h0(by_cell):
    r = _by_mode(by_cell["gru"])["sequence"]
    fig = figures.state_figure(r, "z")
    assert "h0 = %{customdata[1]}<extra>" in fig.data[0].hovertemplate
    assert "c0" not in fig.data[0].hovertemplate
    label, h0 = fig.data[0].customdata[0][1]
    assert float(h0) == r.states[1].values["h0"][0]


def test_state_snapshot_changes_h_and_c_but_not_gates(data):
    r = _by_mode(data)["stateful"]
    for name in ("h", "c"):
        fig = figures.state_figure(r, name, snapshot=0)
        np.testing.assert_array_equal(_z(fig), np.array(r.snapshots[0].states[name]).T)
        assert not np.array_equal(_z(fig), _z(figures.state_figure(r, name)))
        assert f"epoch {r.snapshots[0].epoch}" in _shown(fig.layout.title.text)
    fig = figures.state_figure(r, "f", snapshot=0)
    np.testing.assert_array_equal(_z(fig), _grid(r, "f"))
    assert "snapshots keep only h and c" in _shown(fig.layout.title.text)


def test_identical_positions_are_marked(data):
    r = _by_mode(data)["stateless"]
    assert r.identical_groups == [[0, 1]]
    ticks = list(figures.state_figure(r, "h").layout.xaxis.ticktext)
    assert all(tick.endswith("≡A") for tick in ticks)
    subtitle = _shown(figures.state_figure(r, "h").layout.title.subtitle.text)
    assert "≡A = positions 0, 1" in subtitle.replace("\xa0", " ")
    assert not any(
        "≡" in tick for tick in figures.state_figure(_by_mode(data)["sequence"], "h").layout.xaxis.ticktext
    )


def test_unknown_state_name_is_refused(data):
    with pytest.raises(ValueError, match="Unknown state"):
        figures.state_figure(data.runs[0], "x")
    with pytest.raises(ValueError, match="Unknown cell"):
        figures.internals_figure(data.runs[0], "transformer")


def test_a_name_the_cell_does_not_hold_says_so(by_cell):
    fig = figures.state_figure(by_cell["gru"].runs[0], "c")
    assert fig.layout.title.text and not fig.data
    assert "The GRU cell has no c" in fig.layout.annotations[0].text


def test_gates_figure_has_the_four_gates(data):
    r = _by_mode(data)["sequence"]
    fig = figures.internals_figure(r, "lstm")
    gates = [i for i in CELLS["lstm"].internals if i.name in ("i", "f", "g", "o")]
    assert [a.text for a in fig.layout.annotations][:4] == [i.label for i in gates]
    for k, gate in enumerate(gates):
        np.testing.assert_array_equal(_z(fig, k), _grid(r, gate.name))
    assert [t.coloraxis for t in fig.data] == ["coloraxis", "coloraxis", "coloraxis2", "coloraxis"]
    assert (fig.layout.coloraxis.cmin, fig.layout.coloraxis.cmax) == (0, 1)
    assert fig.layout.coloraxis.colorbar.title.text == "i f o"
    assert (fig.layout.coloraxis2.cmin, fig.layout.coloraxis2.cmid, fig.layout.coloraxis2.cmax) == (-1, 0, 1)
    # The old name still draws the same figure, and tells the cell by itself.
    assert figures.gates_figure(r).to_plotly_json() == fig.to_plotly_json()


def test_gru_internals_figure_has_z_r_and_the_candidate(by_cell):
    r = _by_mode(by_cell["gru"])["window"]
    fig = figures.internals_figure(r, "gru")
    internals = CELLS["gru"].internals[:3]
    assert len(fig.data) == 3
    assert [a.text for a in fig.layout.annotations][:3] == [i.label for i in internals]
    for k, internal in enumerate(internals):
        np.testing.assert_array_equal(_z(fig, k), _grid(r, internal.name))
    assert [t.coloraxis for t in fig.data] == ["coloraxis", "coloraxis", "coloraxis2"]
    assert fig.layout.coloraxis.colorbar.title.text == "z r"
    assert (fig.layout.coloraxis2.cmin, fig.layout.coloraxis2.cmax) == (-1, 1)
    assert "GRU" in _shown(fig.layout.title.text)
    assert figures.gates_figure(r).to_plotly_json() == fig.to_plotly_json()


def test_simple_rnn_internals_figure_is_h_alone(by_cell):
    r = _by_mode(by_cell["simple_rnn"])["sequence"]
    fig = figures.internals_figure(r, "simple_rnn")
    assert len(fig.data) == 1
    assert fig.layout.annotations[0].text == CELLS["simple_rnn"].internals[0].label
    np.testing.assert_array_equal(_z(fig), _grid(r, "h"))
    assert (fig.layout.coloraxis.cmin, fig.layout.coloraxis.cmid, fig.layout.coloraxis.cmax) == (-1, 0, 1)


def test_internals_of_another_cell_say_which_cell_ran(by_cell):
    fig = figures.internals_figure(by_cell["simple_rnn"].runs[0], "lstm")
    assert not fig.data and "ran the SimpleRNN cell, not the LSTM" in fig.layout.annotations[0].text


def test_a_stacked_run_shows_the_chosen_layer(by_cell):
    r = _by_mode(by_cell["gru"])["sequence"]
    assert len(r.states[0].layers) == 2
    first = figures.state_figure(r, "h", layer=0)
    np.testing.assert_array_equal(_z(first), np.array([s.layers[0]["h"] for s in r.states]).T)
    assert "layer 1 of 2" in _shown(first.layout.title.text)
    last = figures.state_figure(r, "h")
    np.testing.assert_array_equal(_z(last), np.array([s.layers[1]["h"] for s in r.states]).T)
    np.testing.assert_array_equal(_z(last), _z(figures.state_figure(r, "h", layer=1)))
    assert not np.array_equal(_z(first), _z(last))
    assert "layer 2 of 2" in _shown(last.layout.title.text)
    # Entering states in the hover are the chosen layer's too.
    assert float(first.data[0].customdata[0][1][1]) == r.states[1].layers[0]["h0"][0]
    internals = figures.internals_figure(r, "gru", layer=0)
    for k, name in enumerate(("z", "r", "hh")):
        np.testing.assert_array_equal(_z(internals, k), np.array([s.layers[0][name] for s in r.states]).T)
    diff = figures.difference_figure(r, 1, 0, layer=0)
    h = np.array([s.layers[0]["h"] for s in r.states])
    np.testing.assert_allclose(diff.data[0].y, h[1] - h[0], atol=1e-12)
    assert len(diff.data) == 1  # a GRU carries h only
    # Snapshots keep the last layer only: the first layer's h is the final one, and the title says so.
    snap = figures.state_figure(r, "h", snapshot=0, layer=0)
    np.testing.assert_array_equal(_z(snap), _z(first))
    assert "snapshots keep only the last layer" in _shown(snap.layout.title.text)
    np.testing.assert_array_equal(
        _z(figures.state_figure(r, "h", snapshot=0)), np.array(r.snapshots[0].states["h"]).T
    )
    missing = figures.state_figure(r, "h", layer=2)
    assert not missing.data and "no layer 2" in missing.layout.annotations[0].text


# --- difference ----------------------------------------------------------------------


def test_identical_positions_differ_by_zero(data):
    r = _by_mode(data)["stateless"]
    fig = figures.difference_figure(r, 0, 1)
    assert max(abs(v) for trace in fig.data for v in trace.y) < 1e-6
    assert "max |Δ| = 0 (identical)" in _shown(fig.layout.title.text)


def test_difference_is_a_minus_b_and_its_maximum_is_in_the_title(data):
    r = _by_mode(data)["sequence"]
    fig = figures.difference_figure(r, 1, 0)
    h, c = (np.array([s.values[k] for s in r.states]) for k in "hc")
    np.testing.assert_allclose(fig.data[0].y, h[1] - h[0], atol=1e-12)
    np.testing.assert_allclose(fig.data[1].y, c[1] - c[0], atol=1e-12)
    biggest = max(np.abs(h[1] - h[0]).max(), np.abs(c[1] - c[0]).max())
    assert biggest > 1e-3  # the sequence mode sees the whole prefix: different states
    assert f"max |Δ| = {biggest:.3g}" in _shown(fig.layout.title.text)
    assert "identical" not in _shown(fig.layout.title.text)
    assert {t.marker.color for t in fig.data} == {figures.MODE_COLORS["sequence"]}
    snap = figures.difference_figure(r, 1, 0, snapshot=0)
    h0 = np.array(r.snapshots[0].states["h"])
    np.testing.assert_allclose(snap.data[0].y, h0[1] - h0[0], atol=1e-12)


# --- state flow ----------------------------------------------------------------------


def _arrows(fig, kind):
    return [a for a in fig.layout.annotations if a.name == kind]


@pytest.mark.parametrize("fixture", ["data", "hostile"])
def test_stateful_flow_has_an_arrow_per_previous_batch_cell(request, fixture):
    r = _by_mode(request.getfixturevalue(fixture))["stateful"]
    assert r.batch_size == 1
    fig = figures.state_flow_figure(r)
    cells = r.feed.cells
    from_batch = [c for c in cells if c.source.kind == "previous_batch"]
    arrows = _arrows(fig, "previous_batch")
    assert len(from_batch) == len(cells) - 1 == len(arrows)
    rows = dict(zip(fig.layout.yaxis.ticktext, fig.layout.yaxis.tickvals, strict=True))
    for cell, arrow in zip(from_batch, arrows, strict=True):
        assert (arrow.axref, arrow.ayref) == ("x", "y")
        assert arrow.y == rows[f"batch {cell.batch}, sample {cell.sample}"]
        assert arrow.ay == rows[f"batch {cell.batch - 1}, sample {cell.source.sample}"]
        assert arrow.arrowcolor == figures.SOURCE_COLORS["previous_batch"]
    assert not _arrows(fig, "previous_step")
    zeros = [t for t in fig.data if t.name == figures.SOURCE_LABELS["zeros"]][0]
    assert len(zeros.x) == 1  # only the first batch starts from zeros
    resets = [t for t in fig.data if t.name == "reset"][0]
    assert len(resets.x) == sum(c.reset for c in cells) == 1


def test_sequence_and_window_flows_chain_steps(data):
    runs = _by_mode(data)
    for mode in ("sequence", "window"):
        r = runs[mode]
        fig = figures.state_flow_figure(r)
        steps = [c for c in r.feed.cells if c.source.kind == "previous_step"]
        arrows = _arrows(fig, "previous_step")
        assert len(arrows) == len(steps) > 0
        for cell, arrow in zip(steps, arrows, strict=True):
            assert arrow.ax < cell.step < arrow.ax + 1 and arrow.x < cell.step  # from t-1 into t
            assert arrow.ay == arrow.y  # along the sample's row
    stateless = figures.state_flow_figure(runs["stateless"])
    assert not [a for a in stateless.layout.annotations if a.showarrow]
    labels = list(stateless.layout.yaxis.ticktext)
    assert labels == ["batch 0, sample 0", "batch 0, sample 1"]


def test_flow_height_grows_with_samples():
    def feed_run(samples, batch_size):
        cells = [
            FeedCell(
                sample=s,
                step=0,
                batch=s // batch_size,
                index_in_batch=s % batch_size,
                position=s,
                source=(
                    Source("previous_batch", s - batch_size, 0, s - batch_size) if s >= batch_size else ZEROS
                ),
                reset=s < batch_size,
            )
            for s in range(samples)
        ]
        batches = [list(range(k, k + batch_size)) for k in range(0, samples, batch_size)]
        feed = FeedView("synthetic", [["a"]] * samples, [], [], [], batches, cells)
        return _mode(feed=feed, mode="stateful", batch_size=batch_size)

    small = figures.state_flow_figure(feed_run(4, 2))
    large = figures.state_flow_figure(feed_run(30, 5))
    assert large.layout.height > small.layout.height
    plot = large.layout.height - large.layout.margin.t - large.layout.margin.b
    assert plot / 30 >= 30  # pixels per row: room for a two-line box
    assert len(_arrows(large, "previous_batch")) == 25
    assert len({a.ax for a in _arrows(large, "previous_batch")}) == 5  # one gutter lane per slot


# --- hostile tokens and empty input --------------------------------------------------


def test_hostile_tokens_are_shown_escaped_and_never_raw(hostile):
    escaped = "&lt;b&gt;x&lt;/b&gt;"
    ticks = list(figures.predictions_figure(hostile.runs[0], hostile.vocabulary).layout.xaxis.ticktext)
    assert ticks[0].startswith(f"0: {escaped}→**y**")
    assert any("&#36;z&#36;" in t for t in ticks)
    for fig in _all_figures(hostile):
        strings = list(_strings(fig.to_plotly_json()))
        assert fig.layout.title.text
        for raw in ("<b>x", "</b>", "$z"):
            assert not any(raw in s for s in strings), (raw, fig.layout.title.text)
    flow_fig = figures.state_flow_figure(_by_mode(hostile)["sequence"])
    assert escaped in flow_fig.data[0].text[0] and escaped in flow_fig.data[0].hovertext[0]


def test_empty_inputs_still_give_titled_figures(data, by_cell):
    bare = dataclasses.replace(_by_mode(data)["sequence"], snapshots=[])
    gru = by_cell["gru"].runs[0]
    built = [
        figures.loss_figure([]),
        figures.predictions_figure(EMPTY, []),
        figures.predictions_figure(bare, data.vocabulary, snapshot=0),
        figures.state_figure(EMPTY, "h"),
        figures.state_figure(bare, "h", snapshot=2),
        figures.gates_figure(EMPTY),
        figures.internals_figure(EMPTY, "gru"),
        figures.difference_figure(EMPTY, 0, 1),
        figures.difference_figure(bare, 0, 99),
        figures.state_flow_figure(EMPTY),
        figures.state_figure(gru, "c"),
        figures.state_figure(gru, "h", layer=7),
        figures.internals_figure(gru, "lstm"),
        figures.internals_figure(gru, "gru", layer=-5),
        figures.difference_figure(gru, 0, 1, layer=3),
        figures.loss_figure([EMPTY]),
    ]
    for fig in built:
        assert fig.layout.title.text and fig.layout.height > 0
        assert fig.layout.template.layout.paper_bgcolor == "white"  # plotly_white
    assert "kept no snapshots" in _shown(built[2].layout.title.text)
    np.testing.assert_array_equal(_z(built[4]), _grid(bare, "h"))


# --- what a screen can show: long runs are binned, their downloads keep everything ----------


def test_columns_bin_positions_past_the_screen_and_cells_past_the_budget():
    assert built._common.columns(4, 20) == built._common.Columns(1, (), True)
    wide = built._common.columns(built._common.MAX_COLUMNS, 20)
    assert wide.size == 1 and not wide.detailed  # one column each, values alone
    long = built._common.columns(1000, 20)
    assert long.size == 5 and long.labels[:2] == ("0–4", "5–9") and len(long.labels) == 200
    assert built._common.columns(11, 1).labels == ()
    tall = built._common.columns(100, 1024)  # many units: fewer, wider bins keep the cells bounded
    assert len(tall.labels) * 1024 <= built._common.MAX_CELLS
    assert built._common.columns(7, 4000).labels == ("0–1", "2–3", "4–5", "6")  # a shorter last bin


def test_binned_averages_each_bin_and_a_shorter_last_one():
    grid = ((0.0, 1.0), (0.5, 3.0), (1.0, 2.0))
    assert built._common.binned(grid, 1) == grid
    assert built._common.binned(grid, 2) == ((0.25, 2.0), (1.0, 2.0))


def test_envelope_keeps_short_lines_and_every_buckets_extremes():
    x, y = tuple(range(1, 11)), tuple(float(v) for v in range(10))
    assert built._common.envelope(x, y) == (list(x), list(y))
    n = 5 * built._common.MAX_LINE_POINTS
    y = tuple(float(k % 7) for k in range(n))
    y = y[:1234] + (-5.0,) + y[1235:]  # one spike
    kept_x, kept_y = built._common.envelope(tuple(range(1, n + 1)), y)
    assert len(kept_x) <= built._common.MAX_LINE_POINTS + 2
    assert kept_x == sorted(kept_x) and kept_x[0] == 1 and kept_x[-1] == n
    assert -5.0 in kept_y and 1235 in kept_x and max(kept_y) == 6.0


THOUSAND = " ".join("abcdefghij"[(k * 7 + k // 3) % 10] for k in range(1000))


@pytest.fixture(scope="module")
def thousand():
    """A 1,000-token run in all four modes (two epochs: the sizes do not depend on them)."""
    from seqviz.limits import Limits

    config = RunConfig(sequence=THOUSAND, framing="next", mode="all", epochs=2, snapshots=2)
    return run(config, limits=Limits(max_tokens=1000))


def _page_figures(r):
    """Every chart the page draws for a run, the cell's internals (drawn on demand) included."""
    for m in r.runs:
        yield built.state_flow_figure(m)
        yield built.predictions_figure(m, r.vocabulary)
    yield built.loss_figure(r.runs)
    first = r.runs[0]
    yield built.state_figure(first, "h")
    yield built.internals_figure(first, r.config.cell)
    yield built.difference_figure(first, 0, 1)


def test_a_thousand_token_run_ships_under_a_megabyte_of_chart_json(thousand):
    r = thousand.run
    sizes = [len(json.dumps(f, allow_nan=False)) for f in _page_figures(r)]
    print(f"\n1,000-token run: {sum(sizes) / 1e6:.2f} MB of chart JSON in {len(sizes)} charts")
    assert sum(sizes) <= 1_000_000
    for fig in _page_figures(r):
        go.Figure(fig)  # still valid figures


def test_binned_heatmaps_draw_the_mean_of_each_bin(thousand):
    r = thousand.run
    m = _by_mode(r)["sequence"]
    fig = figures.state_figure(m, "h")
    values = _grid(m, "h")  # (units, positions)
    size = built._common.columns(values.shape[1], values.shape[0]).size
    assert size > 1 and fig.layout.xaxis.type == "category"
    means = [values[:, a : a + size].mean(axis=1) for a in range(0, values.shape[1], size)]
    np.testing.assert_allclose(_z(fig), np.array(means).T, atol=5e-7)
    assert list(fig.data[0].x[:2]) == [f"0–{size - 1}", f"{size}–{2 * size - 1}"]
    preds = figures.predictions_figure(m, r.vocabulary)
    probs = np.array([p.probabilities for p in m.predictions])
    np.testing.assert_allclose(_z(preds)[:, 0], probs[:size].mean(axis=0), atol=5e-7)
    right = sum(p.correct for p in m.predictions)
    assert f"{right} of {len(m.predictions)} right" in _shown(preds.layout.title.subtitle.text)
    flow_ = figures.state_flow_figure(_by_mode(r)["stateless"])
    assert len(flow_.layout.shapes) == flow.MAX_ROWS  # one box per drawn sample
    drawn = _shown(flow_.layout.title.subtitle.text)
    assert f"samples 0–{flow.MAX_ROWS - 1} of {len(m.predictions)}" in drawn


def test_the_downloads_of_a_thousand_token_run_keep_every_value(thousand):
    from seqviz.export import states_csv

    r = thousand.run
    data = r.to_json()
    positions = len(r.pairs)
    assert positions == 999
    for mode in data["runs"]:
        assert len(mode["predictions"]) == positions and len(mode["states"]) == positions
    rows = states_csv(r).splitlines()
    assert len(rows) == 1 + len(r.runs) * positions * r.config.units


@pytest.fixture(scope="module")
def tested():
    """Echo two back, stateful and sequence, with a test sequence and a reset before position 3."""
    seq = "a a c a c a a c b c c a b b c c"
    config = RunConfig(
        sequence=seq,
        framing="pairs",
        mode="sequence",
        epochs=60,
        output="softmax",
        test_sequence=seq,
        reset_at=3,
    )
    return run(config).run


def test_prediction_phase_draws_the_test_pass_and_the_reset_pass(tested):
    from seqviz.figures.phase import _collect_phase

    mode = tested.runs[0]
    test = mode.test
    fig = figures.prediction_phase_figure(mode, tested.vocabulary)
    heatmaps = [t for t in fig.data if t.type == "heatmap"]
    assert len(heatmaps) == 4  # predictions and h, untouched and reset
    untouched, reset_h = np.array(heatmaps[0].z).T, np.array(heatmaps[3].z).T
    np.testing.assert_allclose(untouched, [p.probabilities for p in test.predictions])
    np.testing.assert_allclose(np.array(heatmaps[1].z).T, test.h)
    np.testing.assert_allclose(reset_h, test.reset_h)
    info = _collect_phase(mode, tested.vocabulary)
    changed = [a.predicted != b.predicted for a, b in zip(test.predictions, test.reset_predictions)]
    assert info.panels[1].changed == tuple(changed)
    texts = [a.text for a in fig.layout.annotations]
    assert sum(t.endswith("<br>changed") for t in texts) == sum(changed)
    assert sum(t.startswith("tie") for t in texts) == 2 * len(test.ties)
    # the dashed reset line on both reset panels, just before position 3
    lines = [s for s in fig.layout.shapes if s.type == "line"]
    assert [s.x0 for s in lines] == [2.5, 2.5]
    # states before the reset are untouched; from it on, they differ
    np.testing.assert_allclose(np.array(test.reset_h)[:3], np.array(test.h)[:3])
    assert np.abs(np.array(test.reset_h)[3] - np.array(test.h)[3]).max() > 1e-4


def test_prediction_phase_without_a_test_sequence_says_so(data):
    fig = figures.prediction_phase_figure(data.runs[0], data.vocabulary)
    assert "No test sequence" in fig.layout.annotations[0].text


def test_a_feed_of_many_multi_step_samples_draws_at_most_max_boxes_and_says_so():
    # 20 chunks of 10 steps (stateful, batch size 1): 200 boxes take seconds to draw, so
    # the diagram keeps 12 whole chunks (120 boxes), every arrow into them, and says how many.
    tokens = " ".join("abcdefghij" * 20)
    r = run(RunConfig(sequence=tokens, framing="next", mode="chunks", window=10, epochs=1, snapshots=2))
    mode = r.run.runs[0]
    fig = figures.state_flow_figure(mode)
    rows = flow.MAX_BOXES // 10
    assert len(fig.layout.shapes) == rows * 10 == flow.MAX_BOXES  # one box per drawn cell
    assert len(fig.layout.annotations) <= flow.MAX_BOXES
    samples = len(mode.feed.batches)
    assert samples == 20 and f"samples 0–{rows - 1} of {samples}" in _shown(fig.layout.title.subtitle.text)
