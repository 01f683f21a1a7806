"""The compiled training loop (``seqviz.kernel``) against the NumPy path it compiles
(``seqviz.network`` + cells + losses + adam, which tests/test_oracle.py and
tests/test_layouts.py hold to ``model.fit``): every cell, every layout, both outputs, one and
two layers, the same losses, weights, snapshots and final states. A cell the kernel has no code
for trains on the NumPy path (tests/test_oracle.py holds that path to ``fit``)."""

import dataclasses
import itertools

import numpy as np
import pytest

from seqviz import kernel
from seqviz.adam import step_size
from seqviz.cells import CELLS
from seqviz.config import RunConfig
from seqviz.losses import OUTPUTS
from seqviz.modes import MODES
from seqviz.trainer import train
from seqviz.weights import initial_weights
from tests.cases import LAYOUTS, pairwise, params

TEXT = "a b c a b d a b c e b a c"
COMPILED_CELLS = [c for c in CELLS if c in kernel.KERNEL_CELLS]
NUMPY_CELLS = [c for c in CELLS if c not in kernel.KERNEL_CELLS]


def _on_text(config: RunConfig) -> RunConfig:
    """A layout of tests/cases.py on this module's text: one stream, or its own sequences."""
    return dataclasses.replace(
        config, sequence=config.sequence if "\n" in config.sequence else TEXT, framing="next"
    )


KERNEL = list(itertools.product(LAYOUTS, COMPILED_CELLS, OUTPUTS, (1, 2)))


def _feed(config: RunConfig):
    dataset = config.validate()
    return MODES[config.mode](dataset, config), dataset


def _both(config: RunConfig, cell: str, layers: int, output: str, epochs: int = 8):
    feed, dataset = _feed(config)
    start = initial_weights(dataset.vocabulary.size, 7, seed=5, cell=cell, layers=layers)
    runs = [
        train(
            feed,
            start,
            epochs=epochs,
            learning_rate=0.01,
            output=output,
            snapshots=4,
            backend="numpy",
            compiled=compiled,
        )
        for compiled in (True, False)
    ]
    return feed, start, runs


@pytest.mark.parametrize(
    "case, cell, output, layers", params(KERNEL, pairwise(LAYOUTS, COMPILED_CELLS, OUTPUTS, (1, 2)))
)
def test_the_compiled_loop_trains_what_the_numpy_path_trains(case, cell, output, layers):
    feed, start, (fused, reference) = _both(_on_text(LAYOUTS[case]), cell, layers, output)
    assert fused.compiled and not reference.compiled
    assert fused.backend == reference.backend == "numpy"
    np.testing.assert_allclose(fused.losses, reference.losses, rtol=1e-6, atol=1e-7)
    for a, b in zip(fused.weights.as_list(), reference.weights.as_list()):
        np.testing.assert_allclose(a, b, atol=1e-5)
    assert [e for e, _, _ in fused.snapshots] == [e for e, _, _ in reference.snapshots]
    for (_, loss_a, w_a), (_, loss_b, w_b) in zip(fused.snapshots, reference.snapshots):
        assert loss_a == pytest.approx(loss_b, rel=1e-6)
        for a, b in zip(w_a.as_list(), w_b.as_list()):
            np.testing.assert_allclose(a, b, atol=1e-5)
    assert fused.final_states is not None and reference.final_states is not None
    for layer_a, layer_b in zip(fused.final_states, reference.final_states, strict=True):
        assert len(layer_a) == len(layer_b) == len(CELLS[cell].state_names)
        for a, b in zip(layer_a, layer_b):
            assert a.shape == b.shape
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)  # an LSTM's c is unbounded
    moved = max(np.abs(a - b).max() for a, b in zip(fused.weights.as_list(), start.as_list()))
    assert moved > 0.05  # the run really trained


