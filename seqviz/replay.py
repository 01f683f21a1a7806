"""Replaying a trained model in NumPy to recover what Keras does not hand back.

Keras returns each step's ``h`` (``return_sequences``) and only the final states
(``return_state``). seqviz shows, for every step of every layer, the states entering it
(``h0``, and ``c0`` for an LSTM), the cell's internals (an LSTM's gates ``i f g o``, a GRU's
``z r hh``) and the states it leaves, so it runs the same forward pass as training
(``seqviz.network``, the cell's own step) in float64 from the trained weights. Tests hold
this replay to Keras's own layer outputs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from seqviz import network
from seqviz.cells import Cell
from seqviz.losses import OUTPUTS
from seqviz.modes import Feed
from seqviz.weights import Weights


def entering_name(state: str) -> str:
    """The JSON's name for a state entering a step: ``h`` → ``h0``."""
    return f"{state}0"


def step_names(cell: type[Cell]) -> tuple[str, ...]:
    """Every per-step value a replay holds for ``cell``: entering states, then internals."""
    return tuple(entering_name(s) for s in cell.state_names) + tuple(i.name for i in cell.internals)


@dataclass(frozen=True)
class Replay:
    """Every step of every sample: per layer (first to last) a dict from the cell's names
    (``step_names``) to arrays (samples, timesteps, units), and ``probabilities``
    (samples, timesteps, V), the Dense output at every step."""

    layers: list[dict[str, np.ndarray]]
    probabilities: np.ndarray

    @property
    def last(self) -> dict[str, np.ndarray]:
        return self.layers[-1]


def replay(feed: Feed, weights: Weights, output: str) -> Replay:
    """Run the feed's samples in order, as Keras predicts after a reset.

    A stateful feed's sample ``s`` starts from the final states of sample ``s - batch_size``
    (every layer's) unless it is reset there (a new sequence); every other sample starts from
    zeros. Masked padding carries the states through, as in training.
    """
    w = weights.astype(np.float64)
    cell = w.cell_type
    samples = feed.x.shape[0]
    b = feed.batch_size if feed.stateful else samples
    zeros = [network.zero_states(cell, b, w.units, np.float64) for _ in w.layers]
    x = feed.x.astype(np.float64)
    states = zeros
    per_layer: list[dict[str, list[np.ndarray]]] = [{n: [] for n in step_names(cell)} for _ in w.layers]
    logits = []
    shown = [cell.trace_names.index(i.name) for i in cell.internals]
    for first in range(0, samples, b):
        rows = slice(first, first + b)
        carry = first > 0 and not feed.replay_starts_from_zeros(first)  # the plan's rule
        start = states if carry else [tuple(z[: len(x[rows])] for z in layer) for layer in zeros]
        mask = None if feed.step_mask is None else feed.step_mask[rows]
        traces, batch_logits = network.forward(w, x[rows], start, mask)
        states = [t.final for t in traces]
        logits.append(batch_logits)
        for arrays, trace in zip(per_layer, traces):
            for k, state in enumerate(cell.state_names):
                arrays[entering_name(state)].append(np.stack([e[k] for e in trace.entering], axis=1))
            for internal, index in zip(cell.internals, shown):
                arrays[internal.name].append(np.stack([t[index] for t in trace.traces], axis=1))
    layers = [{n: np.concatenate(parts, axis=0) for n, parts in arrays.items()} for arrays in per_layer]
    probabilities = OUTPUTS[output].probabilities(np.concatenate(logits, axis=0))
    return Replay(layers, probabilities)
