"""Feeding modes: how the (input → target) pairs become the X, Y and batches Keras sees.

``MODES`` maps each name (the same in the CLI, the URL and the UI) to a :class:`ModeSpec`, the
one record that holds everything about a mode: its feed builder, help, the options it reads
and the data block of its exported ``train.py``. Position ``p`` always means pair ``p``; a
feed says which (sample, timestep) predicts each position, where each step's starting state
comes from, and which positions are indistinguishable to the model (the reason a mode cannot reach zero loss).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from seqviz.errors import SeqvizError
from seqviz.layout import (
    ALL_STEPS,
    KERAS_DEFAULT_BATCH,
    Arrange,
    Layout,
    Reset,
    arrange_samples,
    check,
    keys,
    reset_rows,
)
from seqviz.sequence import Dataset


class LayoutOptions(Protocol):
    """The options a mode's layout reads; ``seqviz.config.LayoutOptions`` holds them all (a protocol,
    so the plan layer needs nothing from the config layer above it)."""

    @property
    def batch_size(self) -> int | None: ...
    @property
    def window(self) -> int: ...
    @property
    def seed(self) -> int: ...
    @property
    def timesteps(self) -> str: ...
    @property
    def stride(self) -> int | None: ...
    @property
    def stateful(self) -> bool: ...
    @property
    def arrange(self) -> Arrange: ...
    @property
    def shuffle(self) -> bool: ...
    @property
    def reset(self) -> Reset: ...
    @property
    def return_sequences(self) -> bool: ...


ZEROS, PREVIOUS_STEP, PREVIOUS_BATCH = "zeros", "previous_step", "previous_batch"
# Where a sample's first step takes its state from during training, where that is not the same
# in every epoch: ``reset="never"`` carries the previous epoch's last batch into the first one
# (zeros in the first epoch only); ``shuffle=True`` on a stateful layer carries whichever row
# preceded it in that epoch's order (zeros when it lands in an epoch's first batch).
PREVIOUS_EPOCH, SHUFFLED = "previous_epoch", "shuffled"


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
    step_mask: np.ndarray | None = None  # (samples, timesteps): 0 for masked padding; None: no mask
    reset_rows: frozenset[int] = frozenset()  # rows whose state is reset before them (new sequence)
    shuffle: bool = False  # a new sample order every epoch (fit's shuffle=True)
    shuffle_seed: int = 0
    reset: str = "epoch"  # stateful only: "epoch" | "never" | "sequence"
    reach_keys: tuple[Hashable, ...] = ()  # per position: the inputs the loss's gradient reaches
    layout: Layout | None = None
    sample_sequence: tuple[int, ...] = ()  # per row of X: its sequence (-1: a lane's padding)
    input_positions: np.ndarray | None = None  # (samples, timesteps): the position whose input sits there

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

    @property
    def masked(self) -> bool:
        return self.step_mask is not None

    def epoch_order(self, epoch: int) -> np.ndarray:
        """The order of X's rows in ``epoch`` (from 0): as is, or a fixed permutation with shuffle."""
        if not self.shuffle:
            return np.arange(self.samples)
        return np.random.default_rng([self.shuffle_seed, epoch]).permutation(self.samples)

    def source(self, sample: int, step: int) -> tuple[str, tuple[int, int] | None]:
        """Where the state entering (sample, step) comes from, as (kind, (sample, step)), when
        the rows run in order (prediction, and training without shuffle)."""
        if step > 0:
            return PREVIOUS_STEP, (sample, step - 1)
        if self.stateful and sample >= self.batch_size and sample not in self.reset_rows:
            return PREVIOUS_BATCH, (sample - self.batch_size, self.timesteps - 1)
        return ZEROS, None

    @property
    def carries_across_epochs(self) -> bool:
        """A stateful layer never reset: each epoch starts from the state the last one left."""
        return self.stateful and self.reset == "never"

    def resets_before(self, first: int) -> bool:
        """Training's one batch-start rule, read by the NumPy trainer and the compiled loop: whether
        the batch that starts at row ``first`` of an epoch's order starts from zeros. Stateless
        batches always do; a stateful layer does at an epoch's first batch (unless it is never
        reset, when only the very first epoch starts from zeros) and, unshuffled, where a new
        sequence starts in a lane (``reset_rows``); otherwise it carries the last batch's state."""
        if not self.stateful:
            return True
        if first == 0:
            return not self.carries_across_epochs
        return first in self.reset_rows and not self.shuffle

    def replay_starts_from_zeros(self, first: int) -> bool:
        """Whether the replay (and a prediction pass) starts the batch at row ``first`` from zeros,
        the rows running in order from a reset: ``source`` of its first step."""
        return self.source(first, 0)[0] == ZEROS

    def training_source(self, sample: int, step: int) -> tuple[str, tuple[int, int] | None]:
        """Where the state entering (sample, step) comes from during training, in every epoch but
        the first where they differ: :meth:`source`, except that a stateful layer with shuffle
        carries in whatever row preceded this one in the epoch's order (``SHUFFLED``), and one that
        is never reset carries the previous epoch's last batch into its first (``PREVIOUS_EPOCH``,
        from the same index of the last batch)."""
        if step > 0 or not self.stateful:
            return self.source(sample, step)
        if self.shuffle:
            return SHUFFLED, None
        if sample < self.batch_size and self.reset == "never":
            last = self.samples - self.batch_size + sample
            return PREVIOUS_EPOCH, (last, self.timesteps - 1)
        return self.source(sample, step)


