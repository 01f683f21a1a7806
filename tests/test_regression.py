"""Numbers in, regression out (``output=linear``, Keras's ``mse``): training held to
``model.fit`` from the same initial weights for every layout and cell, the replay of several
features per step held to the Keras layers' outputs, and the regression loss floor and
verdicts against hand computations."""

import dataclasses

import numpy as np
import pytest

from seqviz.cells import CELLS
from seqviz.config import RunConfig
from seqviz.engine import run
from seqviz.errors import SeqvizError
from seqviz.floor import regression_floor
from seqviz.keras_model import build_keras_model, reset_states
from seqviz.modes import MODES
from seqviz.regression import TOLERANCE, relative_error
from seqviz.replay import replay
from seqviz.trainer import train
from seqviz.weights import initial_weights
from tests.cases import REGRESSION, REGRESSION_PLAIN, SERIES, oracle_params, series
from tests.test_layouts import _fit
from tests.test_oracle import _keras_layer_outputs

keras = pytest.importorskip("keras")

CASES = REGRESSION
PLAIN = REGRESSION_PLAIN


def _csv(mode: str, **options) -> RunConfig:
    return series(mode, **options)


def _start(config: RunConfig, cell: str, layers: int = 1):
    dataset = config.validate()
    feed = MODES[config.mode](dataset, config)
    weights = initial_weights(dataset.input_dim, 5, seed=4, cell=cell, layers=layers, output_dim=1)
    return feed, dataset, weights


@pytest.mark.parametrize("case, cell, output, layers", oracle_params("regression"))
def test_mse_training_matches_model_fit(case, cell, output, layers):
    assert output == "linear" and layers == (1 if case in PLAIN else 2)
    feed, dataset, start = _start(CASES[case], cell, layers=layers)
    epochs, lr = 5, 0.03
    theirs, fit_losses = _fit(feed, start, epochs, lr, output="linear")
    ours = train(feed, start, epochs=epochs, learning_rate=lr, output="linear", snapshots=1)
    np.testing.assert_allclose(ours.losses, fit_losses, rtol=1e-4)
    for a, b in zip(ours.weights.as_list(), theirs.as_list()):
        np.testing.assert_allclose(a, b, atol=1e-4)
    moved = max(np.abs(a - b).max() for a, b in zip(ours.weights.as_list(), start.as_list()))
    assert moved > 0.02  # training really changed the weights


@pytest.mark.parametrize("cell", list(CELLS))
def test_the_graph_backend_trains_mse_as_fit_does(cell):
    feed, _, start = _start(_csv("sequence"), cell)  # one unmasked sample: the graph's kind of feed
    theirs, fit_losses = _fit(feed, start, 4, 0.03, output="linear")
    ours = train(feed, start, epochs=4, learning_rate=0.03, output="linear", backend="tensorflow")
    assert ours.backend == "tensorflow"
    np.testing.assert_allclose(ours.losses, fit_losses, rtol=1e-4)
    for a, b in zip(ours.weights.as_list(), theirs.as_list()):
        np.testing.assert_allclose(a, b, atol=1e-4)


@pytest.mark.parametrize("layers", [1, 2])
@pytest.mark.parametrize("cell", list(CELLS))
@pytest.mark.parametrize("case", ["csv-same-row-chunks", "csv-window-b4"])  # no padding: Keras's
# layers alone (no Masking layer) then see what seqviz replays
def test_multi_feature_replay_matches_the_keras_layers(case, cell, layers):
    feed, _, start = _start(CASES[case], cell, layers)
    assert not feed.masked
    assert feed.x.shape[-1] >= 3 and np.abs(feed.x).max() > 0.5  # several real features per step
    trained = train(feed, start, epochs=10, learning_rate=0.05, output="linear", snapshots=1)
    ours = replay(feed, trained.weights, "linear")
    theirs = _keras_layer_outputs(feed, trained.weights)
    for k, (sequence, *finals) in enumerate(theirs):
        np.testing.assert_allclose(ours.layers[k]["h"], sequence, atol=1e-5)
        for name, final in zip(CELLS[cell].state_names, finals):
            np.testing.assert_allclose(ours.layers[k][name][:, -1], final, atol=1e-5)
    model = build_keras_model(feed, 5, "linear", trained.weights)
    reset_states(model)
    predicted = model.predict(feed.x, batch_size=feed.batch_size, verbose=0)
    out = ours.probabilities if feed.return_sequences else ours.probabilities[:, -1]
    np.testing.assert_allclose(out, predicted, atol=1e-5)


