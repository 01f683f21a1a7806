"""Initial weights from a seed, with Keras's default initializers, identical for every mode.

The LSTM's and the Dense layer's shapes depend only on the vocabulary size and the units,
never on the feeding mode, so one seed gives every mode the same starting point.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Weights:
    """Keras's layout: LSTM ``kernel`` (V, 4u), ``recurrent_kernel`` (u, 4u), ``bias`` (4u),
    slices in gate order i, f, c, o; Dense ``dense_kernel`` (u, V) and ``dense_bias`` (V)."""

    kernel: np.ndarray
    recurrent_kernel: np.ndarray
    bias: np.ndarray
    dense_kernel: np.ndarray
    dense_bias: np.ndarray

    def as_list(self) -> list[np.ndarray]:
        """In the order ``keras.Model.get_weights()`` returns for LSTM → Dense."""
        return [self.kernel, self.recurrent_kernel, self.bias, self.dense_kernel, self.dense_bias]

    @classmethod
    def from_list(cls, arrays: list[np.ndarray]) -> Weights:
        return cls(*(np.asarray(a, dtype=np.float32) for a in arrays))

    @property
    def units(self) -> int:
        return self.recurrent_kernel.shape[0]


def _glorot_uniform(rng: np.random.Generator, fan_in: int, fan_out: int) -> np.ndarray:
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, size=(fan_in, fan_out)).astype(np.float32)


def _orthogonal(rng: np.random.Generator, rows: int, cols: int) -> np.ndarray:
    """As keras.initializers.Orthogonal: QR of a normal matrix, signs fixed by R's diagonal."""
    a = rng.normal(size=(max(rows, cols), min(rows, cols)))
    q, r = np.linalg.qr(a)
    q *= np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    return q.astype(np.float32)


def initial_weights(vocab_size: int, units: int, seed: int) -> Weights:
    """Glorot-uniform kernels, an orthogonal recurrent kernel, zero biases but the forget
    gate's, which starts at 1 (Keras's ``unit_forget_bias``)."""
    rng = np.random.default_rng(seed)
    bias = np.zeros(4 * units, dtype=np.float32)
    bias[units : 2 * units] = 1.0
    return Weights(
        kernel=_glorot_uniform(rng, vocab_size, 4 * units),
        recurrent_kernel=_orthogonal(rng, units, 4 * units),
        bias=bias,
        dense_kernel=_glorot_uniform(rng, units, vocab_size),
        dense_bias=np.zeros(vocab_size, dtype=np.float32),
    )
