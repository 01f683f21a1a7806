"""Exports: a standalone plain-Keras ``train.py`` per mode, the trained ``model.keras``, and
the run's JSON, so a user can take the lesson back to their own project."""

from __future__ import annotations

import json
from pathlib import Path

from seqviz import __version__
from seqviz.cells import CELLS
from seqviz.config import RunConfig
from seqviz.engine import RunResult
from seqviz.keras_model import LOSSES, build_keras_model, layer_names
from seqviz.modes import MODES, Feed
from seqviz.replay import step_names
from seqviz.results import Run
from seqviz.sequence import Dataset


def _model_code(feed: Feed, config: RunConfig, vocab: int) -> str:
    shape = (
        f"batch_shape=({feed.batch_size}, {feed.timesteps}, {vocab})"
        if feed.stateful
        else (f"shape=({feed.timesteps}, {vocab})")
    )
    names = layer_names(config.cell, config.layers)
    lines = []
    for k, name in enumerate(names):
        options = ", stateful=True" if feed.stateful else ""
        if feed.return_sequences or k < len(names) - 1:
            options += ", return_sequences=True"
        layer = CELLS[config.cell].keras_layer
        lines.append(f'        keras.layers.{layer}({config.units}{options}, name="{name}"),\n')
    stack = "".join(lines)
    return f"""\
model = keras.Sequential(
    [
        keras.Input({shape}),
{stack}        keras.layers.Dense({vocab}, activation="{config.output}"),
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


def reset_states(model):
    for layer in model.layers:
        if getattr(layer, "stateful", False):
            layer.reset_state()


# Keras keeps state across the batches of one fit call, and across calls: this loop resets
# it after every epoch.
for epoch in range({config.epochs}):
    model.fit(X, Y, epochs=1, batch_size={feed.batch_size}, shuffle=False, verbose=0)
    reset_states(model)

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
    footer = """
for (x, y), p in zip(pairs, probabilities):
    print(f"input={x} target={y} predicted={vocabulary[int(np.argmax(p))]}")
"""
    data = MODES[feed.mode].export_data.format(k=k, v=v, w=feed.timesteps)
    return header + data + "\n" + _model_code(feed, config, v) + "\n" + _train_code(feed, config) + footer


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
    written[0].write_text(json.dumps(result.run.to_json(), indent=1, ensure_ascii=False), encoding="utf-8")
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


def states_csv(run: Run) -> str:
    """Every replayed state as CSV: one row per (mode, position, layer, unit), with the cell's
    entering states and internals as columns (an LSTM's h0 c0 i f g o c h)."""
    import csv
    import io

    columns = step_names(CELLS[run.config.cell])
    out = io.StringIO()
    writer = csv.writer(out)
    header = ("mode", "position", "input", "target", "sample", "step", "source", "layer", "unit", *columns)
    writer.writerow(header)
    for mode in run.runs:
        for state in mode.states:
            x, y = run.pairs[state.position]
            layers = state.layers if state.layers is not None else [state.values]
            for layer, values in enumerate(layers):
                for unit in range(len(values["h"])):
                    row = (mode.mode, state.position, x, y, state.sample, state.step, state.source.kind)
                    writer.writerow((*row, layer, unit, *(values[name][unit] for name in columns)))
    return out.getvalue()
