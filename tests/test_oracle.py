"""seqviz against Keras itself: the replayed states against the LSTM layer's own outputs,
and the compiled trainer against ``model.fit`` from the same initial weights."""

import numpy as np
import pytest

from seqviz.config import MODE_NAMES, RunConfig
from seqviz.keras_model import LOSSES, LSTM_NAME, build_keras_model
from seqviz.modes import MODES
from seqviz.replay import replay
from seqviz.trainer import train
from seqviz.weights import Weights, initial_weights

keras = pytest.importorskip("keras")

CASES = {
    "stateless": RunConfig(sequence="0 1 0 2 1 0 2 2", mode="stateless"),
    "stateful": RunConfig(sequence="a b c a b c a d", framing="next", mode="stateful", batch_size=1),
    "stateful-b2": RunConfig(sequence="0 1 0 2 1 0 2 1", mode="stateful", batch_size=2),
    "sequence": RunConfig(sequence="1 2 3 1 2 4", framing="next", mode="sequence"),
    "window": RunConfig(sequence="x y x z y x", framing="next", mode="window", window=3),
    "window-b2": RunConfig(sequence="x y x z y", framing="next", mode="window", window=2, batch_size=2),
}


def _trained(config: RunConfig, epochs: int = 40):
    dataset = config.validate()
    feed = MODES[config.mode](dataset, config)
    start = initial_weights(dataset.vocabulary.size, 8, seed=3)
    trained = train(feed, start, epochs=epochs, learning_rate=0.05, output=config.output, snapshots=2)
    return feed, start, trained


def _keras_states(feed, weights: Weights):
    """The LSTM layer's own per-step h and final (h, c), for each sample, as Keras predicts."""
    _, timesteps, vocab = feed.x.shape
    shape = (
        dict(batch_shape=(feed.batch_size, timesteps, vocab))
        if feed.stateful
        else dict(shape=(timesteps, vocab))
    )
    inputs = keras.Input(**shape)
    layer = keras.layers.LSTM(weights.units, return_sequences=True, return_state=True, stateful=feed.stateful)
    model = keras.Model(inputs, layer(inputs))
    layer.set_weights(weights.as_list()[:3])
    if feed.stateful:
        layer.reset_state()
    sequences, h_final, c_final = model.predict(feed.x, batch_size=feed.batch_size, verbose=0)
    return sequences, h_final, c_final


@pytest.mark.parametrize("case", list(CASES))
def test_replayed_states_match_keras(case):
    feed, _, trained = _trained(CASES[case])
    ours = replay(feed, trained.weights, "sigmoid")
    sequences, h_final, c_final = _keras_states(feed, trained.weights)
    np.testing.assert_allclose(ours.h, sequences, atol=1e-5)
    np.testing.assert_allclose(ours.h[:, -1], h_final, atol=1e-5)
    np.testing.assert_allclose(ours.c[:, -1], c_final, atol=1e-5)
    # The state entering each step is the one the previous step (or batch) left.
    np.testing.assert_allclose(ours.h_tm1[:, 1:], ours.h[:, :-1])
    if feed.stateful:
        b = feed.batch_size
        np.testing.assert_allclose(ours.c_tm1[b:, 0], ours.c[:-b, -1])
    # The states are not trivially zero: the check above has something to compare.
    assert np.abs(ours.c).max() > 0.05


@pytest.mark.parametrize("output", ["sigmoid", "softmax"])
@pytest.mark.parametrize("case", list(CASES))
def test_replayed_predictions_match_keras_predict(case, output):
    config = CASES[case]
    feed, _, trained = _trained(RunConfig(**{**config.as_dict(), "output": output}))
    ours = replay(feed, trained.weights, output)
    model = build_keras_model(feed, trained.weights.units, output, trained.weights)
    if feed.stateful:
        model.get_layer(LSTM_NAME).reset_state()
    theirs = model.predict(feed.x, batch_size=feed.batch_size, verbose=0)
    ours_out = ours.probabilities[:, -1] if not feed.return_sequences else ours.probabilities
    np.testing.assert_allclose(ours_out, theirs, atol=1e-5)