# --- the loss floor, by hand -----------------------------------------------------------------


def test_the_floor_is_the_mean_squared_deviation_within_look_alike_groups():
    # Keys a, b, a, a, b, c: group a has targets 1, 3, 2 (mean 2), b has 5, 7 (mean 6), c alone.
    keys = ["a", "b", "a", "a", "b", "c"]
    targets = [1.0, 5.0, 3.0, 2.0, 7.0, 4.0]
    by_hand = ((1 - 2) ** 2 + (3 - 2) ** 2 + 0 + (5 - 6) ** 2 + (7 - 6) ** 2 + 0) / 6
    assert regression_floor(keys, targets) == pytest.approx(by_hand)
    assert regression_floor(["a", "a"], [2.5, 2.5]) == 0.0


def test_a_repeating_series_floors_the_stateless_mode_and_not_the_sequence_mode():
    # next framing of 1 2 3 1 2 4 1 2 3: input 1 → 2 always, 2 → 3, 4, 3, 3 → 1, 4 → 1.
    config = RunConfig(sequence="1 2 3 1 2 4 1 2 3", framing="next", output="linear", epochs=2, mode="all")
    result = run(config).run
    stateless = result.mode("stateless")
    # The inputs '2' (positions 1, 4, 7) have targets 3, 4, 3: mean 10/3.
    mean = 10 / 3
    by_hand = ((3 - mean) ** 2 * 2 + (4 - mean) ** 2) / 8
    assert stateless.loss_floor == pytest.approx(by_hand)
    assert stateless.ambiguous_positions == [1, 4, 7]
    window = result.mode("window")  # window 2: (1, 2) → 3, 4, 3 again; (3, 1), (2, 3), (1, 2)…
    assert window.loss_floor == pytest.approx(by_hand)
    assert result.mode("sequence").loss_floor == 0.0 and result.mode("stateful").loss_floor == 0.0
    # The floor is in the scaled units the model is trained on: standardising divides it by the
    # targets' variance.
    scaled = run(dataclasses.replace(config, mode="stateless", scaling="standardise")).run.runs[0]
    variance = np.var([2, 3, 1, 2, 4, 1, 2, 3])
    assert scaled.loss_floor == pytest.approx(by_hand / variance, rel=1e-5)


def test_predictions_carry_numbers_and_the_verdicts_follow_the_tolerance():
    # Each target is the input plus one: any mode can learn it, and the test part has new inputs.
    config = RunConfig(
        sequence="1 2 3 4 2 3 1 2 4 5 3 4",
        framing="pairs",
        output="linear",
        mode="stateless",
        epochs=600,
        learning_rate=0.05,
        test_sequence="1.5 2.5 3.5 4.5",
    )
    mode = run(config).run.runs[0]
    first = mode.predictions[0]
    assert isinstance(first.target, float) and first.target == 2.0
    assert isinstance(first.predicted, float) and first.predicted == pytest.approx(
        first.probability, abs=1e-6
    )
    outputs = [p.predicted for p in mode.predictions]
    targets = [p.target for p in mode.predictions]
    assert relative_error(outputs, targets) <= TOLERANCE
    test_error = relative_error(
        [p.predicted for p in mode.test.predictions], [p.target for p in mode.test.predictions]
    )
    assert mode.verdict == ("learned" if test_error <= TOLERANCE else "memorised")
    assert mode.verdict == "learned"  # 1.5 → 2.5 lies between inputs it saw
    from seqviz.explain import explain_run

    said = next(line for line in explain_run(mode) if line.startswith("Verdict"))
    assert said.startswith("Verdict: learned. Training fits its data") and f"{test_error:.1%}" in said
    floored = run(dataclasses.replace(config, sequence="1 2 1 3 1 2 1 3", test_sequence="1 2")).run.runs[0]
    assert floored.loss_floor == pytest.approx(0.25) and floored.verdict == "cannot fit"
    said = next(line for line in explain_run(floored) if line.startswith("Verdict"))
    assert "more than 10% of the training targets' variance" in said


