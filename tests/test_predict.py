"""The prediction phase against Keras: model.predict of a rebuilt stateful model, from zeros or
from the state fit left, with and without a reset; the verdicts on cases built so the answer
is known; and the exported script's prediction step."""

import random

import numpy as np
import pytest

from seqviz.config import RunConfig
from seqviz.engine import run
from seqviz.errors import SeqvizError
from seqviz.export import training_script
from seqviz.keras_model import LOSSES, build_keras_model, reset_states
from seqviz.predict import predict_positions, prediction_feed
from seqviz.trainer import train
from seqviz.weights import Weights, initial_weights
from tests.cases import printed, run_untrained, same_data

keras = pytest.importorskip("keras")

RNG = random.Random(7)


def echo(n: int, back: int = 2, vocabulary: str = "abc", rng: random.Random = RNG) -> str:
    """Pairs whose target is the input ``back`` positions earlier (the first ones: 'a')."""
    xs = [rng.choice(vocabulary) for _ in range(n)]
    return " ".join(f"{x} {xs[i - back] if i >= back else 'a'}" for i, x in enumerate(xs))


def noise(n: int) -> str:
    """Pairs whose target is drawn at random, independent of every input: no rule exists."""
    return " ".join(f"{RNG.choice('abc')} {RNG.choice('abc')}" for _ in range(n))


def _keras_after_fit(feed, start: Weights, epochs: int):
    """fit as the export writes it: reset before each epoch, so the state fit ends in remains."""
    model = build_keras_model(feed, start.units, "softmax", start)
    model.compile(loss=LOSSES["softmax"], optimizer=keras.optimizers.Adam(learning_rate=0.05))
    y = feed.y if feed.return_sequences else feed.y[:, -1]
    for _ in range(epochs):
        reset_states(model)
        model.fit(feed.x, y, epochs=1, batch_size=feed.batch_size, shuffle=False, verbose=0)
    return model


@pytest.mark.parametrize("policy", ["zeros", "carry"])
@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_prediction_matches_model_predict_with_the_state_from_zeros_or_carried(cell, policy):
    config = RunConfig(sequence="a b c a b d a c", framing="next", mode="stateful", output="softmax")
    dataset = config.validate()
    feed = __import__("seqviz.modes", fromlist=["MODES"]).MODES["stateful"](dataset, config)
    start = initial_weights(dataset.vocabulary.size, 6, seed=4, cell=cell, layers=2)
    ours = train(feed, start, epochs=6, learning_rate=0.05, output="softmax", snapshots=1, backend="numpy")
    model = _keras_after_fit(feed, start, 6)
    test = prediction_feed("b c a b d a", "next", dataset, feed, 1, policy, 0)
    assert test.carried == (policy == "carry")
    predicted = predict_positions(
        test.feed, ours.weights, "softmax", ours.final_states if test.carried else None
    )
    if not test.carried:
        reset_states(model)
    theirs = model.predict(test.feed.x, batch_size=1, verbose=0)
    np.testing.assert_allclose(predicted, theirs, atol=1e-5)


@pytest.mark.parametrize("reset_at", [None, 2])
def test_a_stateful_model_trained_with_batch_2_is_rebuilt_for_batch_1_and_can_be_reset(reset_at):
    config = RunConfig(sequence="1 2 3 4 5 6 7 8 9", framing="next", mode="lanes", output="softmax")
    dataset = config.validate()
    from seqviz.modes import MODES

    feed = MODES["lanes"](dataset, config)
    assert feed.batch_size == 2
    start = initial_weights(dataset.vocabulary.size, 5, seed=2)
    ours = train(feed, start, epochs=5, learning_rate=0.05, output="softmax", snapshots=1)
    test = prediction_feed("3 4 5 6 7", "next", dataset, feed, 1, "zeros", 0)
    assert test.feed.batch_size == 1 and test.feed.stateful
    predicted = predict_positions(test.feed, ours.weights, "softmax", None, reset_at)
    rebuilt = build_keras_model(test.feed, 5, "softmax", ours.weights)  # batch_shape (1, 1, V)
    assert rebuilt.inputs[0].shape[0] == 1
    reset_states(rebuilt)
    rows = []
    for r in range(test.feed.samples):
        if reset_at is not None and r == reset_at:
            reset_states(rebuilt)
        rows.append(rebuilt.predict_on_batch(test.feed.x[r : r + 1]))
    np.testing.assert_allclose(predicted, np.concatenate(rows), atol=1e-5)
    if reset_at is not None:
        untouched = predict_positions(test.feed, ours.weights, "softmax")
        np.testing.assert_allclose(predicted[:reset_at], untouched[:reset_at])
        assert np.abs(predicted[reset_at:] - untouched[reset_at:]).max() > 1e-4


