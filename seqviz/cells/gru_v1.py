"""The original GRU, as ``keras.layers.GRU(reset_after=False)`` computes it (gate order z, r,
h; one bias of shape (3u,), added to ``x @ kernel``)::

    x_z, x_r, x_h = split(x @ kernel + bias)
    z = sigmoid(x_z + h_tm1 @ U_z);  r = sigmoid(x_r + h_tm1 @ U_r)
    hh = tanh(x_h + (r * h_tm1) @ U_h)
    h = z * h_tm1 + (1 - z) * hh

The reset gate scales ``h_tm1`` *before* the candidate's recurrent product, so the step needs
the recurrent kernel's candidate slice ``U_h`` itself: the driver's ``inner`` covers z and r
only (its candidate slice is not read), and :meth:`GRUv1.recurrent_gradient` adds ``U_h``'s
share, ``(r * h_tm1).T @ d_hh``. Keras's default GRU (``reset_after=True``) is ``seqviz.cells.gru``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from seqviz.cells.base import Array, Cell, Internal, States, sigmoid


class GRUv1(Cell):
    name = "gru_v1"
    label = "GRU (reset_after=False)"
    keras_layer = "GRU"
    slices = 3
    state_names = ("h",)
    trace_names = ("z", "r", "hh", "h", "r_h_tm1")  # r_h_tm1: r * h_tm1, what U_h multiplies
    summary = "GRU with reset_after=False (the original GRU): r scales h_tm1 before U_h; one bias"
    internals = (
        Internal(
            "z",
            "z, the update gate",
            "How much of the entering h is kept (1: keep it, 0: take hh).",
            0.0,
            1.0,
            "z = sigmoid(x @ W_z + h_tm1 @ U_z + b_z)",
        ),
        Internal(
            "r",
            "r, the reset gate",
            "How much of the entering h reaches the candidate's recurrent product (0: none).",
            0.0,
            1.0,
            "r = sigmoid(x @ W_r + h_tm1 @ U_r + b_r)",
        ),
        Internal(
            "hh",
            "hh, the candidate",
            "The new value offered to h, from -1 to 1.",
            -1.0,
            1.0,
            "hh = tanh(x @ W_h + (r * h_tm1) @ U_h + b_h)",
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
    def step(
        cls, zx: Array, inner: Array, states: States, recurrent_kernel: Array
    ) -> tuple[States, tuple[Array, ...]]:
        (h_tm1,) = states
        u = zx.shape[-1] // 3
        zr = sigmoid(zx[:, : 2 * u] + inner[:, : 2 * u])
        z, r = zr[:, :u], zr[:, u:]
        r_h_tm1 = r * h_tm1
        hh = np.tanh(zx[:, 2 * u :] + r_h_tm1 @ recurrent_kernel[:, 2 * u :])
        h = z * h_tm1 + (1.0 - z) * hh
        return (h,), (z, r, hh, h, r_h_tm1)

    @classmethod
    def backward(
        cls, trace: tuple[Array, ...], states: States, d_states: States, recurrent_kernel: Array
    ) -> tuple[Array, Array, tuple[Array | None, ...]]:
        z, r, hh, _, _ = trace
        (h_tm1,) = states
        (d_h,) = d_states
        u = z.shape[-1]
        d_hh_pre = d_h * (1.0 - z) * (1.0 - hh * hh)
        d_z_pre = d_h * (h_tm1 - hh) * z * (1.0 - z)
        d_r_h_tm1 = d_hh_pre @ recurrent_kernel[:, 2 * u :].T
        d_r_pre = d_r_h_tm1 * h_tm1 * r * (1.0 - r)
        d_zx = np.concatenate([d_z_pre, d_r_pre, d_hh_pre], axis=-1)
        # inner's candidate slice is not read: its gradient is zero, U_h's comes from r * h_tm1.
        d_inner = np.concatenate([d_z_pre, d_r_pre, np.zeros_like(d_hh_pre)], axis=-1)
        return d_zx, d_inner, (d_h * z + d_r_h_tm1 * r,)

    @classmethod
    def recurrent_gradient(
        cls, h_tm1: Array, d_inner: Array, d_zx: Array, traces: list[tuple[Array, ...]]
    ) -> Array:
        u = h_tm1.shape[-1]
        grad: Array = h_tm1.T @ d_inner  # U_z and U_r; U_h's slice is zero here
        r_h_tm1 = np.stack([t[4] for t in traces], axis=1).reshape(-1, u)
        grad[:, 2 * u :] = r_h_tm1.T @ d_zx[:, 2 * u :]
        return grad

    @classmethod
    def tf_step(cls, zx: Any, inner: Any, states: tuple[Any, ...], recurrent_kernel: Any) -> tuple[Any, ...]:
        import tensorflow as tf

        x_z, x_r, x_h = tf.split(zx, 3, axis=-1)
        i_z, i_r, _ = tf.split(inner, 3, axis=-1)
        z, r = tf.sigmoid(x_z + i_z), tf.sigmoid(x_r + i_r)
        u_h = tf.split(recurrent_kernel, 3, axis=-1)[2]
        hh = tf.tanh(x_h + tf.matmul(r * states[0], u_h))
        return (z * states[0] + (1.0 - z) * hh,)

    @classmethod
    def keras_options(cls) -> dict[str, Any]:
        return {"reset_after": False}
