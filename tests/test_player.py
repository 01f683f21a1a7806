"""The teaching figures (play through time and training, what each position can see, the cell
diagram, one unit followed): the data each draws, checked against the typed run it comes from,
the Feed's own keys and hand counts."""

import json

import numpy as np
import plotly.graph_objects as go
import pytest

import seqviz.figures as built
from seqviz import reach
from seqviz.cells import CELLS
from seqviz.config import RunConfig
from seqviz.engine import run
from seqviz.figures import cell, steps, training, unit
from seqviz.figures import reach as reach_figure
from tests.cases import LAYOUTS


def valid(spec):
    """The dict as the page sends it: plain JSON, and a figure Plotly validates."""
    assert set(spec) <= {"data", "layout", "frames"}
    json.dumps(spec, allow_nan=False)
    go.Figure(spec)
    return spec


@pytest.fixture(scope="module")
def result(short_reference):
    """The reference question in all four modes, with three snapshots (an LSTM, one layer)."""
    return short_reference


def _mode(result, name):
    return result.run.mode(name)


def _trace(spec, name):
    return next(k for k, t in enumerate(spec["data"]) if t.get("name") == name)


def _centre(trace):
    xs = [v for v in trace["x"] if v is not None]
    ys = [v for v in trace["y"] if v is not None]
    return (min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2


# --- play through time ---------------------------------------------------------------------

# By hand, from the feeds of 0 1 0 2 (pairs): the (sample, step) Keras computes at each step.
ORDER = {
    "stateless": [(0, 0), (1, 0)],  # one batch of two one-step samples
    "stateful": [(0, 0), (1, 0)],  # two batches of one sample
    "sequence": [(0, 0), (0, 1)],  # one sample of two steps
    "window": [(0, 0), (1, 0), (0, 1), (1, 1)],  # one batch of two 2-step windows: step 0 of both first
}
# Where the state entering each step comes from: the step it left (counted from 0), or None (zeros).
ENTERS_FROM = {
    "stateless": [None, None],
    "stateful": [None, 0],
    "sequence": [None, 0],
    "window": [None, None, 0, 1],
}


def _step_value(mode, sample, step, name):
    for state in mode.states:
        if state.sample == sample and state.step == step:
            return state.values[name]
        for inner in state.steps or []:
            if state.sample == sample and inner.step == step:
                return inner.values[name]
    raise AssertionError((sample, step))


@pytest.mark.parametrize("name", list(ORDER))
def test_step_player_has_a_frame_per_step_highlighting_that_step(result, name):
    mode = _mode(result, name)
    spec = valid(steps.step_figure(mode))
    frames = spec["frames"]
    assert len(frames) == len(ORDER[name]) == len(mode.feed.cells)
    now = _trace(spec, "this step")
    came = _trace(spec, "where its state comes from")
    column, entering = _trace(spec, "h leaving this step"), _trace(spec, "entering")
    heat = spec["data"][_trace(spec, "h leaving each step")]
    boxes = spec["data"][_trace(spec, "boxes")]
    for k, frame in enumerate(frames):
        assert frame["name"] == str(k)
        moved = dict(zip(frame["traces"], frame["data"]))
        sample, step = ORDER[name][k]
        # The outlined box is the box of (sample, step): its text is that step's input.
        x, y = _centre(moved[now])
        assert x == pytest.approx(step)
        box = next(
            j for j, (bx, by) in enumerate(zip(boxes["x"], boxes["y"])) if np.isclose([bx, by], [x, y]).all()
        )
        assert boxes["text"][box].startswith(mode.feed.x_tokens[sample][step] or "(pad)")
        # The outlined heatmap column is column k (drawn at k + 1), and it holds h leaving the step.
        assert _centre(moved[column])[0] == k + 1
        np.testing.assert_allclose(np.array(heat["z"])[:, k], _step_value(mode, sample, step, "h"))
        source = ENTERS_FROM[name][k]
        if source is None:
            assert moved[came]["x"] == [None] and moved[entering]["x"] == [None]
            assert not any(_step_value(mode, sample, step, "h0"))  # zeros enter
        else:
            assert _centre(moved[entering])[0] == source + 1
            # The state entering step k is the one the outlined source column left.
            np.testing.assert_allclose(
                _step_value(mode, sample, step, "h0"), np.array(heat["z"])[:, source], atol=1e-6
            )
        assert f"Step {k + 1} of {len(frames)}" in moved[_trace(spec, "caption")]["text"][0]
    slider = spec["layout"]["sliders"][0]
    assert [s["args"][0] for s in slider["steps"]] == [[str(k)] for k in range(len(frames))]
    assert spec["layout"]["updatemenus"][0]["buttons"][0]["args"][0] is None  # play: every frame


def test_the_rows_of_the_step_player_are_the_flow_rows(result):
    """Frame k's box outline is centred on the flow box of its (sample, step)."""
    mode = _mode(result, "window")
    spec = steps.step_figure(mode)
    boxes = spec["data"][_trace(spec, "boxes")]
    by_row = sorted(set(boxes["y"]))
    for k, frame in enumerate(spec["frames"]):
        x, y = _centre(dict(zip(frame["traces"], frame["data"]))[_trace(spec, "this step")])
        assert (x, by_row.index(y)) == (ORDER["window"][k][1], ORDER["window"][k][0])


def test_a_long_feed_plays_its_first_steps_and_says_so():
    """199 windows of 5 steps: the flow draws 24 windows (120 boxes, ``flow.MAX_BOXES``), the player
    their first 60 steps."""
    tokens = " ".join("abcab" * 40)
    config = RunConfig(sequence=tokens, framing="next", mode="window", window=5, epochs=1, snapshots=2)
    mode = run(config).run.runs[0]
    spec = valid(steps.step_figure(mode))
    assert len(spec["frames"]) == steps.MAX_FRAMES < 24 * 5 < len(mode.feed.cells)
    assert f"the first {steps.MAX_FRAMES} of the 120 steps drawn" in spec["layout"]["title"]["subtitle"][
        "text"
    ].replace("<br>", " ")
    assert len(json.dumps(spec)) < 400_000


# --- play through training -----------------------------------------------------------------


def test_training_player_has_a_frame_per_snapshot_with_the_loss_marker_at_its_epoch(result):
    data = result.run
    spec = valid(training.training_figure(data.runs, data.vocabulary))
    n = len(data.runs)
    epochs = [s.epoch for s in data.runs[0].snapshots]
    assert epochs == [1, 10, 20]  # 3 snapshots of 20 epochs, the first and the last included
    assert len(spec["frames"]) == len(epochs)
    labels = [s["label"] for s in spec["layout"]["sliders"][0]["steps"]]
    assert labels == [str(e) for e in epochs]
    for k, frame in enumerate(spec["frames"]):
        assert frame["name"] == str(k)
        moved = dict(zip(frame["traces"], frame["data"]))
        for j, mode in enumerate(data.runs):
            marker = moved[_trace(spec, f"{mode.mode} at the epoch shown")]
            snapshot = mode.snapshots[k]
            assert marker["x"] == [snapshot.epoch] == [epochs[k]]
            # The marker sits on the mode's own loss curve: the loss model.fit logged that epoch.
            assert marker["y"] == [snapshot.loss] == [mode.loss[snapshot.epoch - 1]]
            probs = moved[_trace(spec, f"{mode.mode}: probability of the target")]["y"]
            target = [data.vocabulary.index(p.target) for p in mode.predictions]
            assert probs == pytest.approx([snapshot.probabilities[p][t] for p, t in enumerate(target)])
            assert frame["traces"][j] == _trace(spec, f"{mode.mode} at the epoch shown")
    assert sorted(frame["traces"]) == list(range(n, 3 * n))  # the loss lines themselves never move


def test_training_player_with_a_pair_plays_how_far_apart_their_states_are(result):
    data = result.run
    spec = valid(training.training_figure(data.runs, data.vocabulary, (0, 1)))
    n = len(data.runs)
    for k, frame in enumerate(spec["frames"]):
        assert sorted(frame["traces"]) == list(range(2 * n, 5 * n))  # loss and gap lines stay
        moved = dict(zip(frame["traces"], frame["data"]))
        for mode in data.runs:
            snapshot = mode.snapshots[k]
            h = np.array(snapshot.states["h"])
            gap = moved[_trace(spec, f"{mode.mode}: state gap at the epoch shown")]
            assert gap["x"] == [snapshot.epoch]
            assert gap["y"][0] == pytest.approx(np.abs(h[0] - h[1]).max(), abs=1e-6)
            if mode.mode == "stateless":
                assert gap["y"] == [0.0]  # the same input from zeros: the same state at every epoch
    for mode in data.runs:
        line = spec["data"][_trace(spec, f"{mode.mode}: state gap")]
        assert line["x"] == [s.epoch for s in mode.snapshots]
    assert max(spec["data"][_trace(spec, "sequence: state gap")]["y"]) > 0.01  # sequence tells them apart
    assert "how far apart the states positions 0 and 1 leave are" in spec["layout"]["title"]["subtitle"][
        "text"
    ].replace("<br>", " ")


def test_played_epochs_keep_the_first_and_last_evenly():
    assert training.played_epochs([1, 2, 3], 5) == [1, 2, 3]
    assert training.played_epochs(list(range(1, 101)), 5) == [1, 26, 51, 75, 100]


def test_a_long_training_plays_some_snapshots_and_says_so():
    config = RunConfig(sequence="a b a c", framing="pairs", mode="all", epochs=120, snapshots=100)
    data = run(config).run
    spec = valid(training.training_figure(data.runs, data.vocabulary))
    played = [int(s["label"]) for s in spec["layout"]["sliders"][0]["steps"]]
    kept = [s.epoch for s in data.runs[0].snapshots]
    assert len(played) == training.MAX_FRAMES < len(kept) and played[0] == 1 and played[-1] == 120
    assert set(played) <= set(kept)
    assert f"{training.MAX_FRAMES} of the {len(kept)} snapshot epochs" in spec["layout"]["title"]["subtitle"][
        "text"
    ].replace("<br>", " ")


# --- what each position can see ------------------------------------------------------------


@pytest.mark.parametrize("name", ["reference", *LAYOUTS])
def test_reach_as_positions_is_the_feeds_keys(name, layout_run, reference_result):
    """Followed back along each step's source, the positions seen are the Feed's own keys
    (``layout.keys``, computed another way) and the gradient's reach its ``reach_keys``, for
    the reference in all four modes and every layout of tests/cases.py."""
    result = reference_result if name == "reference" else layout_run(name)
    inputs = result.dataset.inputs
    for name, feed in result.feeds.items():
        seen = reach.reach_of(feed)
        assert len(seen.seen) == len(feed.keys) == len(inputs)
        for p in range(len(inputs)):
            assert tuple(inputs[q] for q in seen.seen[p]) == tuple(k for k in feed.keys[p] if k is not None)
            reached = tuple(k for k in feed.reach_keys[p] if k is not None)
            assert tuple(inputs[q] for q in seen.reached[p]) == reached, (name, p)
            assert set(seen.reached[p]) <= set(seen.seen[p]) and p in seen.reached[p]


def test_reach_figure_shades_what_each_mode_has_seen(result):
    data = result.run
    reaches = {name: reach.reach_of(feed) for name, feed in result.feeds.items()}
    spec = valid(reach_figure.reach_figure(data.runs, reaches, data.pairs, (0, 1)))
    heat = spec["data"][0]
    rows = spec["layout"]["yaxis"]["ticktext"]
    assert rows[:2] == ["stateless · A", "stateless · B"]
    z = dict(zip(rows, heat["z"]))
    # By hand: B is position 1 (input 0, target 2) of 0 1 0 2.
    assert z["stateless · B"] == [0, 2]  # only its own input
    assert z["stateful · B"] == [1, 2]  # position 0's input through the carried state
    assert z["sequence · B"] == [2, 2]  # both inputs in its own sample
    assert z["window · B"] == [2, 2]
    assert z["stateless · A"] == [2, 0]  # A starts at position 0
    subtitle = spec["layout"]["title"]["subtitle"]["text"].replace("<br>", " ")
    assert "Drag the slider to choose position A" in subtitle
    caption = spec["data"][-1]["text"][0].replace("<br>", " ")
    assert "A and B look alike to stateless" in caption
    assert "stateful, sequence, window can tell them apart" in caption


@pytest.mark.parametrize("pair", [(0, 1), (3, 0)])
def test_reach_slider_moves_position_a_in_the_browser(pair):
    """x a y x b z (next): a frame per position A, each shading what A and B have seen."""
    config = RunConfig(sequence="x a y x b z", framing="next", mode="all", window=2, epochs=1)
    result = run(config)
    data = result.run
    reaches = {name: reach.reach_of(feed) for name, feed in result.feeds.items()}
    spec = valid(reach_figure.reach_figure(data.runs, reaches, data.pairs, pair))
    a, b = pair
    assert len(spec["frames"]) == len(data.pairs) == 5
    assert spec["layout"]["sliders"][0]["active"] == a
    modes = [m.mode for m in data.runs]
    for k, frame in enumerate(spec["frames"]):
        assert frame["name"] == str(k)
        moved = dict(zip(frame["traces"], frame["data"]))
        z = moved[0]["z"]
        for j, mode in enumerate(modes):
            for row, p in ((2 * j, k), (2 * j + 1, b)):
                assert [q for q, v in enumerate(z[row]) if v] == list(reaches[mode].seen[p])
                assert [q for q, v in enumerate(z[row]) if v == 2] == list(reaches[mode].reached[p])
            assert moved[1 + j]["x"] == [k, b]
        caption = moved[frame["traces"][-1]]["text"][0].replace("<br>", " ")
        x, y = data.pairs[k]
        assert caption.startswith(f"A = position {k}: {x}→{y}; B = position {b}: ")
    # x→a (0) and x→b (3) look alike only to stateless; frame 0 with B = 3 says so.
    if pair == (3, 0):
        caption = dict(zip(spec["frames"][3]["traces"], spec["frames"][3]["data"]))[
            spec["frames"][3]["traces"][-1]
        ]
        assert "look alike to stateless." in caption["text"][0].replace("<br>", " ")


def test_a_long_sequence_compares_two_positions_without_a_slider():
    tokens = " ".join("abcab" * 20)
    result = run(RunConfig(sequence=tokens, framing="next", mode="all", epochs=1))
    data = result.run
    reaches = {name: reach.reach_of(feed) for name, feed in result.feeds.items()}
    spec = valid(reach_figure.reach_figure(data.runs, reaches, data.pairs, (10, 40)))
    assert "frames" not in spec and "sliders" not in spec["layout"]
    assert spec["layout"]["yaxis"]["ticktext"][:2] == [
        "stateless · position 10: a→b",
        "stateless · position 40: a→b",
    ]
    assert len(spec["data"][0]["z"][0]) == 41  # inputs 0 to 40: nothing later is seen


def test_the_most_telling_pair_looks_alike_somewhere_and_needs_different_targets():
    data = run(RunConfig(mode="all", epochs=1))
    reaches = {name: reach.reach_of(feed) for name, feed in data.feeds.items()}
    assert reach.telling_pair(data.run.pairs, reaches) == (0, 1)
    # x a y x b z (next): x→a at 0 and x→b at 3 look alike to stateless; the window of 2 sees
    # (·, x) and (y, x), so it tells them apart.
    config = RunConfig(sequence="x a y x b z", framing="next", mode="all", window=2, epochs=1)
    data = run(config)
    reaches = {name: reach.reach_of(feed) for name, feed in data.feeds.items()}
    assert reach.telling_pair(data.run.pairs, reaches) == (0, 3)
    # Nothing looks alike anywhere: the closest pair is the same input with different targets.
    config = RunConfig(sequence="a b a c", framing="next", mode="sequence", epochs=1)
    data = run(config)
    reaches = {name: reach.reach_of(feed) for name, feed in data.feeds.items()}
    assert reach.telling_pair(data.run.pairs, reaches) == (0, 2)  # a→b and a→c


# --- the cell, explained -------------------------------------------------------------------


def test_the_lstm_diagram_is_wired_as_its_equations_read():
    spec = valid(cell.cell_figure("lstm"))
    info = cell._collect_cell("lstm")
    # By hand, from Keras's LSTM: every gate and the candidate read x and h_tm1; c reads f, c_tm1,
    # i and g; h reads o and c.
    wired = {}
    for src, dst in info.edges:
        wired.setdefault(dst, set()).add(src)
    assert wired == {
        "i": {"x", "h_tm1"},
        "f": {"x", "h_tm1"},
        "g": {"x", "h_tm1"},
        "o": {"x", "h_tm1"},
        "c": {"f", "c_tm1", "i", "g"},
        "h": {"o", "c"},
    }
    assert len(spec["layout"]["annotations"]) == len(info.edges) == 14
    columns = {n.name: n.column for n in info.nodes}
    assert columns == {"x": 0, "h_tm1": 0, "c_tm1": 0, "i": 1, "f": 1, "g": 1, "o": 1, "c": 2, "h": 3}


@pytest.mark.parametrize("name", list(CELLS))
def test_every_value_of_the_cell_has_a_box_with_its_equation_meaning_and_range(name):
    spec = valid(cell.cell_figure(name))
    boxes = spec["data"][0]
    kind = CELLS[name]
    assert len(boxes["hovertext"]) == len(kind.internals) + 1 + len(kind.state_names)  # x and each *_tm1
    assert len(spec["layout"]["shapes"]) == len(boxes["hovertext"])
    for internal in kind.internals:
        hover = next(h for h in boxes["hovertext"] if h.startswith(f"<b>{internal.label}</b>"))
        assert internal.equation.replace("<", "&lt;") in hover and internal.meaning in hover
        if internal.low is None:
            assert "range: unbounded" in hover
        else:
            assert f"range: {internal.low:g} to {internal.high:g}" in hover
    gates = [i.name for i in kind.internals if i.low == 0 and i.high == 1]
    assert {n.name for n in cell._collect_cell(name).nodes if n.role == "gate"} == set(gates)


def test_an_unknown_cell_is_refused():
    with pytest.raises(ValueError, match="choose one of: lstm, gru, simple_rnn"):
        cell.cell_figure("transformer")


# --- follow one unit -----------------------------------------------------------------------


@pytest.mark.parametrize("name", ["lstm", "gru", "simple_rnn"])
def test_unit_lines_are_the_runs_step_values(name):
    data = run(RunConfig(mode="all", epochs=5, cell=name, layers=2 if name == "gru" else 1)).run
    for layer in (None, 0) if name == "gru" else (None,):
        spec = valid(unit.unit_figure(data.runs, name, 3, layer))
        kind = CELLS[name]
        titles = [a["text"].replace("<br>", " ") for a in spec["layout"]["annotations"]]
        assert titles == [i.label for i in kind.internals]  # a panel per value, in the registry's order
        traces = spec["data"]
        assert len(traces) == len(data.runs) * len(kind.internals)
        for mode in data.runs:
            mine = [t for t in traces if t["legendgroup"] == mode.mode]
            assert [t["line"]["color"] for t in mine] == [built.MODE_COLORS[mode.mode]] * len(mine)
            for k, (trace, internal) in enumerate(zip(mine, kind.internals)):
                assert trace["xaxis"] == ("x" if k == 0 else f"x{k + 1}")
                expected = [s.value(internal.name, layer)[3] for s in mode.states]
                assert trace["y"] == pytest.approx(expected) and trace["x"] == list(range(len(mode.states)))


def test_unit_figure_says_what_cannot_be_shown(result):
    data = result.run
    assert "There is no unit 20" in json.dumps(unit.unit_figure(data.runs, "lstm", 20))
    assert "There is no layer 1" in json.dumps(unit.unit_figure(data.runs, "lstm", 0, layer=1))
    assert "No states to show." in json.dumps(unit.unit_figure(data.runs, "gru", 0))  # not the cell that ran


# --- the page's budget ---------------------------------------------------------------------

THOUSAND = " ".join("abcdefghij"[(k * 7 + k // 3) % 10] for k in range(1000))


def test_a_thousand_token_run_ships_its_walkthrough_in_under_400_kb():
    """The section's charts as the page draws them (one mode's step player at a time, the
    largest here), with 30 snapshot epochs: the rest of the page keeps under ~0.6 MB
    (tests/test_figures.py), so the whole page stays near the project's 1 MB."""
    import dataclasses

    from seqviz.limits import Limits

    config = RunConfig(sequence=THOUSAND, framing="next", mode="all", epochs=2, snapshots=2)
    result = run(config, limits=Limits(max_tokens=1000))
    data = result.run
    # Thirty snapshots, as the default run keeps: copies of the last one under new epochs (the
    # figure's size depends on how many there are, not on their values).
    modes = [
        dataclasses.replace(
            m, snapshots=[dataclasses.replace(m.snapshots[-1], epoch=k + 1) for k in range(30)]
        )
        for m in data.runs
    ]
    reaches = {name: reach.reach_of(feed) for name, feed in result.feeds.items()}
    pair = reach.telling_pair(data.pairs, reaches)
    charts = {
        "steps": max((valid(steps.step_figure(m)) for m in modes), key=lambda f: len(json.dumps(f))),
        "training": valid(training.training_figure(modes, data.vocabulary)),
        "reach": valid(reach_figure.reach_figure(modes, reaches, data.pairs, pair)),
        "cell": valid(cell.cell_figure("lstm")),
        "unit": valid(unit.unit_figure(modes, "lstm", 0)),
    }
    sizes = {name: len(json.dumps(f, allow_nan=False)) for name, f in charts.items()}
    print(f"\n1,000-token run, walkthrough: {sum(sizes.values()) / 1e6:.2f} MB: {sizes}")
    assert sum(sizes.values()) <= 400_000
    assert len(charts["training"]["frames"]) == 30
    assert "Positions averaged in bins of 10." in charts["training"]["layout"]["title"]["subtitle"][
        "text"
    ].replace("<br>", " ")
    assert len(charts["steps"]["frames"]) == steps.MAX_FRAMES


def test_no_function_in_the_teaching_figures_is_long():
    import ast
    import inspect

    from seqviz.figures import _player

    for module in (steps, training, reach_figure, cell, unit, _player, reach):
        for node in ast.walk(ast.parse(inspect.getsource(module))):
            if isinstance(node, ast.FunctionDef):
                assert node.end_lineno - node.lineno + 1 <= 62, (module.__name__, node.name)


@pytest.mark.parametrize("name", list(LAYOUTS))
def test_every_layout_plays_every_drawn_step_once_in_keras_order(name, layout_run):
    """Every layout of tests/cases.py (chunks, lanes, rows, several sequences, shuffled stateful
    chunks, …): the step player has a frame per drawn step, in the order Keras computes them,
    and every figure of the section is a valid figure."""
    result = layout_run(name)
    data = result.run
    for mode in data.runs:
        spec = valid(steps.step_figure(mode))
        cells = sorted(mode.feed.cells, key=lambda c: (c.batch, c.step, c.index_in_batch))
        assert len(spec["frames"]) == min(len(cells), steps.MAX_FRAMES)
        now = _trace(spec, "this step")
        xs = [_centre(dict(zip(f["traces"], f["data"]))[now])[0] for f in spec["frames"]]
        assert xs == pytest.approx([c.step for c in cells[: len(xs)]])
    reaches = {name: reach.reach_of(feed) for name, feed in result.feeds.items()}
    pair = reach.telling_pair(data.pairs, reaches)
    valid(training.training_figure(data.runs, data.vocabulary, pair))
    valid(reach_figure.reach_figure(data.runs, reaches, data.pairs, pair))
    valid(unit.unit_figure(data.runs, data.config.cell, 0))


@pytest.mark.parametrize("name", ["gru", "simple_rnn"])
def test_other_cells_play_their_h(name):
    data = run(RunConfig(mode="all", epochs=2, cell=name, layers=2)).run
    for mode in data.runs:
        spec = valid(steps.step_figure(mode))
        heat = spec["data"][_trace(spec, "h leaving each step")]
        column = [row[0] for row in heat["z"]]
        first = min(mode.feed.cells, key=lambda c: (c.batch, c.step, c.index_in_batch))
        assert column == pytest.approx(_step_value(mode, first.sample, first.step, "h"))


def test_the_step_player_can_show_an_lstms_cell_state(result):
    mode = _mode(result, "sequence")
    spec = valid(steps.step_figure(mode, "c"))
    heat = np.array(spec["data"][_trace(spec, "c leaving each step")]["z"])
    for k, (sample, step) in enumerate(ORDER["sequence"]):
        np.testing.assert_allclose(heat[:, k], _step_value(mode, sample, step, "c"))
    # c entering step 1 (c0) is the c step 0 left: the column the frame outlines dashed.
    np.testing.assert_allclose(_step_value(mode, 0, 1, "c0"), heat[:, 0], atol=1e-6)
    moved = dict(zip(spec["frames"][1]["traces"], spec["frames"][1]["data"]))
    assert _centre(moved[_trace(spec, "entering")])[0] == 1