def test_carrying_needs_the_training_batch_size_and_tokens_must_be_known():
    base = RunConfig(sequence="1 2 3 4 5 6 7 8 9", framing="next", mode="lanes", test_sequence="1 2 3")
    with pytest.raises(SeqvizError, match="training batch size"):
        RunConfig(**{**base.as_dict(), "predict_state": "carry"}).validate()
    with pytest.raises(SeqvizError, match="never saw in training .'x'"):
        RunConfig(**{**base.as_dict(), "test_sequence": "1 x 3"}).validate()
    with pytest.raises(SeqvizError, match="reset position must be a test position, 0 to 1"):
        RunConfig(**{**base.as_dict(), "reset_at": 5}).validate()


VERDICT_CASES = {
    # The reference question, stateless: positions that look alike need different targets.
    "cannot fit": RunConfig(sequence="0 1 0 2", mode="stateless", test_sequence="0 1 0 2"),
    # Targets drawn at random: the whole prefix tells every position apart, so training fits it,
    # and a fresh random stream is at chance.
    "memorised": RunConfig(
        sequence=noise(30),
        test_sequence=noise(15),
        mode="sequence",
        epochs=400,
        learning_rate=0.02,
        output="softmax",
    ),
    # An echo of the input two positions back, with a window of 3: the rule is in view and within
    # the gradient's reach. Four tokens, so the test holds windows training never showed (8 of
    # its 20 positions: only those are scored) and the model predicts them all.
    "learned": RunConfig(
        sequence=echo(80, vocabulary="abcd", rng=random.Random(1)),
        test_sequence=echo(20, vocabulary="abcd", rng=random.Random(101)),
        mode="window",
        window=3,
        epochs=400,
        learning_rate=0.02,
        output="softmax",
    ),
}


@pytest.mark.parametrize("expected", list(VERDICT_CASES))
def test_each_verdict_arises_where_it_must(expected):
    mode = run(VERDICT_CASES[expected]).run.runs[0]
    assert mode.verdict == expected, (mode.accuracy, mode.test and mode.test.accuracy)
    assert mode.to_json()["verdict"] == expected and mode.to_json()["test"]["predictions"]
    if expected == "cannot fit":
        assert mode.loss_floor > 0 and mode.accuracy == 0.0 and all(p.tie for p in mode.predictions)
    if expected == "memorised":
        assert mode.accuracy == 1.0 and mode.test is not None and mode.test.accuracy < 0.6


def test_no_test_sequence_and_a_zero_floor_give_no_verdict(reference_result):
    verdicts = {m.mode: m.verdict for m in reference_result.run.runs}
    assert verdicts == {"stateless": "cannot fit", "stateful": None, "sequence": None, "window": None}
    assert all(m.to_json()["test"] is None for m in reference_result.run.runs)


