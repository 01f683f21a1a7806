"""Exports: a standalone plain-Keras ``train.py`` per mode, the trained ``model.keras``, and
the run's JSON, so a user can take the lesson back to their own project."""

from __future__ import annotations

import json
from pathlib import Path

from seqviz import __version__
from seqviz.config import RunConfig
from seqviz.engine import RunResult
from seqviz.keras_model import LOSSES, build_keras_model
from seqviz.modes import Feed
from seqviz.sequence import Dataset

_DATA = {
    "stateless": """\
# {k} samples of 1 step each: X (samples, timesteps, features) = ({k}, 1, {v}), Y ({k}, {v}).
X = one_hot(inputs)[:, None, :]
Y = one_hot(targets)
""",
    "stateful": """\
# {k} samples of 1 step each: X ({k}, 1, {v}), Y ({k}, {v}). With stateful=True, sample i of
# batch b+1 starts from the final state of sample i of batch b.
X = one_hot(inputs)[:, None, :]
Y = one_hot(targets)
""",
    "sequence": """\
# One sample of {k} steps: X (1, {k}, {v}), Y (1, {k}, {v}); return_sequences=True trains
# the output of every step, and each step starts from the state the previous one left.
X = one_hot(inputs)[None, :, :]
Y = one_hot(targets)[None, :, :]
""",
    "window": """\
# {k} samples, each the last W inputs up to its position (zero-padded at the start):
# X ({k}, W, {v}), Y ({k}, {v}).
W = {w}
X = np.zeros((len(inputs), W, len(vocabulary)), dtype="float32")
for k in range(len(inputs)):
    for t in range(W):
        j = k - (W - 1) + t
        if j >= 0:
            X[k, t, stoi[inputs[j]]] = 1.0
Y = one_hot(targets)
""",
}


def _model_code(feed: Feed, config: RunConfig, vocab: int) -> str:
    shape = (
        f"batch_shape=({feed.batch_size}, {feed.timesteps}, {vocab})"
        if feed.stateful
        else (f"shape=({feed.timesteps}, {vocab})")
    )
    options = ""
    if feed.stateful:
        options += ", stateful=True"
    if feed.return_sequences:
        options += ", return_sequences=True"
    return f"""\
model = keras.Sequential(
    [
        keras.Input({shape}),
        keras.layers.LSTM({config.units}{options}, name="lstm"),
        keras.layers.Dense({vocab}, activation="{config.output}"),
    ]
)
model.compile(
    loss="{LOSSES[config.output]}",
    optimizer=keras.optimizers.Adam(learning_rate={config.learning_rate!r}),
)
"""


def _train_code(feed: Feed, config: RunConfig) -> str:
    if feed.stateful:
        return f"""\
# Keras keeps state across the batches of one fit call; reset it after every epoch.
for epoch in range({config.epochs}):
    model.fit(X, Y, epochs=1, batch_size={feed.batch_size}, shuffle=False, verbose=0)
    model.get_layer("lstm").reset_state()

model.get_layer("lstm").reset_state()
probabilities = model.predict(X, batch_size={feed.batch_size}, verbose=0)
"""
    fit = f"model.fit(X, Y, epochs={config.epochs}, batch_size={feed.batch_size}, shuffle=False, verbose=0)"
    if feed.return_sequences:
        return f"{fit}\n\nprobabilities = model.predict(X, verbose=0)[0]  # (steps, features)\n"
    return f"{fit}\n\nprobabilities = model.predict(X, batch_size={feed.batch_size}, verbose=0)\n"


def training_script(feed: Feed, dataset: Dataset, config: RunConfig) -> str:
    """A standalone plain-Keras 3 script that trains ``feed``'s model with ``model.fit`` and
    prints ``input=… target=… predicted=…`` per position."""
    k, v = len(dataset.pairs), dataset.vocabulary.size
    header = f'''\
"""Train an LSTM on {" ".join(dataset.tokens)!r} in seqviz's '{feed.mode}' mode, in plain Keras 3.

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
    footer = """
for (x, y), p in zip(pairs, probabilities):
    print(f"input={x} target={y} predicted={vocabulary[int(np.argmax(p))]}")
"""
    data = _DATA[feed.mode].format(k=k, v=v, w=feed.timesteps)
    return header + data + "\n" + _model_code(feed, config, v) + "\n" + _train_code(feed, config) + footer


def export(result: RunResult, directory: str | Path) -> list[Path]:
    """Write ``run.json`` and, per mode, ``<mode>/train.py`` and ``<mode>/model.keras``.

    Returns:
        The paths written.
    """
    import keras

    root = Path(directory)
    root.mkdir(parents=True, exist_ok=True)
    config = RunConfig(**result.data["config"])
    written = [root / "run.json"]
    written[0].write_text(json.dumps(result.data, indent=1, ensure_ascii=False), encoding="utf-8")
    for mode, feed in result.feeds.items():
        folder = root / mode
        folder.mkdir(exist_ok=True)
        script = folder / "train.py"
        script.write_text(training_script(feed, result.dataset, config), encoding="utf-8")
        model = build_keras_model(feed, config.units, config.output, result.weights[mode])
        model.compile(
            loss=LOSSES[config.output], optimizer=keras.optimizers.Adam(learning_rate=config.learning_rate)
        )
        model.optimizer.build(model.trainable_variables)  # saved complete, so it loads without warnings
        model.save(folder / "model.keras")
        written += [script, folder / "model.keras"]
    return written


def states_csv(data: dict) -> str:
    """Every replayed state as CSV: one row per (mode, position, unit), with the gates."""
    import csv
    import io

    columns = ("h0", "c0", "i", "f", "g", "o", "c", "h")
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(("mode", "position", "input", "target", "sample", "step", "source", "unit", *columns))
    pairs = data["pairs"]
    for run in data["runs"]:
        for state in run["states"]:
            p = state["position"]
            for unit in range(len(state["h"])):
                writer.writerow(
                    (
                        run["mode"],
                        p,
                        pairs[p]["input"],
                        pairs[p]["target"],
                        state["sample"],
                        state["step"],
                        state["source"]["kind"],
                        unit,
                        *(state[name][unit] for name in columns),
                    )
                )
    return out.getvalue()
