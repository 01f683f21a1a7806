"""One training step of LSTM → Dense in NumPy: forward pass, loss from logits, hand-written
backpropagation through time, and Keras's Adam update, all in float32.

For the tiny models seqviz is about, this beats any TensorFlow graph: there is nothing to
trace, and 300 epochs take tens of milliseconds. ``seqviz.trainer`` picks it for small
models; tests hold it to ``model.fit`` exactly as they hold the TensorFlow path.
"""

from __future__ import annotations

import numpy as np

ADAM_BETA_1, ADAM_BETA_2, ADAM_EPSILON = 0.9, 0.999, 1e-7  # Keras's defaults

Params = list[np.ndarray]  # kernel, recurrent_kernel, bias, dense_kernel, dense_bias


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (np.tanh(0.5 * z) + 1.0)  # overflow-free 1 / (1 + e^-z)


def batch_gradients(
    params: Params,
    x: np.ndarray,
    y: np.ndarray,
    mask: np.ndarray,
    h0: np.ndarray,
    c0: np.ndarray,
    softmax: bool,
) -> tuple[float, Params, np.ndarray, np.ndarray]:
    """Loss and gradients of one batch.

    Args:
        x, y: (B, T, V) inputs and one-hot targets; ``mask`` (B, T) marks trained timesteps.
        h0, c0: (B, units) the state the batch starts from.
    Returns:
        The batch loss (Keras's mean over trained outputs), the gradients in ``params``
        order, and the final h and c.
    """
    kernel, recurrent_kernel, bias, dense_kernel, dense_bias = params
    batch, steps, vocab = x.shape
    u = recurrent_kernel.shape[0]
    z_x = x @ kernel + bias  # (B, T, 4u), gate order i, f, c, o
    hs = np.empty((steps, batch, u), np.float32)
    cs = np.empty((steps, batch, u), np.float32)
    acts = np.empty((steps, batch, 4 * u), np.float32)
    h, c = h0, c0
    for t in range(steps):
        z = z_x[:, t] + h @ recurrent_kernel
        a = acts[t]
        a[:, : 2 * u] = _sigmoid(z[:, : 2 * u])
        a[:, 2 * u : 3 * u] = np.tanh(z[:, 2 * u : 3 * u])
        a[:, 3 * u :] = _sigmoid(z[:, 3 * u :])
        i, f, g, o = a[:, :u], a[:, u : 2 * u], a[:, 2 * u : 3 * u], a[:, 3 * u :]
        c = f * c + i * g
        h = o * np.tanh(c)
        hs[t], cs[t] = h, c

    h_bt = hs.transpose(1, 0, 2)  # (B, T, u)
    logits = h_bt @ dense_kernel + dense_bias
    total = mask.sum()
    if softmax:
        top = logits.max(-1, keepdims=True)
        log_sum = top[..., 0] + np.log(np.exp(logits - top).sum(-1))
        per_step = (y * (log_sum[..., None] - logits)).sum(-1)
        d_logits = np.exp(logits - log_sum[..., None]) * y.sum(-1, keepdims=True) - y
    else:
        per_step = (np.maximum(logits, 0) - logits * y + np.log1p(np.exp(-np.abs(logits)))).mean(-1)
        d_logits = (_sigmoid(logits) - y) / vocab
    loss = float((per_step * mask).sum() / total)
    d_logits = (d_logits * (mask / total)[..., None]).astype(np.float32)

    d_dense_kernel = np.einsum("btu,btv->uv", h_bt, d_logits)
    d_dense_bias = d_logits.sum((0, 1))
    d_h_out = d_logits @ dense_kernel.T  # (B, T, u)
    d_z = np.empty((steps, batch, 4 * u), np.float32)
    d_h_next = np.zeros((batch, u), np.float32)
    d_c_next = np.zeros((batch, u), np.float32)
    for t in range(steps - 1, -1, -1):
        a = acts[t]
        i, f, g, o = a[:, :u], a[:, u : 2 * u], a[:, 2 * u : 3 * u], a[:, 3 * u :]
        c_tm1 = cs[t - 1] if t > 0 else c0
        d_h = d_h_out[:, t] + d_h_next
        tanh_c = np.tanh(cs[t])
        d_c = d_c_next + d_h * o * (1.0 - tanh_c * tanh_c)
        dz = d_z[t]
        dz[:, :u] = d_c * g * i * (1 - i)
        dz[:, u : 2 * u] = d_c * c_tm1 * f * (1 - f)
        dz[:, 2 * u : 3 * u] = d_c * i * (1 - g * g)
        dz[:, 3 * u :] = d_h * tanh_c * o * (1 - o)
        d_h_next = dz @ recurrent_kernel.T
        d_c_next = d_c * f
    h_tm1 = np.concatenate([h0[None], hs[:-1]], 0).reshape(steps * batch, u)
    d_z_flat = d_z.reshape(steps * batch, 4 * u)
    d_kernel = x.transpose(1, 0, 2).reshape(steps * batch, vocab).T @ d_z_flat
    d_recurrent = h_tm1.T @ d_z_flat
    d_bias = d_z_flat.sum(0)
    return loss, [d_kernel, d_recurrent, d_bias, d_dense_kernel, d_dense_bias], h, c


def adam_update(params: Params, grads: Params, m: Params, v: Params, step: int, learning_rate: float) -> None:
    """Keras 3's Adam, in place; ``step`` counts from 1."""
    alpha = np.float32(learning_rate * np.sqrt(1 - ADAM_BETA_2**step) / (1 - ADAM_BETA_1**step))
    for p, g, m_k, v_k in zip(params, grads, m, v):
        m_k += (g - m_k) * np.float32(1 - ADAM_BETA_1)
        v_k += (g * g - v_k) * np.float32(1 - ADAM_BETA_2)
        p -= alpha * m_k / (np.sqrt(v_k) + np.float32(ADAM_EPSILON))
