"""The GRU cell, as ``keras.layers.GRU`` builds it by default (``reset_after=True``, gate
order z, r, h; bias of shape (2, 3u): the input bias, then the recurrent bias)::

    x_z, x_r, x_h = split(x @ kernel + bias[0])
    i_z, i_r, i_h = split(h_tm1 @ recurrent_kernel + bias[1])
    z = sigmoid(x_z + i_z);  r = sigmoid(x_r + i_r)
    hh = tanh(x_h + r * i_h)
    h = z * h_tm1 + (1 - z) * hh

``hh`` is the candidate. ``z`` is the update gate: 1 keeps the old state, 0 takes ``hh``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from seqviz.cells.base import Array, Cell, Internal, States, sigmoid


class GRU(Cell):
    name = "gru"
    label = "GRU"
    keras_layer = "GRU"
    slices = 3
    state_names = ("h",)
    trace_names = ("z", "r", "hh", "h", "i_h")
    summary = "GRU: one state h, mixed with a candidate through update and reset gates"
    internals = (
        Internal(
            "z",
            "z, the update gate",
            "How much of the entering h is kept (1: keep it, 0: take hh).",
            0.0,
            1.0,
            "z = sigmoid(x @ W_z + b_z + h_tm1 @ U_z + rb_z)",
        ),
        Internal(
            "r",
            "r, the reset gate",
            "How much of the entering h shapes the candidate (0: none).",
            0.0,
            1.0,
            "r = sigmoid(x @ W_r + b_r + h_tm1 @ U_r + rb_r)",
        ),
        Internal(
            "hh",
            "hh, the candidate",
            "The new value offered to h, from -1 to 1.",
            -1.0,
            1.0,
            "hh = tanh(x @ W_h + b_h + r * (h_tm1 @ U_h + rb_h))",
        ),
        Internal(
            "h",
            "h, the hidden state (output and memory)",
            "What the next layer and step see.",
            -1.0,
            1.0,
            "h = z * h_tm1 + (1 - z) * hh",
        ),
    )

    @classmethod
    def bias(cls, units: int) -> Array:
        return np.zeros((2, 3 * units), np.float32)

    @classmethod
    def split_bias(cls, bias: Array) -> tuple[Array, Array | None]:
        return bias[0], bias[1]

    @classmethod
    def bias_gradient(cls, d_input: Array, d_recurrent: Array) -> Array:
        return np.stack([d_input, d_recurrent])

    @classmethod
    def step(
        cls, zx: Array, inner: Array, states: States, recurrent_kernel: Array
    ) -> tuple[States, tuple[Array, ...]]:
        (h_tm1,) = states
        u = zx.shape[-1] // 3
        zr = sigmoid(zx[:, : 2 * u] + inner[:, : 2 * u])
        z, r = zr[:, :u], zr[:, u:]
        i_h = inner[:, 2 * u :]
        hh = np.tanh(zx[:, 2 * u :] + r * i_h)
        h = z * h_tm1 + (1.0 - z) * hh
        return (h,), (z, r, hh, h, i_h)

    @classmethod
    def backward(
        cls, trace: tuple[Array, ...], states: States, d_states: States, recurrent_kernel: Array
    ) -> tuple[Array, Array, tuple[Array | None, ...]]:
        z, r, hh, _, i_h = trace
        (h_tm1,) = states
        (d_h,) = d_states
        d_hh_pre = d_h * (1.0 - z) * (1.0 - hh * hh)
        d_z_pre = d_h * (h_tm1 - hh) * z * (1.0 - z)
        d_r_pre = d_hh_pre * i_h * r * (1.0 - r)
        d_zx = np.concatenate([d_z_pre, d_r_pre, d_hh_pre], axis=-1)
        d_inner = np.concatenate([d_z_pre, d_r_pre, d_hh_pre * r], axis=-1)
        return d_zx, d_inner, (d_h * z,)

    @classmethod
    def tf_step(cls, zx: Any, inner: Any, states: tuple[Any, ...], recurrent_kernel: Any) -> tuple[Any, ...]:
        import tensorflow as tf

        x_z, x_r, x_h = tf.split(zx, 3, axis=-1)
        i_z, i_r, i_h = tf.split(inner, 3, axis=-1)
        z, r = tf.sigmoid(x_z + i_z), tf.sigmoid(x_r + i_r)
        hh = tf.tanh(x_h + r * i_h)
        return (z * states[0] + (1.0 - z) * hh,)
