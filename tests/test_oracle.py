"""seqviz against Keras itself, for every cell, every feeding mode, both losses and 1 and 2
layers: the replayed states against the Keras layers' own outputs, and both training
backends against ``model.fit`` from the same initial weights."""

import numpy as np
import pytest

from seqviz.cells import CELLS
from seqviz.config import MODE_NAMES, RunConfig
from seqviz.keras_model import LOSSES, build_keras_model, reset_states
from seqviz.modes import MODES
from seqviz.replay import replay
from seqviz.trainer import train
from seqviz.weights import Weights, initial_weights
from tests.cases import LAYOUTS, ORACLE_PRESETS, oracle_params

keras = pytest.importorskip("keras")

CASES = {name: LAYOUTS[name] for name in ORACLE_PRESETS}
UNITS = 6
# The replay tests' share of the fast tier: the cover's stateful rows (test_layouts' fast fits
# hold replay to Keras's predictions on the other layouts).
REPLAYED_FAST = ("stateful", "stateful-b2")


def _feed(case: str, output: str = "sigmoid"):
    config = RunConfig(**{**CASES[case].as_dict(), "output": output})
    dataset = config.validate()
    return MODES[config.mode](dataset, config), dataset


def _trained(case: str, cell: str, layers: int, output: str = "sigmoid", epochs: int = 40):
    feed, dataset = _feed(case, output)
    start = initial_weights(dataset.vocabulary.size, UNITS, seed=3, cell=cell, layers=layers)
    trained = train(feed, start, epochs=epochs, learning_rate=0.05, output=output, snapshots=2)
    return feed, trained


def _keras_layer_outputs(feed, weights: Weights):
    """Each Keras layer's own per-step h and final states, for each sample, as Keras predicts."""
    _, timesteps, features = feed.x.shape
    shape = (
        dict(batch_shape=(feed.batch_size, timesteps, features))
        if feed.stateful
        else dict(shape=(timesteps, features))
    )
    inputs = keras.Input(**shape)
    layer_class = getattr(keras.layers, weights.cell_type.keras_layer)
    options = weights.cell_type.keras_options()
    x, outputs, layers = inputs, [], []
    for _ in weights.layers:
        layer = layer_class(
            weights.units, return_sequences=True, return_state=True, stateful=feed.stateful, **options
        )
        sequence, *finals = layer(x)
        outputs += [sequence, *finals]
        layers.append(layer)
        x = sequence
    model = keras.Model(inputs, outputs)
    for layer, w in zip(layers, weights.layers):
        layer.set_weights([w.kernel, w.recurrent_kernel, w.bias])
    reset_states(model)
    flat = model.predict(feed.x, batch_size=feed.batch_size, verbose=0)
    per_layer = len(flat) // len(weights.layers)
    return [flat[k : k + per_layer] for k in range(0, len(flat), per_layer)]


@pytest.mark.parametrize(
    "case, cell, output, layers",
    [p for p in oracle_params("oracle", REPLAYED_FAST) if p.values[2] == "sigmoid"],
)
def test_replayed_states_match_keras(case, cell, output, layers):
    feed, trained = _trained(case, cell, layers)
    ours = replay(feed, trained.weights, "sigmoid")
    theirs = _keras_layer_outputs(feed, trained.weights)
    state_names = CELLS[cell].state_names
    for k, (sequence, *finals) in enumerate(theirs):
        values = ours.layers[k]
        np.testing.assert_allclose(values["h"], sequence, atol=1e-5)
        for name, final in zip(state_names, finals):
            np.testing.assert_allclose(values[name][:, -1], final, atol=1e-5)
        # The states entering each step are the ones the previous step (or batch) left.
        for name in state_names:
            np.testing.assert_allclose(values[f"{name}0"][:, 1:], values[name][:, :-1])
            if feed.stateful:
                b = feed.batch_size
                np.testing.assert_allclose(values[f"{name}0"][b:, 0], values[name][:-b, -1])
        # The states are not trivially zero: the checks above have something to compare.
        assert np.abs(values["h"]).max() > 0.05


