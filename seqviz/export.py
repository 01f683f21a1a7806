"""Exports: a standalone plain-Keras ``train.py`` per mode, the trained ``model.keras``, and
the run's JSON, so a user can take the lesson back to their own project."""

from __future__ import annotations

from pathlib import Path

from seqviz import __version__
from seqviz.cells import CELLS
from seqviz.config import RunConfig
from seqviz.engine import RunResult
from seqviz.export_code import model_code, train_code
from seqviz.jsonout import dumps
from seqviz.keras_model import LOSSES, build_keras_model
from seqviz.layout import arrange_samples
from seqviz.modes import MODES, Feed
from seqviz.predict import PredictionFeed
from seqviz.replay import step_names
from seqviz.results import Run
from seqviz.sequence import Dataset


def _test_code(test: PredictionFeed, train_feed: Feed, config: RunConfig, vocab: int) -> str:
    """The prediction step exactly as seqviz ran it: the test sequence's rows, model.predict's
    own batch size (a stateful model rebuilt for it, the trained weights copied in), and the
    state from zeros or carried on from training. Runs before the training data is predicted."""
    feed = test.feed
    assert feed.layout is not None
    rows = [
        [-1] * feed.timesteps if s is None else list(s.positions) + [-1] * (feed.timesteps - len(s.positions))
        for s in arrange_samples(test.dataset, feed.layout)
    ]
    b = feed.batch_size
    lines = [
        "# --- The test sequence, predicted after training as seqviz did -----------------------",
        f"test_pairs = {[tuple(p) for p in test.dataset.pairs]!r}",
        f"test_rows = {rows!r}",
        f"test_trained = {feed.positions.tolist()!r}",
        f'X_test = np.zeros((len(test_rows), {feed.timesteps}, len(vocabulary)), dtype="float32")',
        "for r, row in enumerate(test_rows):",
        "    for t, p in enumerate(row):",
        "        if p >= 0:",
        "            X_test[r, t, stoi[test_pairs[p][0]]] = 1.0",
    ]
    code = "\n".join(lines) + "\n"
    if train_feed.stateful and b != train_feed.batch_size:
        code += f"# A stateful model's batch size is fixed: rebuild it for batch size {b}, weights copied.\n"
        code += model_code(feed, config, vocab, name="predictor", batch_size=b)
        code += "predictor.set_weights(model.get_weights())\n"
    else:
        code += "predictor = model\n"
    if test.carried and config.reset_at is not None:
        code += (
            "state_after_fit = [  # kept before predict moves it on\n"
            "    [v.numpy() for v in layer.states]\n"
            "    for layer in model.layers\n"
            "    if getattr(layer, 'stateful', False)\n"
            "]\n"
        )
    if train_feed.stateful:
        code += (
            "# Carry on from the state training ended in: no reset after fit.\n"
            if test.carried
            else "reset_states(predictor)  # start from zeros\n"
        )
    code += f"""test_probabilities = predictor.predict(X_test, batch_size={b}, verbose=0)
for r, out in enumerate(test_trained):
    for t, q in enumerate(out):
        if q >= 0:
            p = test_probabilities[r, t] if test_probabilities.ndim == 3 else test_probabilities[r]
            x, y = test_pairs[q]
            print(f"test input={{x}} target={{y}} predicted={{vocabulary[int(np.argmax(p))]}}")

"""
    if config.reset_at is not None:
        code += _reset_code(test, config, vocab)
    return code


