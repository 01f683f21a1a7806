"""The SimpleRNN cell, as ``keras.layers.SimpleRNN`` computes it::

    h = tanh(x @ kernel + h_tm1 @ recurrent_kernel + bias)

No gates: the whole state is rewritten at every step.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from seqviz.cells.base import Array, Cell, Internal, States


class SimpleRNN(Cell):
    name = "simple_rnn"
    label = "SimpleRNN"
    keras_layer = "SimpleRNN"
    slices = 1
    state_names = ("h",)
    trace_names = ("h",)
    summary = "SimpleRNN: one state h, rewritten at every step, no gates"
    internals = (
        Internal(
            "h",
            "h, the hidden state (output and memory)",
            "What the next layer and step see.",
            -1.0,
            1.0,
            "h = tanh(x @ W + h_tm1 @ U + b)",
        ),
    )

    @classmethod
    def step(
        cls, zx: Array, inner: Array, states: States, recurrent_kernel: Array
    ) -> tuple[States, tuple[Array, ...]]:
        h = np.tanh(zx + inner)
        return (h,), (h,)

    @classmethod
    def backward(
        cls, trace: tuple[Array, ...], states: States, d_states: States, recurrent_kernel: Array
    ) -> tuple[Array, Array, tuple[Array | None, ...]]:
        (h,) = trace
        d_pre = d_states[0] * (1.0 - h * h)
        return d_pre, d_pre, (None,)

    @classmethod
    def tf_step(cls, zx: Any, inner: Any, states: tuple[Any, ...], recurrent_kernel: Any) -> tuple[Any, ...]:
        import tensorflow as tf

        return (tf.tanh(zx + inner),)
