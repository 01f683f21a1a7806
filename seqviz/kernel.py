"""The NumPy trainer's arithmetic compiled: forward, backward and Adam fused into one loop over
epochs and batches, with no Python call per batch step.

``seqviz.network`` + ``seqviz.cells`` + ``seqviz.losses`` + ``seqviz.adam`` stay the reference
(the oracle tests hold them to ``model.fit``; ``tests/test_kernel.py`` holds this kernel to them).
They pay ~0.2 ms of Python per batch step, which is what a stateful one-step run is made of;
here a batch step costs what its arithmetic costs.

The same features as the NumPy backend, but only for the cells in ``KERNEL_CELLS`` (LSTM, GRU
``reset_after=True``, SimpleRNN; any other cell trains on the NumPy path): stacked layers, a
new sample order per epoch (shuffle), the stateful resets ("epoch", "never", "sequence" rows),
step masks (padding carries the states through), uneven last batches, sigmoid and softmax
outputs. :func:`supports` says when it applies; the trainer
falls back to the NumPy path otherwise.

Everything compiled lives in this one file on purpose: numba's on-disk cache (``cache=True``)
is invalidated by the file that holds a function, not by the files of the functions it calls.
The cache is written next to this file, or under ``NUMBA_CACHE_DIR`` (the Docker image
compiles it at build time, see the Dockerfile).

Adding an output (a new ``seqviz.losses.Output``): give it a code in ``KERNEL_OUTPUTS`` and a
branch in :func:`_step_loss` that writes the gradient of its per-step loss with respect to the
logits and returns the per-step loss, as the linear output (mean squared error) does.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, TypeVar, cast

import numpy as np
from numba import njit

from seqviz.adam import BETA_1, BETA_2, EPSILON
from seqviz.cells.base import States
from seqviz.modes import Feed
from seqviz.weights import Weights

KERNEL_CELLS = {"lstm": 0, "gru": 1, "simple_rnn": 2}
KERNEL_OUTPUTS = {"sigmoid": 0, "softmax": 1, "linear": 2}
LSTM, GRU, SIMPLE_RNN = 0, 1, 2
SIGMOID, SOFTMAX, LINEAR = 0, 1, 2

# Adam's float32 constants, as seqviz.adam computes them: 1 - beta_1, 1 - beta_2, epsilon.
_ADAM = np.array([1 - BETA_1, 1 - BETA_2, EPSILON], np.float32)

_OPTIONS: dict[str, Any] = {"cache": True, "error_model": "numpy", "nogil": True}
# Sums in any order (as BLAS does for the NumPy path) and fused multiply-adds: what lets LLVM
# vectorise the products. No flag that changes NaN, infinity or division semantics.
_FAST: dict[str, Any] = {**_OPTIONS, "fastmath": {"reassoc", "contract"}}

F = TypeVar("F", bound=Callable[..., Any])


def _compiled(options: dict[str, Any]) -> Callable[[F], F]:
    """numba's ``njit`` with ``options``, typed (numba publishes no types)."""

    def wrap(function: F) -> F:
        return cast(F, njit(**options)(function))

    return wrap


def supports(feed: Feed, output: str, cell: str) -> bool:
    """Whether the kernel trains this run; otherwise the NumPy path does (same numbers).

    Not in the kernel: an output or a cell without a code here, and a stateful feed whose
    last batch is short (seqviz's layout check refuses one; Keras would run it with broken state)."""
    if output not in KERNEL_OUTPUTS or cell not in KERNEL_CELLS:
        return False
    return not (feed.stateful and feed.samples % feed.batch_size)


# --- compiled -------------------------------------------------------------------------