def build_feed(dataset: Dataset, layout: Layout, mode: str, seed: int = 0) -> Feed:
    """X, Y and the wiring of ``layout`` on ``dataset``.

    Raises:
        SeqvizError: the layout breaks a rule of Keras's or seqviz's (see ``layout.check``).
    """
    check(dataset, layout)
    rows = arrange_samples(dataset, layout)
    steps = max(len(r.positions) for r in rows if r is not None)
    n = len(rows)
    x = np.zeros((n, steps, dataset.input_dim), dtype=np.float32)
    y = np.zeros((n, steps, dataset.output_dim), dtype=np.float32)
    loss_mask = np.zeros((n, steps), dtype=np.float32)
    positions = np.full((n, steps), -1)
    input_positions = np.full((n, steps), -1)
    step_mask = np.zeros((n, steps), dtype=np.float32)
    numeric = dataset.numeric
    # One-hot tokens: a 1 at the token's index. Numbers: the scaled features, and the target
    # in y's one column.
    one_hot_in = dataset.inputs if numeric is None else []
    one_hot_out = dataset.targets if numeric is None else []
    x_values = None if numeric is None else numeric.x_array
    y_values = None if numeric is None else numeric.y_array
    for r, sample in enumerate(rows):
        if sample is None:
            continue
        step_mask[r, : len(sample.positions)] = 1.0
        for t, (p, q) in enumerate(zip(sample.positions, sample.predicts)):
            if p >= 0:
                if x_values is None:
                    x[r, t, one_hot_in[p]] = 1.0
                else:
                    x[r, t] = x_values[p]
                input_positions[r, t] = p
            if q >= 0:
                if y_values is None:
                    y[r, t, one_hot_out[q]] = 1.0
                else:
                    y[r, t, 0] = y_values[q]
                loss_mask[r, t], positions[r, t] = 1.0, q
    if numeric is not None and (step_mask == 0).any():
        _check_maskable(x, input_positions, numeric.scaling.kind)
    return Feed(
        mode=mode,
        x=x,
        y=y,
        loss_mask=loss_mask,
        positions=positions,
        batch_size=layout.batch_size,
        stateful=layout.stateful,
        return_sequences=layout.return_sequences,
        keys=keys(dataset, layout, rows, carried=True),
        description=describe(dataset, layout, n, steps, masked=bool((step_mask == 0).any())),
        step_mask=step_mask if (step_mask == 0).any() else None,
        reset_rows=frozenset(reset_rows(rows, layout)) if layout.stateful else frozenset(),
        shuffle=layout.shuffle,
        shuffle_seed=seed,
        reset=layout.reset,
        reach_keys=keys(dataset, layout, rows, carried=False),
        layout=layout,
        sample_sequence=tuple(-1 if r is None else r.sequence for r in rows),
        input_positions=input_positions,
    )


