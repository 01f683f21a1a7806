"""Replaying the LSTM equations in NumPy to recover what Keras does not hand back.

Keras returns each step's ``h`` (``return_sequences``) and only the final ``c``
(``return_state``). seqviz shows, for every step, the state entering it (``h_tm1``, ``c_tm1``),
the gates ``i``, ``f``, ``g`` (the candidate, Keras's "c" slice) and ``o``, and the ``c`` and
``h`` it leaves, so it replays Keras's equations from the trained weights::

    z = x @ kernel + h_tm1 @ recurrent_kernel + bias      # slices i, f, c, o
    i, f, o = sigmoid(z_i), sigmoid(z_f), sigmoid(z_o);  g = tanh(z_c)
    c = f * c_tm1 + i * g;  h = o * tanh(c)

Tests hold this replay to Keras's own layer outputs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from seqviz.modes import Feed
from seqviz.weights import Weights

GATES = ("i", "f", "g", "o")


@dataclass(frozen=True)
class Replay:
    """Every step of every sample: arrays of shape (samples, timesteps, units), and
    ``probabilities`` (samples, timesteps, V) from the Dense output at every step."""

    h_tm1: np.ndarray
    c_tm1: np.ndarray
    i: np.ndarray
    f: np.ndarray
    g: np.ndarray
    o: np.ndarray
    c: np.ndarray
    h: np.ndarray
    probabilities: np.ndarray


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (np.tanh(0.5 * z) + 1.0)  # overflow-free form of 1 / (1 + e^-z)


def output_probabilities(h: np.ndarray, weights: Weights, output: str) -> np.ndarray:
    """The Dense layer's activation applied to ``h`` (..., units) → (..., V)."""
    logits = h @ weights.dense_kernel + weights.dense_bias
    if output == "softmax":
        shifted = np.exp(logits - logits.max(axis=-1, keepdims=True))
        return shifted / shifted.sum(axis=-1, keepdims=True)
    return _sigmoid(logits)


def replay(feed: Feed, weights: Weights, output: str) -> Replay:
    """Run the feed's samples in order, as Keras predicts after a reset.

    A stateful feed's sample ``s`` starts from the final state of sample ``s - batch_size``;
    every other sample starts from zeros. Computed in float64 from float32 weights.
    """
    samples, steps, _ = feed.x.shape
    units = weights.units
    w = {k: np.asarray(a, dtype=np.float64) for k, a in vars(weights).items()}
    arrays = {name: np.zeros((samples, steps, units)) for name in ("h_tm1", "c_tm1", *GATES, "c", "h")}
    for s in range(samples):
        if feed.stateful and s >= feed.batch_size:
            h, c = arrays["h"][s - feed.batch_size, -1], arrays["c"][s - feed.batch_size, -1]
        else:
            h, c = np.zeros(units), np.zeros(units)
        for t in range(steps):
            z = feed.x[s, t] @ w["kernel"] + h @ w["recurrent_kernel"] + w["bias"]
            z_i, z_f, z_c, z_o = np.split(z, 4)
            i, f, g, o = _sigmoid(z_i), _sigmoid(z_f), np.tanh(z_c), _sigmoid(z_o)
            arrays["h_tm1"][s, t], arrays["c_tm1"][s, t] = h, c
            c = f * c + i * g
            h = o * np.tanh(c)
            for name, value in zip((*GATES, "c", "h"), (i, f, g, o, c, h)):
                arrays[name][s, t] = value
    probabilities = output_probabilities(arrays["h"], weights, output)
    return Replay(**arrays, probabilities=probabilities)
