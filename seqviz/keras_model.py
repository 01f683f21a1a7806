"""The plain Keras model a feed describes: a stack of the cell's Keras layer → Dense, built
only when needed (export, tests)."""

from __future__ import annotations

from typing import Any

from seqviz.cells import CELLS
from seqviz.losses import OUTPUTS
from seqviz.modes import Feed
from seqviz.weights import Weights

LOSSES = {name: o.keras_loss for name, o in OUTPUTS.items()}
LSTM_NAME = "lstm"


def layer_names(cell: str, layers: int) -> list[str]:
    """The recurrent layers' names: ``lstm`` alone, or ``lstm_1``, ``lstm_2``, … when stacked."""
    return [cell] if layers == 1 else [f"{cell}_{k + 1}" for k in range(layers)]


def build_keras_model(
    feed: Feed, units: int, output: str, weights: Weights | None = None, cell: str = "lstm", layers: int = 1
) -> Any:
    """A ``keras.Sequential`` shaped like ``feed`` (stateful feeds get a fixed batch shape).

    Args:
        weights: if given, loaded into the model (Keras's ``get_weights`` order); its cell
            and depth win over ``cell`` and ``layers``.
    Returns:
        An uncompiled model; its recurrent layers are named by :func:`layer_names`.
    """
    import keras

    if weights is not None:
        cell, layers = weights.cell, len(weights.layers)
    _, timesteps, features = feed.x.shape
    if feed.stateful:
        model_input = keras.Input(batch_shape=(feed.batch_size, timesteps, features))
    else:
        model_input = keras.Input(shape=(timesteps, features))
    layer_class = getattr(keras.layers, CELLS[cell].keras_layer)
    stack = [
        layer_class(
            units,
            stateful=feed.stateful,
            return_sequences=feed.return_sequences or k < layers - 1,
            name=name,
            **CELLS[cell].keras_options(),
        )
        for k, name in enumerate(layer_names(cell, layers))
    ]
    out_size = feed.y.shape[-1]
    # Padding (all-zero steps) is masked: the layers carry their states through it, the loss skips it.
    masking = [keras.layers.Masking(mask_value=0.0, name="masking")] if feed.masked else []
    dense = keras.layers.Dense(out_size, activation=output, name="dense")
    model = keras.Sequential([model_input, *masking, *stack, dense])
    if weights is not None:
        model.set_weights(weights.as_list())
    return model


def reset_states(model: Any) -> None:
    """``reset_state()`` on every stateful recurrent layer, as a training loop does."""
    for layer in model.layers:
        if getattr(layer, "stateful", False):
            layer.reset_state()