def test_training_in_chunks_equals_one_call():
    """Training in chunks (the driver's progress calls) equals one long call: the loop carries
    Adam's step, the epoch's shuffle order and the stateful states across calls."""
    feed, dataset = _feed(_on_text(LAYOUTS["shuffle-never-reset"]))
    start = initial_weights(dataset.vocabulary.size, 6, seed=1, cell="lstm")
    whole = kernel.KernelBackend(feed, start, 0.02, "softmax")
    parts = kernel.KernelBackend(feed, start, 0.02, "softmax")
    losses = whole.run(9)
    assert parts.run(2) + parts.run(3) + parts.run(4) == losses
    for a, b in zip(whole.weights().as_list(), parts.weights().as_list()):
        np.testing.assert_array_equal(a, b)


def test_adam_step_sizes_are_those_of_the_numpy_path():
    sizes = kernel.step_sizes(0.001, 0, 5000)
    assert sizes.dtype == np.float32
    expected = np.array([np.float32(step_size(0.001, s)) for s in range(1, 5001)])
    np.testing.assert_array_equal(sizes, expected)
    later = [np.float32(step_size(0.01, s)) for s in range(301, 305)]
    np.testing.assert_array_equal(kernel.step_sizes(0.01, 300, 4), later)


def test_tanh_is_within_float32_rounding_of_numpy():
    x = np.concatenate([np.linspace(-12, 12, 20001), np.geomspace(1e-9, 1e-2, 200)]).astype(np.float32)
    ours = np.array([kernel._tanh(np.float32(a)) for a in x[::7]], np.float32)
    np.testing.assert_allclose(ours, np.tanh(x[::7]), atol=4e-7, rtol=1e-6)
    assert kernel._tanh(np.float32(-1e-5)) == np.float32(-1e-5)


def test_what_the_kernel_does_not_cover_trains_on_the_numpy_path():
    feed, dataset = _feed(_on_text(LAYOUTS["stateless"]))
    start = initial_weights(dataset.vocabulary.size, 4, seed=0)
    assert kernel.supports(feed, "sigmoid", "lstm")
    assert not kernel.supports(feed, "no-such-output", "lstm")
    assert not kernel.supports(feed, "sigmoid", "no-such-cell")
    assert (
        train(feed, start, epochs=2, learning_rate=0.01, output="softmax", compiled=False).compiled is False
    )


@pytest.mark.parametrize("cell", NUMPY_CELLS)
def test_a_cell_without_kernel_code_trains_on_the_numpy_path(cell):
    feed, dataset = _feed(_on_text(LAYOUTS["stateful"]))
    assert not kernel.supports(feed, "softmax", cell)
    start = initial_weights(dataset.vocabulary.size, 4, seed=0, cell=cell)
    asked, reference = (
        train(feed, start, epochs=3, learning_rate=0.01, output="softmax", backend="numpy", compiled=c)
        for c in (True, False)
    )
    assert not asked.compiled and asked.backend == "numpy"
    assert asked.losses == reference.losses


@pytest.mark.parametrize("cell", COMPILED_CELLS)
@pytest.mark.parametrize("mode", ["chunks", "sequence", "window"])
def test_the_compiled_loop_trains_a_numeric_csv_as_the_numpy_path_does(cell, mode):
    """Real-valued inputs with two features and a linear output (mse), from the shipped CSV."""
    from seqviz.csvdata import example_csv

    config = RunConfig(
        csv=example_csv(),
        target="demand",
        features="temperature,demand",
        output="linear",
        scaling="standardise",
        mode=mode,
        window=6,
        epochs=6,
    )
    feed, dataset = _feed(config)
    assert dataset.input_dim == 2 and dataset.output_dim == 1
    start = initial_weights(dataset.input_dim, 6, seed=2, cell=cell, output_dim=1)
    fused, reference = (
        train(feed, start, epochs=6, learning_rate=0.01, output="linear", snapshots=2, compiled=c)
        for c in (True, False)
    )
    assert fused.compiled and not reference.compiled
    np.testing.assert_allclose(fused.losses, reference.losses, rtol=1e-5, atol=1e-7)
    for a, b in zip(fused.weights.as_list(), reference.weights.as_list()):
        np.testing.assert_allclose(a, b, atol=1e-5)
