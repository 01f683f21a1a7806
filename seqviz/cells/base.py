"""What every recurrent cell provides, the way Keras's cells do: weights with Keras's default
initialisers, one step that returns its internals, its backward step, its TensorFlow step,
the Keras layer it corresponds to, and the names and meanings of its internals.

The generic driver (``seqviz.network``) runs any cell over time and stacks layers; the
trainer, the replay, the figures and the export ask the cell and never name one.

Shapes: ``B`` samples in a batch, ``u`` units, ``G`` the cell's number of gate slices
(its kernel is ``(input_dim, G*u)``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

Array = np.ndarray
States = tuple[Array, ...]  # h first, then the cell's other states (an LSTM's c)


@dataclass(frozen=True)
class Internal:
    """One named per-unit value a step computes, for figures, CSV and JSON."""

    name: str  # Keras's own name: i, f, g, o, c, h, z, r, hh
    label: str  # short, for a legend: "i, the input gate"
    meaning: str  # one sentence: what a high or low value means
    low: float | None  # the value range, None where unbounded (an LSTM's c)
    high: float | None
    equation: str  # the step's equation for it, in Keras's notation


def sigmoid(z: Array) -> Array:
    return 0.5 * (np.tanh(0.5 * z) + 1.0)  # overflow-free 1 / (1 + e^-z)


class Cell:
    """A recurrent cell. Subclasses set the class attributes and the step functions."""

    name: ClassVar[str]  # registry key, CLI and URL value: "lstm"
    label: ClassVar[str]  # "LSTM"
    keras_layer: ClassVar[str]  # the class in keras.layers: "LSTM"
    slices: ClassVar[int]  # G: gate slices in the kernel (LSTM 4, GRU 3, SimpleRNN 1)
    state_names: ClassVar[tuple[str, ...]]  # the states it carries, h first
    trace_names: ClassVar[tuple[str, ...]]  # what ``step`` returns, in order
    internals: ClassVar[tuple[Internal, ...]]  # what a step shows, its states last
    summary: ClassVar[str]  # one line about the cell, for help texts

    # --- weights -------------------------------------------------------------------

    @classmethod
    def bias(cls, units: int) -> Array:
        """Keras's default bias (zeros), float32."""
        return np.zeros(cls.slices * units, np.float32)

    @classmethod
    def split_bias(cls, bias: Array) -> tuple[Array, Array | None]:
        """The bias added to ``x @ kernel``, and the one added to ``h_tm1 @ recurrent_kernel``."""
        return bias, None

    @classmethod
    def bias_gradient(cls, d_input: Array, d_recurrent: Array) -> Array:
        """The bias's gradient from the summed gradients of the two projections."""
        return d_input

    # --- one step ------------------------------------------------------------------

    @classmethod
    def step(
        cls, zx: Array, inner: Array, states: States, recurrent_kernel: Array
    ) -> tuple[States, tuple[Array, ...]]:
        """One timestep in NumPy.

        Args:
            zx: (B, G*u) ``x_t @ kernel`` plus the input bias.
            inner: (B, G*u) ``h_tm1 @ recurrent_kernel`` plus the recurrent bias, if any.
            states: the states entering the step, ``state_names`` order.
            recurrent_kernel: (u, G*u), for a cell whose recurrent product reads one of its
                gates (a GRU with ``reset_after=False`` multiplies ``r * h_tm1`` into its
                candidate's slice); most cells read ``inner`` alone.
        Returns:
            The states leaving the step, and the values named by ``trace_names``.
        """
        raise NotImplementedError

    @classmethod
    def backward(
        cls, trace: tuple[Array, ...], states: States, d_states: States, recurrent_kernel: Array
    ) -> tuple[Array, Array, tuple[Array | None, ...]]:
        """The gradients of one step, given those of the states it leaves.

        Args:
            trace: what ``step`` returned for this timestep.
            states: the states that entered the step.
            d_states: the loss's gradient with respect to the states leaving it.
            recurrent_kernel: as ``step`` reads it.
        Returns:
            The gradients of ``zx`` and of ``inner``, and of the entering states by every
            path but ``inner`` (None: zero); the driver adds ``d_inner @ recurrent_kernel.T``
            to h's.
        """
        raise NotImplementedError

    @classmethod
    def recurrent_gradient(
        cls, h_tm1: Array, d_inner: Array, d_zx: Array, traces: list[tuple[Array, ...]]
    ) -> Array:
        """The recurrent kernel's gradient over a layer's steps: ``h_tm1.T @ d_inner``, the
        product ``inner`` is made of; a cell that multiplies something else into a slice of
        the recurrent kernel inside ``step`` adds that slice's share.

        Args:
            h_tm1: (B*T, u) the h entering each step, samples first, then steps.
            d_inner: (B*T, G*u) the gradients ``backward`` gave ``inner``, in the same order.
            d_zx: (B*T, G*u) those it gave ``zx``.
            traces: per step, what ``step`` returned ((B, u) arrays).
        Returns:
            (u, G*u).
        """
        grad: Array = h_tm1.T @ d_inner
        return grad

    @classmethod
    def tf_step(cls, zx: Any, inner: Any, states: tuple[Any, ...], recurrent_kernel: Any) -> tuple[Any, ...]:
        """The same step on TensorFlow tensors, for the graph backend: the states leaving it."""
        raise NotImplementedError

    @classmethod
    def keras_options(cls) -> dict[str, Any]:
        """Arguments the Keras layer needs beyond units (defaults are Keras's)."""
        return {}