@_compiled(_FAST)
def _tanh(x: Any) -> Any:
    """tanh in float32 as plain arithmetic, so loops over it vectorise (a libm call per
    element cost more than the rest of a step): Eigen's rational approximation (its
    ``generic_fast_tanh_float`` coefficients), within 2.4e-7 of tanh, the input itself near 0."""
    clamp = np.float32(7.90531110763549805)
    a = min(max(x, -clamp), clamp)
    a2 = a * a
    p = a2 * np.float32(-2.76076847742355e-16) + np.float32(2.00018790482477e-13)
    p = a2 * p + np.float32(-8.60467152213735e-11)
    p = a2 * p + np.float32(5.12229709037114e-08)
    p = a2 * p + np.float32(1.48572235717979e-05)
    p = a2 * p + np.float32(6.37261928875436e-04)
    p = a2 * p + np.float32(4.89352455891786e-03)
    q = a2 * np.float32(1.19825839466702e-06) + np.float32(1.18534705686654e-04)
    q = a2 * q + np.float32(2.26843463243900e-03)
    q = a2 * q + np.float32(4.89352518554385e-03)
    return x if abs(x) < np.float32(0.0004) else a * p / q


@_compiled(_FAST)
def _sigmoid(z: Any) -> Any:
    return np.float32(0.5) * (_tanh(np.float32(0.5) * z) + np.float32(1.0))


@_compiled(_OPTIONS)
def _step_loss(output: int, logits: Any, y: Any, d: Any, scale: Any) -> float:
    """One (sample, step): writes ``d`` = the gradient of the batch loss with respect to the
    logits (``d_per_step`` times ``scale`` = mask / trained steps) and returns the per-step loss."""
    v = logits.shape[0]
    loss = 0.0
    if output == SIGMOID:
        width = np.float32(v)
        for k in range(v):
            z = logits[k]
            loss += max(z, np.float32(0.0)) - z * y[k] + np.log1p(np.exp(-abs(z)))
            d[k] = (_sigmoid(z) - y[k]) / width * scale
        return loss / float(v)
    if output == LINEAR:  # Keras's mse: the mean over the V outputs of the squared error
        width = np.float32(v)
        for k in range(v):
            e = logits[k] - y[k]
            loss += e * e
            d[k] = np.float32(2.0) * e / width * scale
        return loss / float(v)
    # softmax
    top = logits[0]
    for k in range(1, v):
        top = max(top, logits[k])
    s = np.float32(0.0)
    for k in range(v):
        s += np.exp(logits[k] - top)
    log_sum = top + np.log(s)
    y_sum = np.float32(0.0)
    for k in range(v):
        y_sum += y[k]
    for k in range(v):
        loss += y[k] * (log_sum - logits[k])
        d[k] = (np.exp(logits[k] - log_sum) * y_sum - y[k]) * scale
    return loss


@_compiled(_FAST)
def _project(inputs: Any, kernel: Any, bias: Any, out: Any) -> None:
    """out (G*u,) = inputs (D,) @ kernel (D, G*u) + bias; zero inputs (one-hot) are skipped."""
    out[:] = 0.0
    for k in range(inputs.shape[0]):
        a = inputs[k]
        if a != 0.0:
            for j in range(out.shape[0]):
                out[j] += a * kernel[k, j]
    for j in range(out.shape[0]):
        out[j] += bias[j]


@_compiled(_FAST)
def _back_project(d: Any, kernel: Any, out: Any) -> None:
    """out (D,) += kernel (D, G*u) @ d (G*u,): the gradient through ``_project``'s product."""
    for k in range(out.shape[0]):
        s = np.float32(0.0)
        for j in range(d.shape[0]):
            s += kernel[k, j] * d[j]
        out[k] += s


@_compiled(_FAST)
def _outer(a: Any, d: Any, grad: Any) -> None:
    """grad (D, G*u) += outer(a (D,), d (G*u,)); zero entries of a are skipped."""
    for k in range(a.shape[0]):
        ak = a[k]
        if ak != 0.0:
            for j in range(d.shape[0]):
                grad[k, j] += ak * d[j]


