"""Typed text to tokens, a vocabulary with encode/decode, and framings into (input → target) pairs.

The text may hold several independent sequences (documents, series, sessions), one per line or
separated by ``|``; each is framed on its own, so no pair crosses from one sequence to the next.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Literal

import numpy as np

from seqviz.errors import SeqvizError
from seqviz.limits import Limits

# "|" ends a sequence wherever it stands, so it also ends the token before it ("a b|c d").
_SEPARATORS = re.compile(r"[\s,|]+")
_SEQUENCE_BREAKS = re.compile(r"[\n\r|]+")
_INTEGER = re.compile(r"[+-]?\d+")

if TYPE_CHECKING:
    from seqviz.scaling import Numeric


def split_sequences(text: str) -> list[str]:
    """The text of each sequence: lines, or parts between ``|``; blank ones dropped."""
    return [part for part in _SEQUENCE_BREAKS.split(text) if _SEPARATORS.sub("", part)]


def parse_tokens(text: str, limits: Limits = Limits()) -> list[str]:
    """Split typed text on whitespace, commas and ``|`` (between sequences) into non-empty tokens.

    Raises:
        SeqvizError: the text is blank, too long, or holds too many tokens.
    """
    if not isinstance(text, str):
        raise SeqvizError("The sequence must be text.")
    if len(text) > limits.max_chars:
        raise SeqvizError(f"The sequence is {len(text)} characters long; the limit is {limits.max_chars}.")
    tokens = [t for t in _SEPARATORS.split(text) if t]
    if not tokens:
        raise SeqvizError("The sequence is empty: type tokens separated by spaces or commas, e.g. 0 1 0 2.")
    if len(tokens) > limits.max_tokens:
        raise SeqvizError(f"The sequence has {len(tokens)} tokens; the limit is {limits.max_tokens}.")
    return tokens


@dataclass(frozen=True)
class Vocabulary:
    """The distinct tokens in a fixed order; index ``k`` is one-hot feature ``k``."""

    itos: tuple[str, ...]

    @classmethod
    def from_tokens(cls, tokens: Sequence[str]) -> Vocabulary:
        """Integers sort numerically (so ``0 1 0 2`` encodes as in Keras examples); else first appearance."""
        distinct = list(dict.fromkeys(tokens))
        if all(_INTEGER.fullmatch(t) for t in distinct):
            distinct.sort(key=lambda t: (int(t), t))
        return cls(tuple(distinct))

    @property
    def size(self) -> int:
        return len(self.itos)

    def encode(self, tokens: Sequence[str]) -> list[int]:
        stoi = {t: k for k, t in enumerate(self.itos)}
        return [stoi[t] for t in tokens]

    def decode(self, indices: Sequence[int]) -> list[str]:
        return [self.itos[int(k)] for k in indices]

    def one_hot(self, indices: Sequence[int]) -> np.ndarray:
        """Shape ``(len(indices), size)``, float32."""
        out = np.zeros((len(indices), self.size), dtype=np.float32)
        out[np.arange(len(indices)), np.asarray(indices, dtype=int)] = 1.0
        return out


Pair = tuple[str, str]


def _pairs_framing(tokens: Sequence[str]) -> list[Pair]:
    if len(tokens) % 2:
        raise SeqvizError(
            f"The 'pairs' framing reads x1 y1 x2 y2 …, so it needs an even number of tokens; "
            f"got {len(tokens)}. Add or remove one token, or use the 'next' framing."
        )
    return [(tokens[k], tokens[k + 1]) for k in range(0, len(tokens), 2)]


def _next_framing(tokens: Sequence[str]) -> list[Pair]:
    return [(tokens[k], tokens[k + 1]) for k in range(len(tokens) - 1)]


Framing = Literal["pairs", "next"]  # the keys of FRAMINGS (a test holds them equal)
FRAMINGS: dict[str, Callable[[Sequence[str]], list[Pair]]] = {
    "pairs": _pairs_framing,
    "next": _next_framing,
}
FRAMING_HELP = {
    "pairs": "x1 y1 x2 y2 …: 0 1 0 2 means 0→1, 0→2 (the reference question)",
    "next": "each token predicts the next: 0 1 0 2 means 0→1, 1→0, 0→2",
}


@dataclass(frozen=True)
class Dataset:
    """Parsed sequences, framed into pairs, with their vocabulary and encodings.

    ``pairs`` holds every sequence's pairs in order; ``sequence_of[p]`` says which sequence
    position ``p`` belongs to (a single typed line is sequence 0).
    """

    tokens: tuple[str, ...]  # every token of every sequence, in order
    pairs: tuple[Pair, ...]
    vocabulary: Vocabulary
    sequence_of: tuple[int, ...] = ()  # per pair; empty means one sequence
    sequences: tuple[tuple[str, ...], ...] = ()  # each sequence's tokens; empty means one
    # Numbers (output "linear"): per position the real-valued features and target, scaled;
    # None: tokens, one-hot encoded with ``vocabulary``.
    numeric: Numeric | None = None

    @property
    def regression(self) -> bool:
        return self.numeric is not None

    @property
    def input_dim(self) -> int:
        """Features per timestep: the vocabulary size (one-hot), or the numeric columns."""
        return self.vocabulary.size if self.numeric is None else self.numeric.features

    @property
    def output_dim(self) -> int:
        """The Dense layer's width: the vocabulary size, or 1 for a number."""
        return self.vocabulary.size if self.numeric is None else 1

    @property
    def sequence_ids(self) -> tuple[int, ...]:
        return self.sequence_of or (0,) * len(self.pairs)

    @property
    def sequence_count(self) -> int:
        return max(self.sequence_ids) + 1

    def positions_of(self, sequence: int) -> list[int]:
        """The positions of one sequence, in order."""
        return [p for p, k in enumerate(self.sequence_ids) if k == sequence]

    @property
    def lines(self) -> list[list[int]]:
        """Each sequence's positions, in order, one list per sequence."""
        return [self.positions_of(k) for k in range(self.sequence_count)]

    @property
    def inputs(self) -> list[int]:
        """Per position the input's vocabulary index (tokens only; see ``input_keys``)."""
        return self.vocabulary.encode([x for x, _ in self.pairs])

    @property
    def targets(self) -> list[int]:
        return self.vocabulary.encode([y for _, y in self.pairs])

    @property
    def input_keys(self) -> list[Hashable]:
        """Per position exactly what the model reads: a vocabulary index, or the scaled features."""
        if self.numeric is not None:
            return list(self.numeric.x)
        return list(self.inputs)

    @property
    def padding_key(self) -> Hashable:
        """What a zero-padded step reads as: nothing (None) for tokens, whose one-hot steps are
        never all zero; for numbers an all-zero step, the same as a real step of zeros."""
        return None if self.numeric is None else (0.0,) * self.input_dim

    @property
    def target_keys(self) -> list[Hashable]:
        """Per position the target: a vocabulary index, or the scaled number."""
        if self.numeric is not None:
            return list(self.numeric.y)
        return list(self.targets)