def _check_maskable(x: np.ndarray, input_positions: np.ndarray, scaling: str) -> None:
    """Keras's ``Masking(mask_value=0.0)`` skips every step whose features are all 0, so in a
    padded (masked) feed a real step of zeros would be skipped as padding too: refuse it."""
    zero = (x == 0).all(-1) & (input_positions >= 0)
    if zero.any():
        p = int(input_positions[zero][0])
        way = (
            "Use the standardise scaling (a value then reads as 0 only where it equals its column's mean), "
            "or a layout without padding (sequences of equal length)."
            if scaling == "none"
            else "With the standardise scaling a value that equals its column's mean reads as 0: use a "
            "layout without padding (sequences of equal length)."
        )
        raise SeqvizError(
            f"Position {p}'s features are all 0 as the model reads them, and this layout pads its samples "
            f"with masked zero steps: Keras's Masking layer would skip that step as padding. {way}"
        )


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def describe(dataset: Dataset, layout: Layout, samples: int, steps: int, masked: bool) -> str:
    """One paragraph about the layout, from its own facts (no sentence assumes a preset)."""
    b = layout.batch_size
    if layout.timesteps is None:
        shape = f"{_plural(samples, 'sample')} of {_plural(steps, 'step')}"
        if dataset.sequence_count > 1:
            shape += " (one per sequence)"
    elif layout.sliding:
        shape = f"{_plural(samples, 'sample')} of {steps} steps (a sliding window, zero-padded at the start)"
    elif layout.timesteps > 1:
        shape = f"{_plural(samples, 'sample')} of {steps} steps (consecutive chunks)"
    else:
        shape = f"{_plural(samples, 'sample')} of 1 step"
    if masked:
        shape += ", padded at the end and masked (the padding trains nothing and carries the state through)"
    flags = [f"batch size {b}"]
    flags += [
        name for name, on in (("stateful=True", layout.stateful), ("shuffle=True", layout.shuffle)) if on
    ]
    if layout.return_sequences:
        flags.append("return_sequences=True")
    return f"{shape}, {', '.join(flags)}: {_flow(layout, steps)}"


def _flow(layout: Layout, steps: int) -> str:
    if not layout.stateful:
        if layout.timesteps == 1:
            return "every sample starts from zeros, so a sample sees only its own input."
        if layout.sliding:
            return f"each sample starts from zeros and sees the last {steps} inputs up to its position."
        if layout.timesteps is None:
            return (
                "each step starts from the state the previous step left, and every step's output is trained."
            )
        return "each chunk starts from zeros: the state never crosses from one chunk to the next."
    b = layout.batch_size
    if b == 1:
        text = "each sample starts from the final state of the sample before it"
    elif layout.arrange == "lanes":
        text = (
            "sample i of each batch starts from the final state of sample i of the previous batch, and "
            "lane i holds one contiguous stream (the correct arrangement)"
        )
    else:
        text = (
            "sample i of each batch starts from the final state of sample i of the previous batch, but "
            "consecutive samples sit side by side in a batch, so lane i sees only every "
            f"{_ordinal(b)} sample "
            "(rows in order: a common mistake)"
        )
    text += (
        "; "
        + {
            "epoch": "the state is reset after every epoch (the script's own loop or callback: "
            "fit never resets it)",
            "never": "the state is never reset, so each epoch starts from the state the last one left, as "
            "fit(epochs=N) does by itself",
            "sequence": "the state is reset whenever a new sequence starts in a lane",
        }[layout.reset]
    )
    if layout.shuffle:
        text += (
            "; shuffle=True reorders the samples every epoch, so the state a sample receives comes from "
            "whichever sample preceded it in that epoch's order"
        )
    if steps > 1 or b > 1 or layout.timesteps == 1:
        text += "; the gradient stops at each sample's first step (truncated backpropagation through time)"
    return text + "."


def window_keys(inputs: Sequence[Hashable], w: int, pad: Hashable = None) -> tuple[tuple[Hashable, ...], ...]:
    """Per position, the last ``w`` inputs up to it; ``pad`` (``Dataset.padding_key``) pads the start."""
    return tuple(
        tuple([pad] * max(0, w - 1 - p) + list[Hashable](inputs[max(0, p - w + 1) : p + 1]))
        for p in range(len(inputs))
    )


def _layout(
    config: LayoutOptions,
    *,
    timesteps: int | None,
    stride: int = 1,
    stateful: bool = False,
    batch_size: int,
    arrange: Arrange = "lanes",
    return_sequences: bool = False,
) -> Layout:
    return Layout(timesteps, stride, stateful, batch_size, arrange, False, "epoch", return_sequences)


def stateless_layout(dataset: Dataset, config: LayoutOptions) -> Layout:
    return _layout(config, timesteps=1, batch_size=config.batch_size or len(dataset.pairs))


def stateful_layout(dataset: Dataset, config: LayoutOptions) -> Layout:
    return _layout(config, timesteps=1, stateful=True, batch_size=config.batch_size or 1, arrange="rows")


def sequence_layout(dataset: Dataset, config: LayoutOptions) -> Layout:
    """One sample per sequence, all of them in one batch unless a batch size is asked for (not
    stateful, so the last batch may be smaller, as ``fit`` allows)."""
    b = config.batch_size or dataset.sequence_count
    return _layout(config, timesteps=None, batch_size=b, return_sequences=True)


def window_layout(dataset: Dataset, config: LayoutOptions) -> Layout:
    return _layout(config, timesteps=config.window, batch_size=config.batch_size or len(dataset.pairs))