def _fit(feed, start: Weights, output: str, epochs: int, learning_rate: float):
    model = build_keras_model(feed, start.units, output, start)
    model.compile(loss=LOSSES[output], optimizer=keras.optimizers.Adam(learning_rate=learning_rate))
    losses = []
    if feed.stateful:
        for _ in range(epochs):
            history = model.fit(
                feed.x[:, -1:], feed.y[:, -1], epochs=1, batch_size=feed.batch_size, shuffle=False, verbose=0
            )
            model.get_layer(LSTM_NAME).reset_state()
            losses += history.history["loss"]
    else:
        y = feed.y if feed.return_sequences else feed.y[:, -1]
        history = model.fit(feed.x, y, epochs=epochs, batch_size=feed.batch_size, shuffle=False, verbose=0)
        losses = history.history["loss"]
    return Weights.from_list(model.get_weights()), losses


@pytest.mark.parametrize("backend", ["numpy", "tensorflow"])
@pytest.mark.parametrize("output", ["sigmoid", "softmax"])
@pytest.mark.parametrize("case", ["stateless", "stateful", "stateful-b2", "sequence", "window", "window-b2"])
def test_trainer_computes_what_fit_computes(case, output, backend):
    config = RunConfig(**{**CASES[case].as_dict(), "output": output})
    dataset = config.validate()
    feed = MODES[config.mode](dataset, config)
    start = initial_weights(dataset.vocabulary.size, 6, seed=11)
    epochs, lr = 12, 0.01
    ours = train(feed, start, epochs=epochs, learning_rate=lr, output=output, snapshots=1, backend=backend)
    assert ours.backend == backend
    theirs, fit_losses = _fit(feed, start, output, epochs, lr)
    np.testing.assert_allclose(ours.losses, fit_losses, rtol=1e-4, atol=1e-5)
    for a, b in zip(ours.weights.as_list(), theirs.as_list()):
        np.testing.assert_allclose(a, b, atol=1e-4)
    moved = max(np.abs(a - b).max() for a, b in zip(ours.weights.as_list(), start.as_list()))
    assert moved > 0.05  # training really changed the weights


@pytest.mark.parametrize("output", ["sigmoid", "softmax"])
def test_both_backends_agree_on_a_bigger_model(output):
    config = RunConfig(sequence="a b c d a b e d a c", framing="next", mode="sequence", units=80)
    dataset = config.validate()
    feed = MODES["sequence"](dataset, config)
    start = initial_weights(dataset.vocabulary.size, 80, seed=2)
    runs = {
        b: train(feed, start, epochs=60, learning_rate=0.01, output=output, snapshots=3, backend=b)
        for b in ("numpy", "tensorflow")
    }
    assert runs["tensorflow"].backend == "tensorflow" and runs["numpy"].backend == "numpy"
    np.testing.assert_allclose(runs["numpy"].losses, runs["tensorflow"].losses, rtol=1e-4, atol=1e-5)
    for a, b in zip(runs["numpy"].weights.as_list(), runs["tensorflow"].weights.as_list()):
        np.testing.assert_allclose(a, b, atol=2e-4)
    assert (
        train(feed, start, epochs=1, learning_rate=0.01, output=output).backend == "tensorflow"
    )  # auto: big


def test_every_mode_starts_from_identical_weights():
    config = RunConfig(sequence="a b a c a b", framing="next")
    dataset = config.validate()
    first = initial_weights(dataset.vocabulary.size, config.units, config.seed)
    again = initial_weights(dataset.vocabulary.size, config.units, config.seed)
    for a, b in zip(first.as_list(), again.as_list()):
        np.testing.assert_array_equal(a, b)
    shapes = {
        mode: build_keras_model(MODES[mode](dataset, config), config.units, "sigmoid").get_weights()
        for mode in MODE_NAMES
    }
    for mode, keras_weights in shapes.items():
        assert [w.shape for w in keras_weights] == [w.shape for w in first.as_list()], mode
    # The recurrent kernel is orthogonal, the forget bias starts at 1, as Keras initialises them.
    r = first.recurrent_kernel.astype(np.float64)
    np.testing.assert_allclose(r @ r.T, np.eye(config.units), atol=1e-5)
    assert first.bias[config.units : 2 * config.units].tolist() == [1.0] * config.units
