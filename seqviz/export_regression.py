"""The plain-Keras ``train.py`` of a regression run (``output=linear``): it reads the same
numbers (the CSV file, with the ``csv`` module, or the typed numbers), scales them as seqviz
did (the scaling is stated in the script), lays them out as the mode does, starts from the
same initial weights when ``initial_weights.npz`` sits beside it, trains with ``model.fit``
on ``mse`` and prints ``input=… target=… predicted=…`` per position, in the target's units.
"""

from __future__ import annotations

from seqviz import __version__
from seqviz.cells import CELLS
from seqviz.config import RunConfig
from seqviz.export_code import model_code, train_code
from seqviz.layout import arrange_samples
from seqviz.modes import Feed
from seqviz.predict import PredictionFeed
from seqviz.sequence import Dataset

WEIGHTS_FILE = "initial_weights.npz"  # seqviz's initial weights, Keras's get_weights() order
DATA_FILE = "data.csv"


def _rows(feed: Feed, dataset: Dataset) -> list[list[int]]:
    """Per row of X, the position whose input sits at each step (-1: zero padding)."""
    assert feed.layout is not None
    return [
        [-1] * feed.timesteps
        if sample is None
        else list(sample.positions) + [-1] * (feed.timesteps - len(sample.positions))
        for sample in arrange_samples(dataset, feed.layout)
    ]


def _data_code(dataset: Dataset, config: RunConfig) -> str:
    """The numbers: read from the CSV and framed, or the typed pairs; then scaled."""
    numeric = dataset.numeric
    assert numeric is not None
    scaling = numeric.scaling
    if config.uses_csv:
        shift = 1 if config.target_row == "next" else 0
        read = f'''\
# The CSV: a header row, then one row of numbers per timestep. Pass another path as an argument.
HERE = os.path.dirname(os.path.abspath(__file__))
CSV_PATH = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "{DATA_FILE}")
with open(CSV_PATH, newline="", encoding="utf-8-sig") as fh:
    table = [row for row in csv.reader(fh) if any(cell.strip() for cell in row)]


def column_name(cell):
    """A header cell as named: seqviz's data.csv puts ' before a name a spreadsheet would run."""
    name = cell.strip()
    return name[1:] if name[:1] == "'" and name[1:2] in ("=", "+", "-", "@", "\\t", "\\r") else name


header = [column_name(cell) for cell in table[0]]
values = np.array([[float(cell) for cell in row] for row in table[1:]])
FEATURES = {list(numeric.columns)!r}
TARGET = {numeric.target!r}
TEST_ROWS = {config.test_rows}  # the last rows, kept apart as the test part
SHIFT = {shift}  # 1: predict the target's value in the next row; 0: in the same row


def frame(part):
    """Per position (features, target): row r's features predict row r + SHIFT's target."""
    x = part[: len(part) - SHIFT][:, [header.index(f) for f in FEATURES]]
    y = part[SHIFT:, header.index(TARGET)]
    return x, y


train_rows = values[: len(values) - TEST_ROWS]
raw_x, raw_y = frame(train_rows)
'''
    else:
        pairs = [(float(x[0]), float(y)) for x, y in zip(numeric.raw_inputs, numeric.raw_targets)]
        read = f"""\
pairs = {pairs!r}  # (input, target), framing '{config.framing}'
raw_x = np.array([[x] for x, _ in pairs])
raw_y = np.array([y for _, y in pairs])
FEATURES = ["value"]
"""
    described = {
        "none": "none: the numbers as they are",
        "standardise": "standardise: each feature and the target minus its training mean, over its "
        "training standard deviation (a constant column keeps a scale of 1)",
    }[scaling.kind]
    return (
        read
        + f"""
# Scaling, {described}.
x_mean = np.array({list(scaling.input_mean)!r})
x_scale = np.array({list(scaling.input_scale)!r})
y_mean, y_scale = {scaling.target_mean!r}, {scaling.target_scale!r}
features = ((raw_x - x_mean) / x_scale).astype("float32")
values_y = ((raw_y - y_mean) / y_scale).astype("float32")
"""
    )


def _layout_code(name: str, feed: Feed, dataset: Dataset, source: str) -> str:
    trained = feed.positions.tolist()
    y_last = "" if feed.return_sequences else f"Y{name} = Y{name}[:, -1]  # only the last step's output\n"
    return f"""\
# X{name} (samples, timesteps, features) = {tuple(feed.x_shape)}: row r of rows{name} lists the
# position whose input sits at each step (-1: zero padding{", masked" if feed.masked else ""});
# trained{name} the position whose target is trained at each step (-1: none).
rows{name} = {_rows(feed, dataset)!r}
trained{name} = {trained!r}
X{name} = np.zeros((len(rows{name}), {feed.timesteps}, len(FEATURES)), dtype="float32")
Y{name} = np.zeros((len(rows{name}), {feed.timesteps}, 1), dtype="float32")
for r, (row, out) in enumerate(zip(rows{name}, trained{name})):
    for t, (p, q) in enumerate(zip(row, out)):
        if p >= 0:
            X{name}[r, t] = {source}features[p]
        if q >= 0:
            Y{name}[r, t, 0] = {source}values_y[q]
{y_last}"""


