"""Feeding modes: how the (input → target) pairs become the X, Y and batches Keras sees.

``MODES`` maps each name (the same in the CLI, the URL and the UI) to a :class:`ModeSpec`, the
one record that holds everything about a mode: its feed builder, help, the options it reads
and the data block of its exported ``train.py``. Position ``p`` always means pair ``p``; a
feed says which (sample, timestep) predicts each position, where each step's starting state
comes from, and which positions are indistinguishable to the model (the reason a mode cannot reach zero loss).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from seqviz.sequence import Dataset

if TYPE_CHECKING:
    from seqviz.config import RunConfig

ZEROS, PREVIOUS_STEP, PREVIOUS_BATCH = "zeros", "previous_step", "previous_batch"


@dataclass(frozen=True)
class Feed:
    """The arrays and wiring of one mode.

    ``x``, ``y`` are the training arrays padded to a common rank: (samples, timesteps, V).
    ``loss_mask`` (samples, timesteps) is 1 where a timestep's output is trained;
    ``positions`` (samples, timesteps) holds the position predicted there, or -1.
    """

    mode: str
    x: np.ndarray
    y: np.ndarray
    loss_mask: np.ndarray
    positions: np.ndarray
    batch_size: int
    stateful: bool
    return_sequences: bool
    keys: tuple[Hashable, ...]  # per position: everything the model can see when predicting it
    description: str

    @property
    def samples(self) -> int:
        return int(self.x.shape[0])

    @property
    def timesteps(self) -> int:
        return int(self.x.shape[1])

    @property
    def x_shape(self) -> list[int]:
        return list(self.x.shape)

    @property
    def y_shape(self) -> list[int]:
        """Y as Keras sees it: (samples, V) unless every timestep is returned."""
        if self.return_sequences:
            return list(self.y.shape)
        return [self.y.shape[0], self.y.shape[2]]

    def source(self, sample: int, step: int) -> tuple[str, tuple[int, int] | None]:
        """Where the state entering (sample, step) comes from, as (kind, (sample, step))."""
        if step > 0:
            return PREVIOUS_STEP, (sample, step - 1)
        if self.stateful and sample >= self.batch_size:
            return PREVIOUS_BATCH, (sample - self.batch_size, self.timesteps - 1)
        return ZEROS, None


def _targets(dataset: Dataset) -> np.ndarray:
    return dataset.vocabulary.one_hot(dataset.targets)


def _one_step_feed(dataset: Dataset, mode: str, batch_size: int, stateful: bool) -> Feed:
    k = len(dataset.pairs)
    x = dataset.vocabulary.one_hot(dataset.inputs)[:, None, :]
    y = _targets(dataset)[:, None, :]
    if stateful:
        # Sample i of batch b continues sample i of batch b-1: its whole stream so far is visible.
        keys = tuple(tuple(dataset.inputs[p % batch_size : p + 1 : batch_size]) for p in range(k))
        description = (
            f"{k} samples of 1 step, stateful=True, batch size {batch_size}: sample i of each batch "
            "starts from the final state of sample i of the previous batch; state is reset at every epoch."
        )
    else:
        keys = tuple((t,) for t in dataset.inputs)
        description = (
            f"{k} samples of 1 step, batch size {batch_size}: every sample starts from zeros, "
            "so a sample sees only its own input token."
        )
    return Feed(
        mode=mode,
        x=x,
        y=y,
        loss_mask=np.ones((k, 1), dtype=np.float32),
        positions=np.arange(k)[:, None],
        batch_size=batch_size,
        stateful=stateful,
        return_sequences=False,
        keys=keys,
        description=description,
    )


def stateless_feed(dataset: Dataset, config: RunConfig) -> Feed:
    k = len(dataset.pairs)
    return _one_step_feed(dataset, "stateless", config.batch_size or k, stateful=False)


def stateful_feed(dataset: Dataset, config: RunConfig) -> Feed:
    return _one_step_feed(dataset, "stateful", config.batch_size or 1, stateful=True)


def sequence_feed(dataset: Dataset, config: RunConfig) -> Feed:
    k = len(dataset.pairs)
    inputs = dataset.inputs
    return Feed(
        mode="sequence",
        x=dataset.vocabulary.one_hot(inputs)[None, :, :],
        y=_targets(dataset)[None, :, :],
        loss_mask=np.ones((1, k), dtype=np.float32),
        positions=np.arange(k)[None, :],
        batch_size=1,
        stateful=False,
        return_sequences=True,
        keys=tuple(tuple(inputs[: p + 1]) for p in range(k)),
        description=(
            f"1 sample of {k} steps with return_sequences=True: each step starts from the state "
            "the previous step left, and every step's output is trained."
        ),
    )


def window_keys(inputs: list[int], w: int) -> tuple[tuple[int | None, ...], ...]:
    """Per position, the last ``w`` inputs up to it; None pads the start."""
    return tuple(
        tuple([None] * max(0, w - 1 - p) + list[int | None](inputs[max(0, p - w + 1) : p + 1]))
        for p in range(len(inputs))
    )


def window_feed(dataset: Dataset, config: RunConfig) -> Feed:
    k, w, v = len(dataset.pairs), config.window, dataset.vocabulary.size
    inputs = dataset.inputs
    x = np.zeros((k, w, v), dtype=np.float32)
    y = np.zeros((k, w, v), dtype=np.float32)
    positions = np.full((k, w), -1)
    mask = np.zeros((k, w), dtype=np.float32)
    keys = window_keys(inputs, w)
    targets = _targets(dataset)
    for p, window in enumerate(keys):
        for t, token in enumerate(window):
            if token is not None:
                x[p, t, token] = 1.0
        y[p, -1] = targets[p]
        positions[p, -1] = p
        mask[p, -1] = 1.0
    return Feed(
        mode="window",
        x=x,
        y=y,
        loss_mask=mask,
        positions=positions,
        batch_size=config.batch_size or k,
        stateful=False,
        return_sequences=False,
        keys=keys,
        description=(
            f"{k} samples of {w} steps (a sliding window, zero-padded at the start): each sample "
            f"starts from zeros and sees the last {w} inputs up to its position."
        ),
    )


@dataclass(frozen=True)
class ModeSpec:
    """Everything about one feeding mode."""

    name: str
    build: Callable[[Dataset, RunConfig], Feed]  # the X, Y, batches and wiring
    help: str  # one line, for the form, the CLI and the docs
    options: tuple[str, ...]  # the options it reads beyond the common ones
    export_data: str  # the data block of train.py ({k} pairs, {v} features, {w} timesteps)

    def __call__(self, dataset: Dataset, config: RunConfig) -> Feed:
        return self.build(dataset, config)


MODES: dict[str, ModeSpec] = {
    spec.name: spec
    for spec in (
        ModeSpec(
            "stateless",
            stateless_feed,
            "K samples of one step; state never crosses samples (the question's Example 1)",
            ("batch_size",),
            """\