@pytest.mark.parametrize("case, cell, output, layers", oracle_params("oracle", REPLAYED_FAST))
def test_replayed_predictions_match_keras_predict(case, cell, output, layers):
    feed, trained = _trained(case, cell, layers, output, epochs=15)
    ours = replay(feed, trained.weights, output)
    model = build_keras_model(feed, UNITS, output, trained.weights)
    reset_states(model)
    theirs = model.predict(feed.x, batch_size=feed.batch_size, verbose=0)
    ours_out = ours.probabilities if feed.return_sequences else ours.probabilities[:, -1]
    np.testing.assert_allclose(ours_out, theirs, atol=1e-5)


def _fit(feed, start: Weights, output: str, epochs: int, learning_rate: float):
    model = build_keras_model(feed, start.units, output, start)
    model.compile(loss=LOSSES[output], optimizer=keras.optimizers.Adam(learning_rate=learning_rate))
    # fit never resets RNN state by itself: seqviz's stateful feeds reset after every epoch.
    reset = keras.callbacks.LambdaCallback(on_epoch_end=lambda *_: reset_states(model))
    y = feed.y if feed.return_sequences else feed.y[:, -1]
    history = model.fit(
        feed.x, y, epochs=epochs, batch_size=feed.batch_size, shuffle=False, verbose=0, callbacks=[reset]
    )
    return Weights.from_list(model.get_weights(), start.cell), history.history["loss"]


@pytest.mark.parametrize("case, cell, output, layers", oracle_params("oracle"))
def test_both_backends_compute_what_fit_computes(case, cell, output, layers):
    feed, dataset = _feed(case, output)
    start = initial_weights(dataset.vocabulary.size, UNITS, seed=11, cell=cell, layers=layers)
    epochs, lr = 8, 0.01
    theirs, fit_losses = _fit(feed, start, output, epochs, lr)
    for backend in ("numpy", "tensorflow"):
        ours = train(
            feed, start, epochs=epochs, learning_rate=lr, output=output, snapshots=1, backend=backend
        )
        assert ours.backend == backend
        np.testing.assert_allclose(ours.losses, fit_losses, rtol=1e-4, atol=1e-5, err_msg=backend)
        for a, b in zip(ours.weights.as_list(), theirs.as_list()):
            np.testing.assert_allclose(a, b, atol=1e-4, err_msg=backend)
        moved = max(np.abs(a - b).max() for a, b in zip(ours.weights.as_list(), start.as_list()))
        assert moved > 0.02  # training really changed the weights


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


@pytest.mark.parametrize("layers", [1, 2])
@pytest.mark.parametrize("cell", list(CELLS))
def test_every_mode_starts_from_identical_weights_shaped_as_keras_builds_them(cell, layers):
    config = RunConfig(sequence="a b a c a b", framing="next", cell=cell, layers=layers)
    dataset = config.validate()
    first = initial_weights(dataset.vocabulary.size, config.units, config.seed, cell, layers)
    again = initial_weights(dataset.vocabulary.size, config.units, config.seed, cell, layers)
    for a, b in zip(first.as_list(), again.as_list()):
        np.testing.assert_array_equal(a, b)
    for mode in MODE_NAMES:
        model = build_keras_model(
            MODES[mode](dataset, config), config.units, "sigmoid", cell=cell, layers=layers
        )
        assert [w.shape for w in model.get_weights()] == [w.shape for w in first.as_list()], mode
        for k, layer in enumerate(first.layers):  # the bias Keras's own initialiser gives
            np.testing.assert_array_equal(model.get_weights()[3 * k + 2], layer.bias)
    # Recurrent kernels are orthogonal, biases as Keras initialises them.
    u = config.units
    for layer in first.layers:
        r = layer.recurrent_kernel.astype(np.float64)
        np.testing.assert_allclose(r @ r.T, np.eye(u), atol=1e-5)
    bias = first.layers[0].bias
    if cell == "lstm":
        assert bias.shape == (4 * u,) and bias[u : 2 * u].tolist() == [1.0] * u and not bias[:u].any()
    elif cell == "gru":
        assert bias.shape == (2, 3 * u) and not bias.any()  # reset_after=True: input and recurrent bias
    elif cell == "gru_v1":
        assert bias.shape == (3 * u,) and not bias.any()  # reset_after=False: one bias
    else:
        assert bias.shape == (u,) and not bias.any()