@_compiled(_FAST)
def _cell_forward(
    cell: int, zx: Any, inner: Any, h_tm1: Any, c_tm1: Any, gates: Any, i_h: Any, h: Any, c: Any
) -> None:
    """One step of one sample: the cell's equations (``seqviz.cells``) on zx and inner (G*u,);
    writes the gates (post-activation), GRU's i_h, and the states leaving, h and c (LSTM)."""
    u = h.shape[0]
    if cell == LSTM:
        for j in range(2 * u):
            gates[j] = _sigmoid(zx[j] + inner[j])
        for j in range(2 * u, 3 * u):
            gates[j] = _tanh(zx[j] + inner[j])
        for j in range(3 * u, 4 * u):
            gates[j] = _sigmoid(zx[j] + inner[j])
        for k in range(u):
            c[k] = gates[u + k] * c_tm1[k] + gates[k] * gates[2 * u + k]
            h[k] = gates[3 * u + k] * _tanh(c[k])
    elif cell == GRU:
        for j in range(2 * u):
            gates[j] = _sigmoid(zx[j] + inner[j])
        for k in range(u):
            z, r = gates[k], gates[u + k]
            i_h[k] = inner[2 * u + k]
            hh = _tanh(zx[2 * u + k] + r * i_h[k])
            gates[2 * u + k] = hh
            h[k] = z * h_tm1[k] + (np.float32(1.0) - z) * hh
    else:
        for k in range(u):
            h[k] = _tanh(zx[k] + inner[k])
            gates[k] = h[k]


@_compiled(_FAST)
def _cell_backward(
    cell: int,
    gates: Any,
    i_h: Any,
    c: Any,
    h_tm1: Any,
    c_tm1: Any,
    d_h: Any,
    d_c: Any,
    d_zx: Any,
    d_inner: Any,
    direct_h: Any,
) -> None:
    """The backward step of ``_cell_forward`` (the cells' own ``backward``): from the gradients
    of the states leaving (d_h, and d_c for an LSTM, which it turns into the entering c's),
    writes those of zx and inner and h_tm1's by every path but inner (``direct_h``)."""
    u = d_h.shape[0]
    one = np.float32(1.0)
    if cell == LSTM:
        for k in range(u):
            i, f, g, o = gates[k], gates[u + k], gates[2 * u + k], gates[3 * u + k]
            tanh_c = _tanh(c[k])
            dc = d_c[k] + d_h[k] * o * (one - tanh_c * tanh_c)
            d_zx[k] = dc * g * i * (one - i)
            d_zx[u + k] = dc * c_tm1[k] * f * (one - f)
            d_zx[2 * u + k] = dc * i * (one - g * g)
            d_zx[3 * u + k] = d_h[k] * tanh_c * o * (one - o)
            d_c[k] = dc * f
            direct_h[k] = 0.0
        d_inner[:] = d_zx
    elif cell == GRU:
        for k in range(u):
            z, r, hh = gates[k], gates[u + k], gates[2 * u + k]
            d_hh_pre = d_h[k] * (one - z) * (one - hh * hh)
            d_z_pre = d_h[k] * (h_tm1[k] - hh) * z * (one - z)
            d_r_pre = d_hh_pre * i_h[k] * r * (one - r)
            d_zx[k] = d_z_pre
            d_zx[u + k] = d_r_pre
            d_zx[2 * u + k] = d_hh_pre
            d_inner[k] = d_z_pre
            d_inner[u + k] = d_r_pre
            d_inner[2 * u + k] = d_hh_pre * r
            direct_h[k] = d_h[k] * z
    else:
        for k in range(u):
            d_zx[k] = d_h[k] * (one - gates[k] * gates[k])
            direct_h[k] = 0.0
        d_inner[:] = d_zx