# {k} samples of 1 step each: X (samples, timesteps, features) = ({k}, 1, {v}), Y ({k}, {v}).
X = one_hot(inputs)[:, None, :]
Y = one_hot(targets)
""",
        ),
        ModeSpec(
            "stateful",
            stateful_feed,
            "stateful=True: sample i of batch k+1 continues sample i of batch k (Example 2)",
            ("batch_size",),
            """\
# {k} samples of 1 step each: X ({k}, 1, {v}), Y ({k}, {v}). With stateful=True, sample i of
# batch b+1 starts from the final state of sample i of batch b.
X = one_hot(inputs)[:, None, :]
Y = one_hot(targets)
""",
        ),
        ModeSpec(
            "sequence",
            sequence_feed,
            "one sample of K steps, return_sequences=True (the accepted answer)",
            (),
            """\
# One sample of {k} steps: X (1, {k}, {v}), Y (1, {k}, {v}); return_sequences=True trains
# the output of every step, and each step starts from the state the previous one left.
X = one_hot(inputs)[None, :, :]
Y = one_hot(targets)[None, :, :]
""",
        ),
        ModeSpec(
            "window",
            window_feed,
            "each sample holds the last w inputs (the other common fix)",
            ("window", "batch_size"),
            """\
# {k} samples, each the last W inputs up to its position (zero-padded at the start):
# X ({k}, W, {v}), Y ({k}, {v}).
W = {w}
X = np.zeros((len(inputs), W, len(vocabulary)), dtype="float32")
for k in range(len(inputs)):
    for t in range(W):
        j = k - (W - 1) + t
        if j >= 0:
            X[k, t, stoi[inputs[j]]] = 1.0
Y = one_hot(targets)
""",
        ),
    )
}
MODE_HELP = {name: spec.help for name, spec in MODES.items()}
