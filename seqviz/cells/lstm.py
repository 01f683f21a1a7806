"""The LSTM cell, as ``keras.layers.LSTM`` computes it (gate order i, f, c, o)::

    z = x @ kernel + h_tm1 @ recurrent_kernel + bias      # slices i, f, c, o
    i, f, o = sigmoid(z_i), sigmoid(z_f), sigmoid(z_o);  g = tanh(z_c)
    c = f * c_tm1 + i * g;  h = o * tanh(c)

``g`` is the candidate (Keras's "c" slice). The forget gate's bias starts at 1
(Keras's ``unit_forget_bias=True``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from seqviz.cells.base import Array, Cell, Internal, States, sigmoid


class LSTM(Cell):
    name = "lstm"
    label = "LSTM"
    keras_layer = "LSTM"
    slices = 4
    state_names = ("h", "c")
    trace_names = ("i", "f", "g", "o", "c", "h")
    summary = "LSTM: a cell state c, written through input, forget and output gates"
    internals = (
        Internal(
            "i",
            "i, the input gate",
            "How much of the candidate g is written into c (0: none, 1: all).",
            0.0,
            1.0,
            "i = sigmoid(x @ W_i + h_tm1 @ U_i + b_i)",
        ),
        Internal(
            "f",
            "f, the forget gate",
            "How much of the entering c is kept (0: forget it, 1: keep it).",
            0.0,
            1.0,
            "f = sigmoid(x @ W_f + h_tm1 @ U_f + b_f)",
        ),
        Internal(
            "g",
            "g, the candidate (Keras's c slice)",
            "The new value offered to c, from -1 to 1.",
            -1.0,
            1.0,
            "g = tanh(x @ W_c + h_tm1 @ U_c + b_c)",
        ),
        Internal(
            "o",
            "o, the output gate",
            "How much of tanh(c) shows in h (0: hidden, 1: shown).",
            0.0,
            1.0,
            "o = sigmoid(x @ W_o + h_tm1 @ U_o + b_o)",
        ),
        Internal(
            "c",
            "c, the cell state",
            "The memory carried to the next step; unbounded.",
            None,
            None,
            "c = f * c_tm1 + i * g",
        ),
        Internal(
            "h",
            "h, the hidden state (output)",
            "What the next layer and the next step see.",
            -1.0,
            1.0,
            "h = o * tanh(c)",
        ),
    )

    @classmethod
    def bias(cls, units: int) -> Array:
        bias = np.zeros(4 * units, np.float32)
        bias[units : 2 * units] = 1.0
        return bias

    @classmethod
    def step(
        cls, zx: Array, inner: Array, states: States, recurrent_kernel: Array
    ) -> tuple[States, tuple[Array, ...]]:
        _, c_tm1 = states
        z = zx + inner
        u = z.shape[-1] // 4
        gates = sigmoid(z)  # i, f and o; the c slice is replaced by its tanh below
        i, f, o = gates[:, :u], gates[:, u : 2 * u], gates[:, 3 * u :]
        g = np.tanh(z[:, 2 * u : 3 * u])
        c = f * c_tm1 + i * g
        h = o * np.tanh(c)
        return (h, c), (i, f, g, o, c, h)

    @classmethod
    def backward(
        cls, trace: tuple[Array, ...], states: States, d_states: States, recurrent_kernel: Array
    ) -> tuple[Array, Array, tuple[Array | None, ...]]:
        i, f, g, o, c, _ = trace
        c_tm1 = states[1]
        d_h, d_c_next = d_states
        tanh_c = np.tanh(c)
        d_c = d_c_next + d_h * o * (1.0 - tanh_c * tanh_c)
        dz = np.concatenate(
            [
                d_c * g * i * (1 - i),
                d_c * c_tm1 * f * (1 - f),
                d_c * i * (1 - g * g),
                d_h * tanh_c * o * (1 - o),
            ],
            axis=-1,
        )
        return dz, dz, (None, d_c * f)

    @classmethod
    def tf_step(cls, zx: Any, inner: Any, states: tuple[Any, ...], recurrent_kernel: Any) -> tuple[Any, ...]:
        import tensorflow as tf

        z_i, z_f, z_c, z_o = tf.split(zx + inner, 4, axis=-1)
        c = tf.sigmoid(z_f) * states[1] + tf.sigmoid(z_i) * tf.tanh(z_c)
        return tf.sigmoid(z_o) * tf.tanh(c), c