@_compiled(_FAST)
def _train_batch(
    cell: int,
    output: int,
    theta: Any,
    grad: Any,
    offsets: Any,
    x: Any,
    y: Any,
    loss_mask: Any,
    step_mask: Any,
    masked: bool,
    rows: Any,
    start: Any,
    finals: Any,
    work: Any,
) -> float:
    """Forward and backward over one batch (``rows`` of X); writes the gradient into ``grad``
    and every layer's final states into ``finals`` (layers, states, B, u); returns the loss."""
    hs, h_in, c_in, gates, cs, ihs, zx, logits, d_logits, d_h, d_below, d_zx, d_inner, vecs = work
    layers = hs.shape[0]
    batch = rows.shape[0]
    steps = x.shape[1]
    u = hs.shape[3]
    width = gates.shape[3]
    v = y.shape[2]
    inner = vecs[0, :width]
    bias_zero = vecs[1, :width]
    bias_zero[:] = 0.0
    # --- forward, layer by layer
    for layer in range(layers):
        o_k, o_r, o_b = offsets[3 * layer], offsets[3 * layer + 1], offsets[3 * layer + 2]
        dim = x.shape[2] if layer == 0 else u
        kernel = theta[o_k : o_k + dim * width].reshape((dim, width))
        recurrent = theta[o_r : o_r + u * width].reshape((u, width))
        input_bias = theta[o_b : o_b + width]
        recurrent_bias = theta[o_b + width : o_b + 2 * width] if cell == GRU else bias_zero
        for b in range(batch):
            for t in range(steps):
                source = x[rows[b], t] if layer == 0 else hs[layer - 1, b, t]
                _project(source, kernel, input_bias, zx[b, t])
        for b in range(batch):
            h_tm1 = start[layer, 0, b]
            c_tm1 = start[layer, 1, b]
            for t in range(steps):
                h_in[layer, b, t][:] = h_tm1
                c_in[layer, b, t][:] = c_tm1
                _project(h_tm1, recurrent, recurrent_bias, inner)
                h_out, c_out = hs[layer, b, t], cs[layer, b, t]
                _cell_forward(
                    cell, zx[b, t], inner, h_tm1, c_tm1, gates[layer, b, t], ihs[layer, b, t], h_out, c_out
                )
                if masked and step_mask[rows[b], t] == 0.0:  # padding: the states pass through
                    h_out[:] = h_tm1
                    c_out[:] = c_tm1
                h_tm1, c_tm1 = h_out, c_out
            finals[layer, 0, b][:] = h_tm1
            finals[layer, 1, b][:] = c_tm1
    # --- the loss and its gradient at the logits
    o_dk = offsets[3 * layers]
    dense = theta[o_dk : o_dk + u * v].reshape((u, v))
    dense_bias = theta[o_dk + u * v : o_dk + u * v + v]
    trained = np.float32(0.0)
    for b in range(batch):
        for t in range(steps):
            trained += loss_mask[rows[b], t]
    loss = 0.0
    top = hs[layers - 1]
    for b in range(batch):
        for t in range(steps):
            d_logits[b, t] = 0.0
            m = loss_mask[rows[b], t]
            if m == 0.0:
                continue
            out = logits[b, t]
            out[:] = 0.0
            for k in range(u):
                a = top[b, t, k]
                for j in range(v):
                    out[j] += a * dense[k, j]
            for j in range(v):
                out[j] += dense_bias[j]
            loss += m * _step_loss(output, out, y[rows[b], t], d_logits[b, t], m / trained)
    # --- backward: Dense, then the layers from the top
    grad[:] = 0.0
    g_dense = grad[o_dk : o_dk + u * v].reshape((u, v))
    g_dense_bias = grad[o_dk + u * v : o_dk + u * v + v]
    for b in range(batch):
        for t in range(steps):
            dl = d_logits[b, t]
            _outer(top[b, t], dl, g_dense)
            for j in range(v):
                g_dense_bias[j] += dl[j]
            for k in range(u):
                s = np.float32(0.0)
                for j in range(v):
                    s += dl[j] * dense[k, j]
                d_h[b, t, k] = s
    d_next_h = vecs[2, :u]
    d_next_c = vecs[3, :u]
    d_state = vecs[4, :u]
    direct = vecs[5, :u]
    for layer in range(layers - 1, -1, -1):
        o_k, o_r, o_b = offsets[3 * layer], offsets[3 * layer + 1], offsets[3 * layer + 2]
        dim = x.shape[2] if layer == 0 else u
        kernel = theta[o_k : o_k + dim * width].reshape((dim, width))
        recurrent = theta[o_r : o_r + u * width].reshape((u, width))
        g_kernel = grad[o_k : o_k + dim * width].reshape((dim, width))
        g_recurrent = grad[o_r : o_r + u * width].reshape((u, width))
        g_bias = grad[o_b : o_b + width]
        for b in range(batch):
            d_next_h[:] = 0.0
            d_next_c[:] = 0.0
            for t in range(steps - 1, -1, -1):
                for k in range(u):
                    d_state[k] = d_next_h[k] + d_h[b, t, k]
                if masked and step_mask[rows[b], t] == 0.0:  # padding passes the gradient through
                    d_next_h[:] = d_state
                    d_zx[b, t] = 0.0
                    d_inner[b, t] = 0.0
                    continue
                _cell_backward(
                    cell,
                    gates[layer, b, t],
                    ihs[layer, b, t],
                    cs[layer, b, t],
                    h_in[layer, b, t],
                    c_in[layer, b, t],
                    d_state,
                    d_next_c,
                    d_zx[b, t],
                    d_inner[b, t],
                    direct,
                )
                if t == 0:  # what reaches the starting states trains nothing: not computed
                    continue
                d_next_h[:] = 0.0
                _back_project(d_inner[b, t], recurrent, d_next_h)
                for k in range(u):
                    d_next_h[k] += direct[k]
        for b in range(batch):
            for t in range(steps):
                source = x[rows[b], t] if layer == 0 else hs[layer - 1, b, t]
                _outer(source, d_zx[b, t], g_kernel)
                _outer(h_in[layer, b, t], d_inner[b, t], g_recurrent)
                for j in range(width):
                    g_bias[j] += d_zx[b, t, j]
                if cell == GRU:
                    for j in range(width):
                        grad[o_b + width + j] += d_inner[b, t, j]
        if layer > 0:
            for b in range(batch):
                for t in range(steps):
                    d_below[b, t] = 0.0
                    _back_project(d_zx[b, t], kernel, d_below[b, t])
            d_h[:batch] = d_below[:batch]
    return loss / float(trained)


