"""A model's weights (recurrent layers, then Dense) and their initial values from a seed,
with Keras's default initialisers, identical for every feeding mode.

The shapes depend only on the cell, the units, the layers and the input and output sizes,
never on the feeding mode, so one seed gives every mode the same starting point.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from seqviz.cells import CELLS, Cell


@dataclass(frozen=True)
class LayerWeights:
    """One recurrent layer in Keras's layout: ``kernel`` (input_dim, G*u), ``recurrent_kernel``
    (u, G*u) and ``bias`` (G*u,), or (2, G*u) for a GRU with ``reset_after=True``."""

    kernel: np.ndarray
    recurrent_kernel: np.ndarray
    bias: np.ndarray


@dataclass(frozen=True)
class Weights:
    """Every weight of a stack of recurrent layers followed by Dense ``dense_kernel``
    (u, V) and ``dense_bias`` (V,)."""

    cell: str  # a key of seqviz.cells.CELLS
    layers: tuple[LayerWeights, ...]
    dense_kernel: np.ndarray
    dense_bias: np.ndarray

    def as_list(self) -> list[np.ndarray]:
        """In the order ``keras.Model.get_weights()`` returns for the stack → Dense."""
        out: list[np.ndarray] = []
        for layer in self.layers:
            out += [layer.kernel, layer.recurrent_kernel, layer.bias]
        return out + [self.dense_kernel, self.dense_bias]

    @classmethod
    def from_list(cls, arrays: list[np.ndarray], cell: str = "lstm") -> Weights:
        """The inverse of :meth:`as_list`; the number of layers follows from the length."""
        a = [np.asarray(x, dtype=np.float32) for x in arrays]
        layers = tuple(LayerWeights(*a[k : k + 3]) for k in range(0, len(a) - 2, 3))
        return cls(cell, layers, a[-2], a[-1])

    @property
    def cell_type(self) -> type[Cell]:
        return CELLS[self.cell]

    @property
    def units(self) -> int:
        return int(self.layers[0].recurrent_kernel.shape[0])

    def astype(self, dtype: type) -> Weights:
        cast: list[np.ndarray] = [np.asarray(x, dtype=dtype) for x in self.as_list()]
        layers = tuple(LayerWeights(*cast[k : k + 3]) for k in range(0, len(cast) - 2, 3))
        return Weights(self.cell, layers, cast[-2], cast[-1])


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


def initial_weights(
    input_dim: int, units: int, seed: int, cell: str = "lstm", layers: int = 1, output_dim: int | None = None
) -> Weights:
    """Glorot-uniform kernels, orthogonal recurrent kernels and the cell's default bias
    (an LSTM's forget gate starts at 1), layer by layer, then the Dense layer.

    Args:
        input_dim: features per timestep (the vocabulary size for one-hot tokens).
        output_dim: the Dense layer's outputs; ``input_dim`` when None.
    """
    kind = CELLS[cell]
    rng = np.random.default_rng(seed)
    stack = []
    for layer in range(layers):
        fan_in = input_dim if layer == 0 else units
        stack.append(
            LayerWeights(
                kernel=_glorot_uniform(rng, fan_in, kind.slices * units),
                recurrent_kernel=_orthogonal(rng, units, kind.slices * units),
                bias=kind.bias(units),
            )
        )
    out = input_dim if output_dim is None else output_dim
    return Weights(
        cell=cell,
        layers=tuple(stack),
        dense_kernel=_glorot_uniform(rng, units, out),
        dense_bias=np.zeros(out, dtype=np.float32),
    )