def frame(text: str, framing: str, limits: Limits = Limits()) -> tuple[Dataset, list[str]]:
    """Split ``text`` into sequences and frame each into pairs, with no vocabulary yet.

    Returns:
        The framed dataset (an empty vocabulary) and every token, in order.
    Raises:
        SeqvizError: an unknown framing, a text too long, or a sequence with no pair.
    """
    if framing not in FRAMINGS:
        raise SeqvizError(f"Unknown framing {framing!r}; choose one of: {', '.join(FRAMINGS)}.")
    tokens = parse_tokens(text, limits)
    parts = [[t for t in _SEPARATORS.split(part) if t] for part in split_sequences(text)]
    empty = Vocabulary(())
    if len(parts) == 1:
        pairs = FRAMINGS[framing](tokens)
        if not pairs:
            raise SeqvizError("The sequence has no complete (input → target) pair: type at least two tokens.")
        return Dataset(tuple(tokens), tuple(pairs), empty), tokens
    pairs, sequence_of = [], []
    for k, part in enumerate(parts):
        try:
            framed = FRAMINGS[framing](part)
        except SeqvizError as error:
            raise SeqvizError(f"Sequence {k + 1} of {len(parts)}: {error}") from None
        if not framed:
            raise SeqvizError(
                f"Sequence {k + 1} of {len(parts)} ({' '.join(part)!r}) has no complete "
                "(input → target) pair: give each sequence at least two tokens."
            )
        pairs += framed
        sequence_of += [k] * len(framed)
    framed_all = Dataset(
        tuple(tokens), tuple(pairs), empty, tuple(sequence_of), tuple(tuple(p) for p in parts)
    )
    return framed_all, tokens


def make_dataset(
    text: str, framing: str, limits: Limits = Limits(), vocabulary: Vocabulary | None = None
) -> Dataset:
    """Parse, check and frame a typed sequence.

    Args:
        vocabulary: encode with this one (a test sequence uses the training vocabulary).
    Raises:
        SeqvizError: with a message a person can act on.
    """
    if framing not in FRAMINGS:
        raise SeqvizError(f"Unknown framing {framing!r}; choose one of: {', '.join(FRAMINGS)}.")
    tokens = parse_tokens(text, limits)
    if vocabulary is not None:
        unknown = [t for t in dict.fromkeys(tokens) if t not in vocabulary.itos]
        if unknown:
            listed = ", ".join(repr(t) for t in unknown[:5])
            raise SeqvizError(
                f"The test sequence has tokens the model never saw in training ({listed}); "
                f"use only the training vocabulary: {' '.join(vocabulary.itos)}."
            )
    else:
        vocabulary = Vocabulary.from_tokens(tokens)
    if vocabulary.size < 2:
        raise SeqvizError(
            f"The sequence has only one distinct token ({tokens[0]!r}); there is nothing to learn. "
            "Use at least two different tokens."
        )
    if vocabulary.size > limits.max_distinct:
        raise SeqvizError(
            f"The sequence has {vocabulary.size} distinct tokens; the limit is {limits.max_distinct}."
        )
    framed, _ = frame(text, framing, limits)
    return replace(framed, vocabulary=vocabulary)