@_compiled(_OPTIONS)
def _adam(theta: Any, grad: Any, m: Any, v: Any, alpha: Any, constants: Any) -> None:
    """Keras's Adam on the flat weights, as ``seqviz.adam.adam_update``, except that a moment
    below float32's smallest normal number becomes 0: a weight whose gradient stays 0 (the
    kernel row of an input absent from a batch) has its first moment decay by 0.9 a step into
    subnormal numbers, where every operation takes a slow microcode path, and stay there (the
    decay of the smallest subnormal rounds back to itself). TensorFlow's CPU kernels flush
    them the same way; the weights move by less than 1e-30 for it."""
    one_m_b1, one_m_b2, epsilon = constants[0], constants[1], constants[2]
    smallest = np.float32(1.1754944e-38)
    zero = np.float32(0.0)
    for i in range(theta.shape[0]):
        g = grad[i]
        m_i = m[i] + (g - m[i]) * one_m_b1
        v_i = v[i] + (g * g - v[i]) * one_m_b2
        m_i = m_i if abs(m_i) >= smallest else zero
        v_i = v_i if v_i >= smallest else zero
        m[i], v[i] = m_i, v_i
        theta[i] -= alpha * m_i / (np.sqrt(v_i) + epsilon)


@_compiled(_OPTIONS)
def train_epochs(
    cell: int,
    output: int,
    theta: Any,
    m: Any,
    v: Any,
    offsets: Any,
    x: Any,
    y: Any,
    loss_mask: Any,
    step_mask: Any,
    masked: bool,
    orders: Any,
    batch_size: int,
    carries_across_epochs: bool,
    resets_before: Any,
    states: Any,
    carried: bool,
    alphas: Any,
    constants: Any,
    units: int,
    width: int,
) -> Any:
    """``len(orders)`` epochs, as ``seqviz.trainer._NumpyBackend.run``; updates theta, m, v and
    ``states`` (layers, states, batch, u) in place.

    Returns:
        The epochs' losses (float64) and the rows of the last batch (whose final states are
        ``states[:, :, :rows]``).
    """
    layers = states.shape[0]
    samples, steps = x.shape[0], x.shape[1]
    batch_max = min(batch_size, samples)
    v_out = y.shape[2]
    u = units
    work = (
        np.zeros((layers, batch_max, steps, u), np.float32),  # hs
        np.zeros((layers, batch_max, steps, u), np.float32),  # h_in
        np.zeros((layers, batch_max, steps, u), np.float32),  # c_in
        np.zeros((layers, batch_max, steps, width), np.float32),  # gates
        np.zeros((layers, batch_max, steps, u), np.float32),  # cs
        np.zeros((layers, batch_max, steps, u), np.float32),  # ihs
        np.zeros((batch_max, steps, width), np.float32),  # zx
        np.zeros((batch_max, steps, v_out), np.float32),  # logits
        np.zeros((batch_max, steps, v_out), np.float32),  # d_logits
        np.zeros((batch_max, steps, u), np.float32),  # d_h
        np.zeros((batch_max, steps, u), np.float32),  # d_below
        np.zeros((batch_max, steps, width), np.float32),  # d_zx
        np.zeros((batch_max, steps, width), np.float32),  # d_inner
        np.zeros((6, max(width, u)), np.float32),  # vectors
    )
    grad = np.zeros_like(theta)
    start = np.zeros_like(states)
    losses = np.zeros(orders.shape[0])
    step = 0
    last = 0
    for epoch in range(orders.shape[0]):
        order = orders[epoch]
        if not carries_across_epochs or not carried:
            states[:] = 0.0
            carried = True
        total = 0.0
        for first in range(0, samples, batch_size):
            rows = order[first : min(first + batch_size, samples)]
            n = rows.shape[0]
            carry = not resets_before[first]  # the plan's rule: Feed.resets_before
            if carry:
                start[:] = states
            else:
                start[:] = 0.0
            loss = _train_batch(
                cell,
                output,
                theta,
                grad,
                offsets,
                x,
                y,
                loss_mask,
                step_mask,
                masked,
                rows,
                start,
                states,
                work,
            )
            _adam(theta, grad, m, v, alphas[step], constants)
            step += 1
            total += loss * n
            last = n
        losses[epoch] = total / samples
    return losses, last