def test_the_exported_script_predicts_the_test_sequence_as_seqviz_did(tmp_path, monkeypatch):
    config = RunConfig(
        sequence="1 2 3 4 5 6 7 8 9", framing="next", mode="lanes", epochs=40, test_sequence="2 3 4 5"
    )
    result = run(config)
    source = training_script(result.feeds["lanes"], result.dataset, config, result.tests["lanes"])
    assert "predictor.set_weights(model.get_weights())" in source and "batch_shape=(1, 1, 9)" in source
    script = tmp_path / "train.py"
    script.write_text(source)
    # Scripts of this kind run in full in tests/test_export.py and below (the reset exports);
    # here its data, model and test pass run without the fit.
    namespace, stdout = run_untrained(script, monkeypatch)
    same_data(namespace, result.feeds["lanes"])
    tests = printed(stdout, test=True)
    assert [(x, y) for x, y, _ in tests] == [("2", "3"), ("3", "4"), ("4", "5")]


def _trained_positions(feed):
    """(row, step) of every position the feed predicts, by position."""
    return {int(q): (r, t) for r, row in enumerate(feed.positions) for t, q in enumerate(row) if q >= 0}


@pytest.mark.parametrize("reset_at", [None, 3])
def test_the_test_pass_states_are_the_keras_layers_own(reset_at):
    """predict_pass's h at each test position against the recurrent layer's own output, in the
    rebuilt batch-1 stateful model, reset where seqviz resets."""
    from seqviz.modes import MODES
    from seqviz.predict import predict_pass

    config = RunConfig(sequence="1 2 3 4 5 6 7 8 9", framing="next", mode="lanes", output="softmax")
    dataset = config.validate()
    feed = MODES["lanes"](dataset, config)
    start = initial_weights(dataset.vocabulary.size, 5, seed=3, cell="gru", layers=2)
    ours = train(feed, start, epochs=4, learning_rate=0.05, output="softmax", snapshots=1)
    test = prediction_feed("3 4 5 6 7 8", "next", dataset, feed, 1, "zeros", 0)
    passed = predict_pass(test.feed, ours.weights, "softmax", None, reset_at)
    rebuilt = build_keras_model(test.feed, 5, "softmax", ours.weights)
    layer = keras.Model(rebuilt.inputs, rebuilt.layers[-2].output)  # the last GRU's h
    reset_states(rebuilt)
    h = []
    for r in range(test.feed.samples):
        if reset_at is not None and r == reset_at:
            reset_states(rebuilt)
        out = np.asarray(layer.predict_on_batch(test.feed.x[r : r + 1]))
        h.append(out[:, -1] if out.ndim == 3 else out)
    where = _trained_positions(test.feed)
    theirs = np.concatenate(h)[[where[q][0] for q in range(len(where))]]
    np.testing.assert_allclose(passed.h[-1], theirs, atol=1e-5)
    untouched = predict_pass(test.feed, ours.weights, "softmax")
    if reset_at is not None:  # the reset changes the state from there on, never before
        np.testing.assert_allclose(passed.h[-1][:reset_at], untouched.h[-1][:reset_at])
        assert np.abs(passed.h[-1][reset_at] - untouched.h[-1][reset_at]).max() > 1e-4


RESET_EXPORTS = {
    # a stateful model trained with batch 2, rebuilt for batch 1, from zeros
    "lanes, rebuilt": dict(sequence="1 2 3 4 5 6 7 8 9", mode="lanes", test_sequence="2 3 4 5 6", reset_at=2),
    # one-step stateful training, the state training ended in carried on
    "stateful, carried": dict(
        sequence="a b c a b d", mode="stateful", test_sequence="a b c a", predict_state="carry", reset_at=1
    ),
    # one long sequence: the reset falls inside a single sample
    "sequence, mid-sample": dict(
        sequence="a b c a b d", mode="sequence", test_sequence="a b c a b d", reset_at=3
    ),
    # windows: each sample starts from zeros; the rows that read the position are reset
    "window": dict(sequence="a b c a b d", mode="window", window=3, test_sequence="a b c a b d", reset_at=2),
}


