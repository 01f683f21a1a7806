"""The generic recurrent driver: any cell over time, layers stacked, then Dense; forward and
backward in NumPy. Training (in float32) and the replay (in float64) both run this one
forward pass, so what the page shows is what was trained.

Layers below the last return their whole sequence (``return_sequences=True``, as Keras
requires when stacking); the Dense layer reads the last layer's ``h`` at every step, and the
loss mask decides which steps count.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from seqviz.cells import Cell
from seqviz.cells.base import Array, States
from seqviz.weights import LayerWeights, Weights


@dataclass
class LayerTrace:
    """One layer over one batch: per timestep the states entering it and the cell's trace.

    ``entering[t]`` and ``traces[t]`` are ``(B, u)`` arrays in ``state_names`` and
    ``trace_names`` order; ``h`` is (B, T, u), the sequence the layer returns.
    """

    entering: list[States]
    traces: list[tuple[Array, ...]]
    h: Array
    final: States  # the states leaving the last step
    mask: Array | None = None  # (B, T, 1): 0 where a padded step carries the states through


def zero_states(cell: type[Cell], batch: int, units: int, dtype: type = np.float32) -> States:
    return tuple(np.zeros((batch, units), dtype) for _ in cell.state_names)


def layer_forward(
    cell: type[Cell], w: LayerWeights, x: Array, states: States, mask: Array | None = None
) -> LayerTrace:
    """Run ``cell`` over ``x`` (B, T, D) from ``states``.

    Args:
        mask: (B, T, 1), 1 for real steps; a masked (padded) step leaves the states as they
            were and returns the previous h, as Keras's ``Masking`` makes a recurrent layer do.
    """
    input_bias, recurrent_bias = cell.split_bias(w.bias)
    zx = x @ w.kernel + input_bias
    steps = x.shape[1]
    entering: list[States] = []
    traces: list[tuple[Array, ...]] = []
    hs = np.empty((x.shape[0], steps, w.recurrent_kernel.shape[0]), dtype=zx.dtype)
    for t in range(steps):
        entering.append(states)
        inner = states[0] @ w.recurrent_kernel
        if recurrent_bias is not None:
            inner = inner + recurrent_bias
        new, trace = cell.step(zx[:, t], inner, states, w.recurrent_kernel)
        if mask is not None:
            m = mask[:, t]
            new = tuple(m * a + (1 - m) * b for a, b in zip(new, states))
        states = new
        traces.append(trace)
        hs[:, t] = states[0]
    return LayerTrace(entering, traces, hs, states, mask)


def forward(
    weights: Weights, x: Array, states: list[States], mask: Array | None = None
) -> tuple[list[LayerTrace], Array]:
    """Every layer over ``x`` (B, T, D) from per-layer ``states`` (``mask`` (B, T), 1 for real
    steps, applies to every layer); returns the traces and the Dense layer's logits (B, T, V)."""
    cell = weights.cell_type
    traces = []
    inputs = x
    # A batch without padding takes the plain step (the same numbers, without the mask's work).
    step_mask = None if mask is None or mask.all() else mask[..., None].astype(x.dtype)
    for w, start in zip(weights.layers, states):
        trace = layer_forward(cell, w, inputs, start, step_mask)
        traces.append(trace)
        inputs = trace.h
    return traces, inputs @ weights.dense_kernel + weights.dense_bias


def _layer_backward(
    cell: type[Cell], w: LayerWeights, x: Array, trace: LayerTrace, d_h: Array
) -> tuple[list[Array], Array]:
    """Backpropagation through time for one layer; ``d_h`` (B, T, u) is the loss's gradient
    with respect to the sequence it returned. Returns its weight gradients and ``d_x``."""
    batch, steps, _ = x.shape
    width = w.recurrent_kernel.shape[1]
    d_zx = np.empty((batch, steps, width), x.dtype)
    d_inner = np.empty((batch, steps, width), x.dtype)
    zeros = np.zeros_like(d_h[:, 0])
    d_next: list[Array] = [zeros] * len(cell.state_names)  # from the step after, by the recurrence
    recurrent_t = w.recurrent_kernel.T
    for t in range(steps - 1, -1, -1):
        d_states = (d_next[0] + d_h[:, t], *d_next[1:])
        if trace.mask is not None:  # a padded step passes the gradient straight through
            m = trace.mask[:, t]
            passed = [(1 - m) * d for d in d_states]
            d_states = tuple(m * d for d in d_states)
        dzx, dinner, direct = cell.backward(trace.traces[t], trace.entering[t], d_states, w.recurrent_kernel)
        d_zx[:, t], d_inner[:, t] = dzx, dinner
        d_next = [dinner @ recurrent_t, *(zeros if d is None else d for d in direct[1:])]
        if direct[0] is not None:
            d_next[0] = d_next[0] + direct[0]
        if trace.mask is not None:
            d_next = [a + b for a, b in zip(d_next, passed)]
    h_tm1 = np.stack([e[0] for e in trace.entering], axis=1)
    flat_zx = d_zx.reshape(batch * steps, width)
    flat_inner = d_inner.reshape(batch * steps, width)
    grads = [
        x.reshape(batch * steps, -1).T @ flat_zx,
        cell.recurrent_gradient(h_tm1.reshape(batch * steps, -1), flat_inner, flat_zx, trace.traces),
        cell.bias_gradient(flat_zx.sum(0), flat_inner.sum(0)),
    ]
    return grads, d_zx @ w.kernel.T


def backward(weights: Weights, x: Array, traces: list[LayerTrace], d_logits: Array) -> list[Array]:
    """The gradients of every weight, in ``Weights.as_list()`` order, from the gradient of the
    loss with respect to the logits (B, T, V)."""
    cell = weights.cell_type
    top = traces[-1].h
    d_dense = [np.einsum("btu,btv->uv", top, d_logits), d_logits.sum((0, 1))]
    d_h = d_logits @ weights.dense_kernel.T
    grads: list[list[Array]] = []
    for layer in range(len(weights.layers) - 1, -1, -1):
        inputs = x if layer == 0 else traces[layer - 1].h
        layer_grads, d_h = _layer_backward(cell, weights.layers[layer], inputs, traces[layer], d_h)
        grads.insert(0, layer_grads)
    return [g for layer_grads in grads for g in layer_grads] + d_dense