# --- the backend ----------------------------------------------------------------------


def step_sizes(learning_rate: float, first: int, count: int) -> np.ndarray:
    """Adam's step sizes for steps ``first + 1 .. first + count``, float32, as ``adam.step_size``."""
    steps = np.arange(first + 1, first + count + 1, dtype=np.float64)
    return (learning_rate * np.sqrt(1 - BETA_2**steps) / (1 - BETA_1**steps)).astype(np.float32)


class KernelBackend:
    """The NumPy backend's interface (``run``, ``weights``, ``states``) on the compiled loop."""

    def __init__(self, feed: Feed, weights: Weights, learning_rate: float, output: str):
        self.feed, self.learning_rate = feed, learning_rate
        self.cell, self.layers = weights.cell, len(weights.layers)
        self.codes = (KERNEL_CELLS[weights.cell], KERNEL_OUTPUTS[output])
        arrays = [np.asarray(a, np.float32) for a in weights.as_list()]
        self.shapes = [a.shape for a in arrays]
        sizes = [a.size for a in arrays]
        self.offsets = np.cumsum([0, *sizes[:-1]]).astype(np.int64)[
            [*range(3 * self.layers), 3 * self.layers]
        ]
        self.theta = np.concatenate([a.ravel() for a in arrays])
        self.m, self.v = np.zeros_like(self.theta), np.zeros_like(self.theta)
        self.units = weights.units
        self.width = int(arrays[1].shape[1])
        self.x = np.ascontiguousarray(feed.x, np.float32)
        self.y = np.ascontiguousarray(feed.y, np.float32)
        self.loss_mask = np.ascontiguousarray(feed.loss_mask, np.float32)
        self.masked = feed.step_mask is not None
        self.step_mask = np.ascontiguousarray(
            feed.loss_mask if feed.step_mask is None else feed.step_mask, np.float32
        )
        self.resets_before = np.array([feed.resets_before(r) for r in range(feed.samples)], np.bool_)
        width_states = 2 if weights.cell == "lstm" else 1
        self.state_count = width_states
        self.batch_states = np.zeros(
            (self.layers, 2, min(feed.batch_size, feed.samples), self.units), np.float32
        )
        self.carried = False
        self.last_rows = 0
        self.step, self.epoch = 0, 0

    @property
    def states(self) -> list[States]:
        """The states (per layer) the last batch left, as ``_NumpyBackend.states``."""
        if not self.carried:
            return []
        rows = self.last_rows
        return [tuple(layer[k, :rows].copy() for k in range(self.state_count)) for layer in self.batch_states]

    def run(self, epochs: int) -> list[float]:
        feed = self.feed
        orders = np.stack([feed.epoch_order(self.epoch + e) for e in range(epochs)]).astype(np.int64)
        batches = -(-feed.samples // feed.batch_size)
        alphas = step_sizes(self.learning_rate, self.step, epochs * batches)
        losses, self.last_rows = train_epochs(
            self.codes[0],
            self.codes[1],
            self.theta,
            self.m,
            self.v,
            self.offsets,
            self.x,
            self.y,
            self.loss_mask,
            self.step_mask,
            self.masked,
            orders,
            int(feed.batch_size),
            feed.carries_across_epochs,
            self.resets_before,
            self.batch_states,
            self.carried,
            alphas,
            _ADAM,
            int(self.units),
            self.width,
        )
        self.carried = True
        self.epoch += epochs
        self.step += epochs * batches
        return [float(a) for a in losses]

    def weights(self, copy: bool = True) -> Weights:
        arrays, at = [], 0
        for shape in self.shapes:
            size = math.prod(shape)
            arrays.append(self.theta[at : at + size].reshape(shape).copy())
            at += size
        return Weights.from_list(arrays, self.cell)


_warm = [False]


def warm_up() -> None:
    """Compile the loop now, or load it from numba's cache (well under a second), on a tiny run, so
    no run pays for it: worker processes call this when they start, the Docker image at build
    time (which fills the cache). The one compiled loop serves every cell, output and layout."""
    if _warm[0]:
        return
    units, width, v = 2, 8, 2
    theta = np.zeros(v * width + units * width + width + units * v + v, np.float32)
    offsets = np.array([0, v * width, v * width + units * width, v * width + units * width + width], np.int64)
    x = np.ones((2, 2, v), np.float32)
    mask = np.ones((2, 2), np.float32)
    train_epochs(
        KERNEL_CELLS["lstm"],
        KERNEL_OUTPUTS["sigmoid"],
        theta,
        np.zeros_like(theta),
        np.zeros_like(theta),
        offsets,
        x,
        x.copy(),
        mask,
        mask.copy(),
        False,
        np.zeros((1, 2), np.int64),
        2,
        False,
        np.array([True, False]),
        np.zeros((1, 2, 2, units), np.float32),
        False,
        step_sizes(0.001, 0, 1),
        _ADAM,
        units,
        width,
    )
    _warm[0] = True