@pytest.mark.parametrize("case", list(RESET_EXPORTS))
def test_the_exported_reset_is_seqvizs_intervention(tmp_path, case):
    """The exported train.py's intervention (a one-step stateful copy fed step by step, rows
    zeroed before the position) gives what seqviz's predict_pass gives on the script's own
    trained weights, within 1e-5; and its untouched pass matches too."""
    import runpy

    from seqviz.predict import predict_pass

    config = RunConfig(framing="next", epochs=3, output="softmax", cell="lstm", **RESET_EXPORTS[case])
    result = run(config)
    mode = config.mode
    test = result.tests[mode]
    script = tmp_path / "train.py"
    script.write_text(training_script(result.feeds[mode], result.dataset, config, test))
    ns = runpy.run_path(str(script))
    weights = Weights.from_list(ns["model"].get_weights(), "lstm")
    start = None
    if test.carried:
        start = [tuple(np.asarray(v) for v in layer) for layer in ns["state_after_fit"]]
    where = _trained_positions(test.feed)
    order = [where[q] for q in range(len(where))]
    theirs = np.array([ns["reset_probabilities"][r, t] for r, t in order])
    ours = predict_pass(test.feed, weights, "softmax", start, config.reset_at).probabilities
    np.testing.assert_allclose(ours, theirs, atol=1e-5)
    untouched = np.asarray(ns["test_probabilities"])
    untouched = np.array([untouched[r, t] if untouched.ndim == 3 else untouched[r] for r, t in order])
    plain = predict_pass(test.feed, weights, "softmax", start).probabilities
    np.testing.assert_allclose(plain, untouched, atol=1e-5)
    assert np.abs(ours - plain).max() > 1e-4  # the reset did change what follows it
    np.testing.assert_allclose(ours[: config.reset_at], plain[: config.reset_at], atol=1e-6)


def test_a_test_sequence_that_repeats_training_gives_no_verdict_and_says_why():
    # The defect this guards against: the reference preset tested on its own training data
    # called every mode that fits "learned", though a memorised stream predicts it as well.
    result = run(RunConfig(sequence="0 1 0 2", mode="all", test_sequence="0 1 0 2", epochs=200))
    verdicts = {m.mode: m.verdict for m in result.run.runs}
    assert verdicts == {"stateless": "cannot fit", "stateful": None, "sequence": None, "window": None}
    for mode in result.run.runs:
        assert mode.test is not None and mode.test.seen == [0, 1]
        assert mode.to_json()["test"]["seen"] == [0, 1]
    from seqviz.explain import explain, verdict_label

    text = " ".join(explain(result.run))
    assert "learned the rule" not in text and "No verdict" in text
    assert verdict_label(result.run.runs[2]) == "none: test seen in training"


def test_only_the_positions_past_the_training_data_are_scored():
    # The same rule twice as long: positions 0 and 1 repeat training; 2 and 3 go past its end.
    result = run(RunConfig(sequence="0 1 0 2", mode="sequence", test_sequence="0 1 0 2 0 1 0 2", epochs=200))
    mode = result.run.runs[0]
    assert mode.test.seen == [0, 1] and mode.accuracy == 1.0
    new = [p for p in mode.test.predictions if p.position >= 2]
    assert mode.verdict == ("learned" if all(p.correct for p in new) else "memorised")


def test_a_window_too_short_for_the_longer_test_gets_no_verdict_and_the_label_says_why():
    # A window of 2 sees '0 0' at test positions 1-3, whose targets differ (2, 1, 2): ties; and
    # position 0 repeats training. Nothing is left to score.
    from seqviz.explain import verdict_label

    config = RunConfig(sequence="0 1 0 2", mode="window", test_sequence="0 1 0 2 0 1 0 2", epochs=200)
    mode = run(config).run.runs[0]
    # Position 3's window ('0', '0') → '2' is training position 1's: seen, as 0 and 1 are.
    assert mode.test.seen == [0, 1, 3] and mode.test.ties == [1, 2, 3] and mode.verdict is None
    assert verdict_label(mode) == "none: test seen or ties"