def test_typed_numbers_name_the_first_token_that_is_not_one():
    with pytest.raises(SeqvizError, match=r"token 3 of the sequence, 'x', is not one"):
        RunConfig(sequence="1 2 x 4 y", output="linear").validate()
    with pytest.raises(SeqvizError, match=r"'nan'"):
        RunConfig(sequence="1 2 nan 4", output="linear").validate()
    with pytest.raises(SeqvizError, match="linear"):
        RunConfig(csv=SERIES, output="sigmoid").validate()


def test_standardise_scales_with_the_training_mean_and_deviation():
    dataset = _csv("sequence").validate()
    numeric = dataset.numeric
    raw = np.array(numeric.raw_inputs)
    np.testing.assert_allclose(numeric.x_array, (raw - raw.mean(0)) / raw.std(0), atol=1e-6)
    targets = np.array(numeric.raw_targets)
    np.testing.assert_allclose(numeric.y_array, (targets - targets.mean()) / targets.std(), atol=1e-6)
    assert numeric.columns == ("sin", "cos", "ramp", "step") and numeric.target == "sin"
    # Row r's features predict the next row's sine.
    assert numeric.raw_targets[0] == pytest.approx(np.sin(0.5), abs=1e-4)


# --- the figures of a regression run -----------------------------------------------------------


def test_every_figure_of_a_regression_run_is_valid_plotly_and_the_lines_hold_the_numbers():
    import plotly.graph_objects as go

    from seqviz import figures
    from seqviz.figures.numbers import _collect_numbers

    config = dataclasses.replace(_csv("chunks", window=4, epochs=3, snapshots=2, units=3), test_rows=4)
    result = run(config)
    mode = result.run.runs[0]
    scaling = result.dataset.numeric.scaling
    scale = (scaling.target_scale, scaling.target_mean)
    for fig in (
        figures.number_predictions_figure(mode),
        figures.number_predictions_figure(mode, snapshot=0, scale=scale),
        figures.state_figure(mode, "h"),
        figures.internals_figure(mode, "lstm"),
        figures.difference_figure(mode, 0, 1),
        figures.state_flow_figure(mode),
        figures.loss_figure(result.run.runs),
    ):
        go.Figure(fig)  # Plotly validates every property
    (train, test), _ = _collect_numbers(mode, None, scale)
    assert train.targets == tuple(p.target for p in mode.predictions)
    assert train.predicted == tuple(p.predicted for p in mode.predictions)
    assert test.x[0] == len(mode.predictions) and test.targets == tuple(
        p.target for p in mode.test.predictions
    )
    # A snapshot's outputs, scaled back into the target's units.
    (early, _), when = _collect_numbers(mode, 0, scale)
    first = mode.snapshots[0].probabilities[0][0] * scale[0] + scale[1]
    assert early.predicted[0] == pytest.approx(first) and "epoch 1" in when


def test_a_regression_run_round_trips_through_json():
    import json

    from seqviz.results import Run

    config = dataclasses.replace(_csv("chunks", window=4, epochs=3, units=3), test_rows=4)
    data = json.loads(json.dumps(run(config).run.to_json()))
    typed = Run.from_json(data)
    assert typed.config == config and typed.to_json() == data
    assert isinstance(typed.runs[0].predictions[0].target, float)