def chunks_layout(dataset: Dataset, config: LayoutOptions) -> Layout:
    b = config.batch_size or dataset.sequence_count
    w = config.window
    return _layout(config, timesteps=w, stride=w, stateful=True, batch_size=b, return_sequences=True)


def lanes_layout(dataset: Dataset, config: LayoutOptions) -> Layout:
    b = config.batch_size or (dataset.sequence_count if dataset.sequence_count > 1 else 2)
    return _layout(config, timesteps=1, stateful=True, batch_size=b)


def rows_layout(dataset: Dataset, config: LayoutOptions) -> Layout:
    return _layout(config, timesteps=1, stateful=True, batch_size=config.batch_size or 2, arrange="rows")


def custom_layout(dataset: Dataset, config: LayoutOptions) -> Layout:
    timesteps = None if config.timesteps == ALL_STEPS else int(config.timesteps)
    stride = config.stride or (timesteps or 1)
    if config.batch_size:
        b = config.batch_size
    elif config.stateful:
        b = dataset.sequence_count if config.arrange == "lanes" else 1
    else:
        rows = arrange_samples(dataset, Layout(timesteps, stride, False, 1, "lanes", False, "epoch", True))
        b = min(KERAS_DEFAULT_BATCH, len(rows))
    return Layout(
        timesteps,
        stride,
        config.stateful,
        b,
        config.arrange,
        config.shuffle,
        config.reset,
        config.return_sequences,
    )


@dataclass(frozen=True)
class ModeSpec:
    """Everything about one feeding mode."""

    name: str
    build: Callable[[Dataset, LayoutOptions], Feed]  # the X, Y, batches and wiring
    help: str  # one line, for the form, the CLI and the docs
    options: tuple[str, ...]  # the options it reads beyond the common ones
    export_data: str  # the data block of train.py ({k} pairs, {v} features, {w} timesteps); "":
    # the generic block that lists every row of X

    def __call__(self, dataset: Dataset, config: LayoutOptions) -> Feed:
        return self.build(dataset, config)


LayoutOf = Callable[[Dataset, LayoutOptions], Layout]


def _preset(layout: LayoutOf, mode: str) -> Callable[[Dataset, LayoutOptions], Feed]:
    def build(dataset: Dataset, config: LayoutOptions) -> Feed:
        return build_feed(dataset, layout(dataset, config), mode, config.seed)

    return build


_PRESETS: tuple[tuple[str, LayoutOf, str, tuple[str, ...], str], ...] = (
    (
        "stateless",
        stateless_layout,
        "K samples of one step; state never crosses samples (the question's Example 1)",
        ("batch_size",),
        """\
# {k} samples of 1 step each: X (samples, timesteps, features) = ({k}, 1, {v}), Y ({k}, {v}).
X = one_hot(inputs)[:, None, :]
Y = one_hot(targets)
""",
    ),
    (
        "stateful",
        stateful_layout,
        "stateful=True: sample i of batch k+1 continues sample i of batch k (Example 2)",
        ("batch_size",),
        """\
# {k} samples of 1 step each: X ({k}, 1, {v}), Y ({k}, {v}). With stateful=True, sample i of
# batch b+1 starts from the final state of sample i of batch b.
X = one_hot(inputs)[:, None, :]
Y = one_hot(targets)
""",
    ),
    (
        "sequence",
        sequence_layout,
        "one sample of K steps, return_sequences=True (the accepted answer)",
        ("batch_size",),
        "",
    ),
    (
        "window",
        window_layout,
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
    (
        "chunks",
        chunks_layout,
        "stateful chunks of w steps, return_sequences=True: truncated backpropagation through time",
        ("window", "batch_size"),
        "",
    ),
    (
        "lanes",
        lanes_layout,
        "stateful, batch size b: b contiguous streams side by side (the correct arrangement)",
        ("batch_size",),
        "",
    ),
    (
        "rows",
        rows_layout,
        "stateful, batch size b, consecutive rows side by side: a common mistake",
        ("batch_size",),
        "",
    ),
    (
        "custom",
        custom_layout,
        "every layout option: timesteps, stride, stateful, arrangement, shuffle, reset, return_sequences",
        ("batch_size", "timesteps", "stride", "stateful", "arrange", "shuffle", "reset", "return_sequences"),
        "",
    ),
)

MODES: dict[str, ModeSpec] = {
    name: ModeSpec(name, _preset(layout, name), text, options, data)
    for name, layout, text, options, data in _PRESETS
}
COMPARED = ("stateless", "stateful", "sequence", "window")  # what "all" trains side by side
MODE_HELP = {name: spec.help for name, spec in MODES.items()}