def _reset_code(test: PredictionFeed, config: RunConfig, vocab: int) -> str:
    """The intervention: the same test pass with the state set to zeros just before position
    ``reset_at``'s input is read. Keras resets a stateful layer only between calls, and only
    every row at once, so a one-step stateful copy of the model reads one timestep per call and
    the rows about to read that position get zero states."""
    feed, b = test.feed, test.feed.batch_size
    starts = sorted(int(r) for r in feed.reset_rows) if feed.stateful else "every batch"
    code = f"""# --- The intervention: the state set to zeros before test position {config.reset_at} -------
reset_at = {config.reset_at}
"""
    code += model_code(feed, config, vocab, name="stepper", batch_size=b, stepper=True)
    code += "stepper.set_weights(model.get_weights())\n"
    code += f"""test_starts = {starts!r}  # batches (by first row) whose samples start from zeros


def recurrent_layers(m):
    return [layer for layer in m.layers if getattr(layer, "stateful", False)]


def zero_rows(m, rows):
    for layer in recurrent_layers(m):
        for variable in layer.states:
            value = variable.numpy()
            value[rows] = 0.0
            variable.assign(value)


steps = X_test.shape[1]
padded = np.concatenate([X_test, np.zeros(((-len(X_test)) % {b}, steps, X_test.shape[2]), "float32")])
reset_probabilities = np.zeros((len(X_test), steps, len(vocabulary)), dtype="float32")
for first in range(0, len(X_test), {b}):
    if first == 0 and {test.carried!r}:  # carried: the state training ended in
        for layer, states in zip(recurrent_layers(stepper), state_after_fit):
            for variable, value in zip(layer.states, states):
                variable.assign(value)
    elif first == 0 or test_starts == "every batch" or first in test_starts:
        for layer in recurrent_layers(stepper):
            layer.reset_state()
    real = min({b}, len(X_test) - first)
    for t in range(steps):
        hit = [i for i in range(real) if test_rows[first + i][t] == reset_at]
        if hit:
            zero_rows(stepper, hit)
        out = stepper.predict_on_batch(padded[first : first + {b}, t : t + 1])
        reset_probabilities[first : first + real, t] = np.asarray(out)[:real, 0]
for r, out in enumerate(test_trained):
    for t, q in enumerate(out):
        if q >= 0:
            x, y = test_pairs[q]
            best = vocabulary[int(np.argmax(reset_probabilities[r, t]))]
            print(f"after reset input={{x}} target={{y}} predicted={{best}}")

"""
    return code


def _generic_data(feed: Feed, dataset: Dataset) -> str:
    """X and Y from a list of rows: which position's input sits at each step, which is trained."""
    assert feed.layout is not None
    rows = [
        [-1] * feed.timesteps
        if sample is None
        else list(sample.positions) + [-1] * (feed.timesteps - len(sample.positions))
        for sample in arrange_samples(dataset, feed.layout)
    ]
    trained = feed.positions.tolist()
    y = (
        "Y"
        if feed.return_sequences
        else "Y = Y[:, -1]  # return_sequences=False: only the last step's output\n"
    )
    return f"""\
# X (samples, timesteps, features) = {tuple(feed.x_shape)}: row r of `rows` lists the position
# whose input sits at each step of sample r (-1: zero padding{", masked" if feed.masked else ""});
# `trained` lists the position whose target is trained at each step (-1: none).
# Batches of {feed.batch_size} rows, in order.
rows = {rows!r}
trained = {trained!r}
X = np.zeros((len(rows), {feed.timesteps}, len(vocabulary)), dtype="float32")
Y = np.zeros_like(X)
for r, (row, out) in enumerate(zip(rows, trained)):
    for t, (p, q) in enumerate(zip(row, out)):
        if p >= 0:
            X[r, t, stoi[inputs[p]]] = 1.0
        if q >= 0:
            Y[r, t, stoi[targets[q]]] = 1.0
{"" if feed.return_sequences else y}"""


_GENERIC_FOOTER = """
by_position = {}
for r, out in enumerate(trained):
    for t, q in enumerate(out):
        if q >= 0:
            by_position[q] = probabilities[r, t] if probabilities.ndim == 3 else probabilities[r]
for q, (x, y) in enumerate(pairs):
    print(f"input={x} target={y} predicted={vocabulary[int(np.argmax(by_position[q]))]}")
"""


def training_script(
    feed: Feed, dataset: Dataset, config: RunConfig, test: PredictionFeed | None = None
) -> str:
    """A standalone plain-Keras 3 script that trains ``feed``'s model with ``model.fit`` and
    prints ``input=… target=… predicted=…`` per position."""
    if dataset.numeric is not None:
        from seqviz.export_regression import regression_script

        return regression_script(feed, dataset, config, test)
    k, v = len(dataset.pairs), dataset.vocabulary.size
    layer = CELLS[config.cell].keras_layer
    what = f"an {layer}" if layer[0] in "AEIOUL" else f"a {layer}"
    if config.layers > 1:
        what = f"{config.layers} stacked {layer} layers"
    header = f'''\
"""Train {what} on {" ".join(dataset.tokens)!r} in seqviz's '{feed.mode}' mode, in plain Keras 3.

{feed.description}

Written by seqviz {__version__}. Run it with: python train.py
"""

import keras
import numpy as np

keras.utils.set_random_seed({config.seed})

vocabulary = {list(dataset.vocabulary.itos)!r}
pairs = {[tuple(p) for p in dataset.pairs]!r}  # (input, target), framing '{config.framing}'
stoi = {{token: k for k, token in enumerate(vocabulary)}}
inputs = [x for x, _ in pairs]
targets = [y for _, y in pairs]


def one_hot(tokens):
    return np.eye(len(vocabulary), dtype="float32")[[stoi[t] for t in tokens]]


'''
    template = MODES[feed.mode].export_data
    if template and dataset.sequence_count == 1:
        data = template.format(k=k, v=v, w=feed.timesteps)
        footer = """
for (x, y), p in zip(pairs, probabilities):
    print(f"input={x} target={y} predicted={vocabulary[int(np.argmax(p))]}")
"""
    else:
        data, footer = _generic_data(feed, dataset), _GENERIC_FOOTER
    predict_test = "" if test is None else _test_code(test, feed, config, v)
    return (
        header
        + data
        + "\n"
        + model_code(feed, config, v)
        + "\n"
        + train_code(feed, config, predict_test)
        + footer
    )


