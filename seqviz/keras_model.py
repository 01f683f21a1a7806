"""The plain Keras model a feed describes: LSTM → Dense, built only when needed (export, tests)."""

from __future__ import annotations

from typing import Any

from seqviz.modes import Feed
from seqviz.weights import Weights

LSTM_NAME = "lstm"
LOSSES = {"sigmoid": "binary_crossentropy", "softmax": "categorical_crossentropy"}


def build_keras_model(feed: Feed, units: int, output: str, weights: Weights | None = None) -> Any:
    """A ``keras.Sequential`` shaped like ``feed`` (stateful feeds get a fixed batch shape).

    Args:
        weights: if given, loaded into the model (Keras's ``get_weights`` order).
    Returns:
        An uncompiled model; Keras's own layer named ``"lstm"``.
    """
    import keras

    _, timesteps, vocab = feed.x.shape
    if feed.stateful:
        model_input = keras.Input(batch_shape=(feed.batch_size, timesteps, vocab))
    else:
        model_input = keras.Input(shape=(timesteps, vocab))
    model = keras.Sequential(
        [
            model_input,
            keras.layers.LSTM(
                units, stateful=feed.stateful, return_sequences=feed.return_sequences, name=LSTM_NAME
            ),
            keras.layers.Dense(vocab, activation=output, name="dense"),
        ]
    )
    if weights is not None:
        model.set_weights(weights.as_list())
    return model