_REPORT = """
def report(prefix, trained, outputs, raw_x, raw_y):
    by_position = {}
    for r, out in enumerate(trained):
        for t, q in enumerate(out):
            if q >= 0:
                by_position[q] = outputs[r, t, 0] if outputs.ndim == 3 else outputs[r, 0]
    for q in range(len(raw_y)):
        x = ", ".join(f"{v:.6g}" for v in raw_x[q])
        predicted = by_position[q] * y_scale + y_mean
        print(f"{prefix}input={x} target={raw_y[q]:.6g} predicted={predicted:.6f}")

"""


def _test_code(test: PredictionFeed, train_feed: Feed, config: RunConfig, model_code: str) -> str:
    feed = test.feed
    if config.uses_csv:
        data = "test_x, test_y = frame(values[len(values) - TEST_ROWS :])\n"
    else:
        numeric = test.dataset.numeric
        assert numeric is not None
        pairs = [(float(x[0]), float(y)) for x, y in zip(numeric.raw_inputs, numeric.raw_targets)]
        data = f"test_pairs = {pairs!r}\ntest_x = np.array([[x] for x, _ in test_pairs])\n"
        data += "test_y = np.array([y for _, y in test_pairs])\n"
    code = "# --- The test part, predicted after training as seqviz did ---------------------------\n"
    code += data
    code += 'test_features = ((test_x - x_mean) / x_scale).astype("float32")\n'
    code += 'test_values_y = ((test_y - y_mean) / y_scale).astype("float32")\n'
    code += _layout_code("_test", feed, test.dataset, "test_")
    b = feed.batch_size
    if train_feed.stateful and b != train_feed.batch_size:
        code += model_code + "predictor.set_weights(model.get_weights())\n"
    else:
        code += "predictor = model\n"
    if train_feed.stateful:
        code += (
            "# Carry on from the state training ended in.\n" if test.carried else "reset_states(predictor)\n"
        )
    code += f"test_outputs = predictor.predict(X_test, batch_size={b}, verbose=0)\n"
    code += 'report("test ", trained_test, test_outputs, test_x, test_y)\n\n'
    return code


def regression_script(
    feed: Feed, dataset: Dataset, config: RunConfig, test: PredictionFeed | None = None
) -> str:
    """A standalone plain-Keras 3 script that reproduces a regression run's training."""

    layer = CELLS[config.cell].keras_layer
    what = f"{config.layers} stacked {layer} layers" if config.layers > 1 else f"a {layer} layer"
    source = "the CSV's rows" if config.uses_csv else "the typed numbers"
    usage = " [path/to/data.csv]" if config.uses_csv else ""
    header = f'''\
"""Train {what} on {source} in seqviz's '{feed.mode}' mode, in plain Keras 3, with a
linear output and mean squared error.

{feed.description}

Written by seqviz {__version__}. Run it with: python train.py{usage}
With {WEIGHTS_FILE} beside it (seqviz's export writes it) training starts from seqviz's own
initial weights and reproduces its numbers; without it Keras draws its own from the seed.
"""

import csv
import os
import sys

import keras
import numpy as np

keras.utils.set_random_seed({config.seed})

'''
    v = dataset.input_dim
    model = model_code(feed, config, v).replace(f"keras.layers.Dense({v},", "keras.layers.Dense(1,")
    weights = f"""\
WEIGHTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "{WEIGHTS_FILE}")
if os.path.exists(WEIGHTS):
    with np.load(WEIGHTS) as saved:
        model.set_weights([saved[f"arr_{{k}}"] for k in range(len(saved.files))])
"""
    predictor = ""
    if test is not None:
        b = test.feed.batch_size
        predictor = model_code(test.feed, config, v, name="predictor", batch_size=b).replace(
            f"keras.layers.Dense({v},", "keras.layers.Dense(1,"
        )
    test_code = "" if test is None else _test_code(test, feed, config, predictor)
    return (
        header
        + _data_code(dataset, config)
        + "\n"
        + _layout_code("", feed, dataset, "")
        + "\n"
        + model
        + weights
        + _REPORT
        + train_code(feed, config, test_code).replace("probabilities = ", "outputs = ")
        + 'report("", trained, outputs, raw_x, raw_y)\n'
    )