def export(result: RunResult, directory: str | Path) -> list[Path]:
    """Write ``run.json`` and, per mode, ``<mode>/train.py`` and ``<mode>/model.keras``.

    Returns:
        The paths written.
    """
    import keras

    root = Path(directory)
    root.mkdir(parents=True, exist_ok=True)
    config = result.run.config
    written = [root / "run.json"]
    written[0].write_text(dumps(result.run.to_json(), indent=1), encoding="utf-8")
    for mode, feed in result.feeds.items():
        folder = root / mode
        folder.mkdir(exist_ok=True)
        script = folder / "train.py"
        script.write_text(
            training_script(feed, result.dataset, config, result.tests.get(mode)), encoding="utf-8"
        )
        model = build_keras_model(feed, config.units, config.output, result.weights[mode])
        model.compile(
            loss=LOSSES[config.output], optimizer=keras.optimizers.Adam(learning_rate=config.learning_rate)
        )
        model.optimizer.build(model.trainable_variables)  # saved complete, so it loads without warnings
        model.save(folder / "model.keras")
        written += [script, folder / "model.keras"]
        if result.dataset.numeric is not None:
            written += _regression_files(result, folder)
    return written


def _regression_files(result: RunResult, folder: Path) -> list[Path]:
    """Beside a regression run's script: seqviz's initial weights (so the script starts where
    seqviz did) and, for a CSV run, the CSV it reads."""
    import numpy as np

    from seqviz.export_regression import DATA_FILE, WEIGHTS_FILE
    from seqviz.weights import initial_weights

    config, dataset = result.run.config, result.dataset
    start = initial_weights(
        dataset.input_dim, config.units, config.seed, config.cell, config.layers, dataset.output_dim
    )
    weights = folder / WEIGHTS_FILE
    np.savez(weights, *start.as_list())  # arr_0, arr_1, … in get_weights() order
    written = [weights]
    if config.uses_csv:
        from seqviz.csvdata import parse
        from seqviz.csvout import write_rows

        table = parse(config.csv)  # the numbers as read; a column name cannot plant a formula
        (folder / DATA_FILE).write_text(write_rows([table.columns, *table.values.tolist()]), encoding="utf-8")
        written.append(folder / DATA_FILE)
    return written


def states_csv(run: Run) -> str:
    """Every replayed state as CSV: one row per (mode, position, layer, unit), with the cell's
    entering states and internals as columns (an LSTM's h0 c0 i f g o c h). Text cells that a
    spreadsheet would run as formulas are neutralised (``seqviz.csvout``)."""
    from seqviz.csvout import write_rows

    columns = step_names(CELLS[run.config.cell])
    header = ("mode", "position", "input", "target", "sample", "step", "source", "layer", "unit", *columns)
    rows: list[tuple[object, ...]] = [header]
    for mode in run.runs:
        for state in mode.states:
            x, y = run.pairs[state.position]
            layers = state.layers if state.layers is not None else [state.values]
            for layer, values in enumerate(layers):
                for unit in range(len(values["h"])):
                    row = (mode.mode, state.position, x, y, state.sample, state.step, state.source.kind)
                    rows.append((*row, layer, unit, *(values[name][unit] for name in columns)))
    return write_rows(rows)


def predictions_csv(run: Run) -> str:
    """Every prediction as CSV: one row per (mode, part, position) with its input, target,
    prediction, whether it is right and whether it is a tie; the test part's rows too. Text
    cells are made safe to open in a spreadsheet (``seqviz.csvout``)."""
    from seqviz.csvout import write_rows

    rows: list[tuple[object, ...]] = [
        ("mode", "part", "position", "input", "target", "predicted", "output", "correct", "tie")
    ]
    for mode in run.runs:
        parts = [("train", mode.predictions)]
        if mode.test is not None:
            parts.append(("test", mode.test.predictions))
        for part, predictions in parts:
            for p in predictions:
                rows.append(
                    (
                        mode.mode,
                        part,
                        p.position,
                        p.input,
                        p.target,
                        p.predicted,
                        p.probability,
                        p.correct,
                        p.tie,
                    )
                )
    return write_rows(rows)
