"""The teaching figures (play through time and training, what each position can see, the cell
diagram, one unit followed): the data each draws, checked against the typed run it comes from,
the Feed's own keys and hand counts."""

import json

import numpy as np
import plotly.graph_objects as go
import pytest

from seqviz.config import RunConfig
from seqviz.engine import run
from seqviz.figures import steps, training


def valid(spec):
    """The dict as the page sends it: plain JSON, and a figure Plotly validates."""
    assert set(spec) <= {"data", "layout", "frames"}
    json.dumps(spec, allow_nan=False)
    go.Figure(spec)
    return spec


@pytest.fixture(scope="module")
def result():
    """The reference question in all four modes, with three snapshots (an LSTM, one layer)."""
    return run(RunConfig(mode="all", epochs=20, snapshots=3))


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
    """199 windows of 5 steps: the flow draws 60 windows (300 boxes), the player their first 120."""
    tokens = " ".join("abcab" * 40)
    config = RunConfig(sequence=tokens, framing="next", mode="window", window=5, epochs=1, snapshots=2)
    mode = run(config).run.runs[0]
    spec = valid(steps.step_figure(mode))
    assert len(spec["frames"]) == steps.MAX_FRAMES < 60 * 5 < len(mode.feed.cells)
    assert f"the first {steps.MAX_FRAMES} of the 300 steps drawn" in spec["layout"]["title"]["subtitle"][
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
