"""The general layout: how (input → target) pairs become samples, batches and state flow.

A :class:`Layout` holds the options a Keras user sets: timesteps per sample (1, w, or the whole
sequence), sliding windows or consecutive chunks, ``stateful``, the batch size, for stateful
batches of more than one sample the arrangement (``lanes``: contiguous streams side by side,
the correct layout; ``rows``: consecutive samples in each batch, a common mistake),
``shuffle``, ``return_sequences`` and the reset policy. :func:`build_feed` turns a dataset and a
layout into the arrays Keras sees (:class:`seqviz.modes.Feed`) with, per position, what the
model can see when predicting it and what the gradient can reach.

Rules are checked here with messages that name the option. A stateful layer's state has one row
per sample of a batch, so seqviz asks every batch to have the same size (its sample count must
divide by the batch size). Keras itself does not refuse a short last stateful batch: ``fit`` runs
it with the one sample's state spread over every row, or fails deep in TensorFlow on mismatched
shapes (``tests/test_keras_behaviour.py`` shows both).
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import Literal

from seqviz.errors import SeqvizError
from seqviz.sequence import Dataset

ALL_STEPS = "all"
Arrange = Literal["lanes", "rows"]  # the keys of ARRANGEMENTS (a test holds them equal)
Reset = Literal["epoch", "never", "sequence"]  # the keys of RESETS
ARRANGEMENTS = {
    "lanes": "contiguous streams side by side (correct)",
    "rows": "rows in order (a common mistake)",
}
RESETS = {
    "epoch": "reset_state() after every epoch (a loop or a callback)",
    "never": "never reset: what fit(epochs=N) does by itself",
    "sequence": "reset between sequences",
}
KERAS_DEFAULT_BATCH = 32


@dataclass(frozen=True)
class Layout:
    """Everything about how a dataset is fed, as a Keras script would set it."""

    timesteps: int | None  # steps per sample; None: each sample is a whole sequence
    stride: int  # 1: sliding windows (zero-padded at the start); = timesteps: consecutive chunks
    stateful: bool
    batch_size: int
    arrange: Arrange  # stateful, batch size > 1
    shuffle: bool  # fit(shuffle=True): a new sample order every epoch
    reset: Reset  # stateful only
    return_sequences: bool

    @property
    def sliding(self) -> bool:
        return self.timesteps is not None and self.timesteps > 1 and self.stride == 1


@dataclass(frozen=True)
class Sample:
    """One row of X: the positions at its steps (-1: padding) and whether each step is real."""

    sequence: int
    positions: tuple[int, ...]  # the position whose input sits at each step
    predicts: tuple[int, ...]  # the position predicted at each step, or -1
    real: tuple[bool, ...]  # False for post-padding, masked as Keras's Masking layer does
    pre_pad: int = 0  # zero steps before the first input (sliding windows): real, unmasked


def _samples_of(dataset: Dataset, layout: Layout) -> list[list[Sample]]:
    """Each sequence's samples, in order."""
    out = []
    for k in range(dataset.sequence_count):
        ps = dataset.positions_of(k)
        if layout.timesteps is None:
            out.append([Sample(k, tuple(ps), tuple(ps), (True,) * len(ps))])
        elif layout.timesteps == 1:
            out.append([Sample(k, (p,), (p,), (True,)) for p in ps])
        elif layout.sliding:
            w = layout.timesteps
            rows = []
            for j, p in enumerate(ps):
                window = ps[max(0, j - w + 1) : j + 1]
                pad = w - len(window)
                rows.append(Sample(k, (-1,) * pad + tuple(window), (-1,) * (w - 1) + (p,), (True,) * w, pad))
            out.append(rows)
        else:
            w = layout.timesteps
            chunks = [ps[c : c + w] for c in range(0, len(ps), w)]
            out.append([Sample(k, tuple(c), tuple(c), (True,) * len(c)) for c in chunks])
    return out


def arrange_samples(dataset: Dataset, layout: Layout) -> list[Sample | None]:
    """The rows of X in the order Keras reads them (batch after batch); None is a row of
    padding that keeps a lane's place (masked, trains nothing, carries the state through)."""
    per_sequence = _samples_of(dataset, layout)
    b = layout.batch_size
    if not (layout.stateful and b > 1 and layout.arrange == "lanes"):
        return [s for samples in per_sequence for s in samples]
    if len(per_sequence) > 1:
        lanes: list[list[Sample]] = per_sequence  # one sequence per lane
    else:
        flat = per_sequence[0]
        per_lane = len(flat) // b
        lanes = [flat[i * per_lane : (i + 1) * per_lane] for i in range(b)]
    depth = max(len(lane) for lane in lanes)
    return [lane[j] if j < len(lane) else None for j in range(depth) for lane in lanes]


