"""The Dense layer's output activations and their losses, each computed from the logits as
Keras computes them, written once for the NumPy trainer, the replay and the graph backend.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

import numpy as np

from seqviz.cells.base import Array, sigmoid


class Output:
    """An output activation and the loss Keras pairs it with."""

    name: ClassVar[str]  # registry key, CLI and URL value
    keras_loss: ClassVar[str]  # the loss's name in model.compile
    label: ClassVar[str]  # for the form

    @classmethod
    def probabilities(cls, logits: Array) -> Array:
        """The activation, applied to logits (..., V)."""
        raise NotImplementedError

    @classmethod
    def per_step(cls, logits: Array, y: Array) -> Array:
        """The loss of every (sample, step), (B, T), from logits and targets (B, T, V)."""
        raise NotImplementedError

    @classmethod
    def d_per_step(cls, logits: Array, y: Array) -> Array:
        """The gradient of ``per_step`` with respect to the logits, (B, T, V)."""
        raise NotImplementedError

    @classmethod
    def tf_per_step(cls, logits: Any, y: Any) -> Any:
        raise NotImplementedError

    @classmethod
    def loss_and_gradient(cls, logits: Array, y: Array, mask: Array) -> tuple[float, Array]:
        """Keras's batch loss (the mean over trained steps, ``mask`` (B, T)) and its gradient."""
        total = mask.sum()
        loss = float((cls.per_step(logits, y) * mask).sum() / total)
        d_logits = cls.d_per_step(logits, y) * (mask / total)[..., None]
        return loss, d_logits.astype(logits.dtype)


class SigmoidOutput(Output):
    name = "sigmoid"
    keras_loss = "binary_crossentropy"
    label = "sigmoid + binary cross-entropy"

    @classmethod
    def probabilities(cls, logits: Array) -> Array:
        return np.asarray(sigmoid(logits))

    @classmethod
    def per_step(cls, logits: Array, y: Array) -> Array:
        return np.asarray((np.maximum(logits, 0) - logits * y + np.log1p(np.exp(-np.abs(logits)))).mean(-1))

    @classmethod
    def d_per_step(cls, logits: Array, y: Array) -> Array:
        return np.asarray((sigmoid(logits) - y) / logits.shape[-1])

    @classmethod
    def tf_per_step(cls, logits: Any, y: Any) -> Any:
        import tensorflow as tf

        return tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=y, logits=logits), -1)


class SoftmaxOutput(Output):
    name = "softmax"
    keras_loss = "categorical_crossentropy"
    label = "softmax + categorical cross-entropy"

    @classmethod
    def _log_sum(cls, logits: Array) -> Array:
        top = logits.max(-1, keepdims=True)
        return np.asarray(top + np.log(np.exp(logits - top).sum(-1, keepdims=True)))

    @classmethod
    def probabilities(cls, logits: Array) -> Array:
        return np.asarray(np.exp(logits - cls._log_sum(logits)))

    @classmethod
    def per_step(cls, logits: Array, y: Array) -> Array:
        return np.asarray((y * (cls._log_sum(logits) - logits)).sum(-1))

    @classmethod
    def d_per_step(cls, logits: Array, y: Array) -> Array:
        return np.asarray(cls.probabilities(logits) * y.sum(-1, keepdims=True) - y)

    @classmethod
    def tf_per_step(cls, logits: Any, y: Any) -> Any:
        import tensorflow as tf

        return tf.nn.softmax_cross_entropy_with_logits(labels=y, logits=logits)


class LinearOutput(Output):
    """Regression: the Dense layer's output is the prediction, and the loss is Keras's ``mse``
    (the mean over the V outputs of the squared error)."""

    name = "linear"
    keras_loss = "mse"
    label = "linear + mean squared error (numbers)"

    @classmethod
    def probabilities(cls, logits: Array) -> Array:
        return logits

    @classmethod
    def per_step(cls, logits: Array, y: Array) -> Array:
        return np.asarray(((logits - y) ** 2).mean(-1))

    @classmethod
    def d_per_step(cls, logits: Array, y: Array) -> Array:
        return np.asarray(2.0 * (logits - y) / logits.shape[-1])

    @classmethod
    def tf_per_step(cls, logits: Any, y: Any) -> Any:
        import tensorflow as tf

        return tf.reduce_mean(tf.square(logits - y), -1)


OutputName = Literal["sigmoid", "softmax", "linear"]  # the keys of OUTPUTS (a test holds them equal)
OUTPUTS: dict[str, type[Output]] = {o.name: o for o in (SigmoidOutput, SoftmaxOutput, LinearOutput)}
REGRESSION = LinearOutput.name  # the output that reads tokens (or a CSV) as numbers
