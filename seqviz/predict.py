"""The prediction phase: after training, a test sequence fed the way Keras would predict it.

``model.predict`` with a batch size of its own (default 1; a stateful model is rebuilt with the
new batch size and the trained weights copied in, the standard Keras recipe), starting from
zeros or from the state training ended in, and optionally with the state reset to zeros at one
step (the intervention that shows the state is what carries the memory). The step driver runs
the cell's own step (``seqviz.network``) one timestep at a time, so a reset can fall anywhere.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

import numpy as np

from seqviz import network
from seqviz.cells.base import States
from seqviz.errors import SeqvizError
from seqviz.losses import OUTPUTS
from seqviz.modes import Feed, build_feed
from seqviz.novelty import seen_positions
from seqviz.sequence import Dataset, make_dataset
from seqviz.weights import Weights

StatePolicy = Literal["zeros", "carry"]  # the keys of STATE_POLICIES (a test holds them equal)
STATE_POLICIES = {
    "zeros": "start from zeros (reset_state() before predict)",
    "carry": "carry on from the state training ended in (no reset after fit)",
}


@dataclass(frozen=True)
class PredictionFeed:
    """A test sequence as the trained mode predicts it."""

    dataset: Dataset
    feed: Feed
    carried: bool  # whether the state training ended in is carried in
    # Test positions that reach the model exactly as a training position with the same target
    # did (``seqviz.novelty``): predicting them cannot tell learned from memorised.
    seen: tuple[int, ...] = ()


def prediction_feed(
    text: str | Dataset,
    framing: str,
    train: Dataset,
    train_feed: Feed,
    batch_size: int,
    policy: str,
    seed: int,
) -> PredictionFeed:
    """Frame ``text`` with the training vocabulary (or take an already framed test part, as
    a CSV's last rows) and lay it out as ``train_feed`` was, with the prediction's batch size.

    Raises:
        SeqvizError: unknown tokens, or a batch size or state policy Keras could not run.
    """
    if isinstance(text, Dataset):
        dataset = text
    elif train.numeric is not None:
        from seqviz.numeric import numeric_dataset

        dataset = numeric_dataset(text, framing, train.numeric.scaling, test=True)
    else:
        dataset = make_dataset(text, framing, vocabulary=train.vocabulary)
    layout = train_feed.layout
    assert layout is not None
    predicting = replace(layout, batch_size=batch_size, shuffle=False)
    try:
        feed = build_feed(dataset, predicting, train_feed.mode, seed)
    except SeqvizError as error:
        raise SeqvizError(f"Predicting the test sequence with batch size {batch_size}: {error}") from None
    carried = policy == "carry" and layout.stateful
    if carried and batch_size != layout.batch_size:
        raise SeqvizError(
            "Carrying the state training ended in needs the prediction batch size to equal the training "
            f"batch size ({layout.batch_size}): the state has one row per sample of a batch; "
            f"got {batch_size}."
        )
    seen = seen_positions(train_feed.keys, train.target_keys, feed.keys, dataset.target_keys, carried)
    return PredictionFeed(dataset, feed, carried, tuple(seen))


@dataclass(frozen=True)
class PredictionPass:
    """One prediction pass: the output and every layer's ``h`` at each test position."""

    probabilities: np.ndarray  # (positions, V)
    h: list[np.ndarray]  # per layer, first to last: (positions, units), the h leaving the step
    # With ``reset_at``: whether every state it set to zeros was all zeros already (None: no reset)
    reset_was_zero: bool | None = None


def predict_pass(
    feed: Feed, weights: Weights, output: str, start: list[States] | None = None, reset_at: int | None = None
) -> PredictionPass:
    """The output and the states at every position of ``feed``, in float64.

    Args:
        start: per layer, the states the first batch starts from (carried from training);
            None: zeros.
        reset_at: a position; the state is set to zeros just before its input is read.
    """
    w = weights.astype(np.float64)
    cell, b = w.cell_type, feed.batch_size
    n, steps = feed.samples, feed.timesteps
    positions = int(feed.positions.max()) + 1
    out = np.zeros((positions, feed.y.shape[-1]))
    h = [np.zeros((positions, w.units)) for _ in w.layers]
    inputs = feed.input_positions if feed.input_positions is not None else np.full((n, steps), -1)
    x = feed.x.astype(np.float64)
    mask = feed.step_mask if feed.step_mask is not None else np.ones((n, steps))
    states: list[States] = []
    was_zero: bool | None = None
    for first in range(0, n, b):
        rows = np.arange(first, min(first + b, n))
        zeros = [network.zero_states(cell, len(rows), w.units, np.float64) for _ in w.layers]
        if first == 0:
            states = zeros if start is None else [tuple(np.array(a, np.float64) for a in s) for s in start]
        elif feed.replay_starts_from_zeros(first):  # the plan's rule (Feed.source)
            states = zeros
        for t in range(steps):
            hit = inputs[rows, t] == reset_at if reset_at is not None else np.zeros(len(rows), bool)
            if hit.any():
                zero = all(not a[hit].any() for layer in states for a in layer)
                was_zero = zero if was_zero is None else was_zero and zero
                keep = (~hit)[:, None].astype(np.float64)
                states = [tuple(a * keep for a in layer) for layer in states]
            traces, logits = network.forward(w, x[rows, t : t + 1], states, mask[rows, t : t + 1])
            states = [trace.final for trace in traces]
            probabilities = OUTPUTS[output].probabilities(logits[:, 0])
            for i, r in enumerate(rows):
                q = feed.positions[r, t]
                if q >= 0:
                    out[q] = probabilities[i]
                    for layer, trace in enumerate(traces):
                        h[layer][q] = trace.h[i, 0]
    return PredictionPass(out, h, was_zero)


def predict_positions(
    feed: Feed, weights: Weights, output: str, start: list[States] | None = None, reset_at: int | None = None
) -> np.ndarray:
    """The output at every position of ``feed``, (positions, V): :func:`predict_pass`'s."""
    return predict_pass(feed, weights, output, start, reset_at).probabilities