def check(dataset: Dataset, layout: Layout) -> None:
    """Keras's rules and seqviz's, each refused with one message naming the option."""
    s = dataset.sequence_count
    lengths = [len(dataset.positions_of(k)) for k in range(s)]
    if layout.timesteps is not None and layout.timesteps > 1 and layout.stride not in (1, layout.timesteps):
        raise SeqvizError(
            f"The stride must be 1 (sliding windows) or equal to the timesteps, {layout.timesteps} "
            f"(consecutive chunks); got {layout.stride}."
        )
    if layout.sliding and layout.return_sequences:
        raise SeqvizError(
            "return_sequences with sliding windows would train every position in up to "
            f"{layout.timesteps} windows; seqviz shows each position once: use consecutive chunks "
            f"(stride {layout.timesteps}) or return_sequences off."
        )
    multi_step = layout.timesteps is None or (layout.timesteps > 1 and not layout.sliding)
    if multi_step and not layout.return_sequences and max(lengths) > 1:
        raise SeqvizError(
            "Samples of several steps without return_sequences train only each sample's last position; "
            "seqviz shows every position: turn return_sequences on, or use sliding windows (stride 1)."
        )
    if not layout.stateful:
        for name, value, default in (("reset", layout.reset, "epoch"), ("arrange", layout.arrange, "lanes")):
            if value != default:
                raise SeqvizError(f"The {name} option applies only to stateful layouts; turn stateful on.")
        return
    b = layout.batch_size
    if layout.reset == "sequence" and (
        layout.shuffle or (b > 1 and not (layout.arrange == "lanes" and s > 1))
    ):
        raise SeqvizError(
            "reset between sequences needs every batch to start one sequence at once: use batch size 1 "
            "(sequences one after another) or lanes with one sequence per lane, and no shuffle "
            "(Keras's reset_state() resets every sample of a batch)."
        )
    if b > 1 and layout.arrange == "lanes" and s > 1 and b != s:
        raise SeqvizError(
            f"With {s} sequences and the lanes arrangement, each lane holds one sequence: "
            f"the batch size must be {s}; got {b}."
        )
    lanes_of_sequences = b > 1 and layout.arrange == "lanes" and s > 1  # padded to equal depth
    if lanes_of_sequences and not layout.return_sequences:
        counts = {len(samples) for samples in _samples_of(dataset, layout)}
        if len(counts) > 1:
            raise SeqvizError(
                "These sequences give their lanes different numbers of samples, so shorter lanes are padded "
                "with empty rows, and with return_sequences off Keras does not mask their loss: turn "
                "return_sequences on, or give every sequence the same length."
            )
    n = (
        len(arrange_samples(dataset, layout))
        if lanes_of_sequences
        else sum(map(len, _samples_of(dataset, layout)))
    )
    if n % b:
        divisors = [d for d in range(1, n + 1) if n % d == 0]
        raise SeqvizError(
            f"The batch size {b} does not divide the {n} samples; a stateful layer needs every batch "
            f"to have the same size (its state has one row per sample of a batch): choose one of "
            f"{', '.join(map(str, divisors))}."
        )


def keys(dataset: Dataset, layout: Layout, rows: list[Sample | None], carried: bool) -> tuple[Hashable, ...]:
    """Per position, everything that reaches the model when it predicts it.

    Args:
        carried: count the state carried in from the previous batch (what the model can see);
            False gives only the steps of the position's own sample, which is all that the
            loss's gradient reaches (backpropagation stops at the sample's first step).
    """
    inputs = dataset.input_keys
    pad = dataset.padding_key
    out: dict[int, Hashable] = {}
    b = layout.batch_size
    end: dict[int, tuple[object, ...]] = {}
    first_of_sequence = _first_rows(rows, b, layout)
    for r, sample in enumerate(rows):
        if sample is None:
            end[r] = end.get(r - b, ()) if r >= b else ()
            continue
        start: tuple[object, ...] = ()
        if carried and layout.stateful and not layout.shuffle and r >= b and r not in first_of_sequence:
            start = end[r - b]
        seen = list(start)
        seen += [pad] * sample.pre_pad
        for step, position in enumerate(sample.positions):
            if position >= 0:
                seen.append(inputs[position])
            predicted = sample.predicts[step]
            if predicted >= 0:
                out[predicted] = tuple(seen)
        end[r] = tuple(seen)
    return tuple(out[p] for p in range(len(inputs)))


def _first_rows(rows: list[Sample | None], b: int, layout: Layout) -> set[int]:
    """Rows whose state is reset before them (reset="sequence": a new sequence in the lane)."""
    if layout.reset != "sequence":
        return set()
    out = set()
    for r, sample in enumerate(rows):
        before = rows[r - b] if r >= b else None
        if sample is not None and before is not None and before.sequence != sample.sequence:
            out.add(r)
    return out


def reset_rows(rows: list[Sample | None], layout: Layout) -> set[int]:
    return _first_rows(rows, layout.batch_size, layout)
