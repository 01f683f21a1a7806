"""Which positions of a test sequence repeat the training data, and so cannot tell a learned rule
from a memorised stream.

A model that memorised its training stream predicts any stretch of that stream it is shown
again; only where the test departs from the training data does predicting it take the rule.
Position j of a test sequence *repeats* training when the test's pairs (input and target) from
that sequence's start through j occur, in the same order, somewhere in one training sequence.
Once a test sequence departs, every later position of it is new: its history has never been seen.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

from seqviz.sequence import Dataset


def _keys(dataset: Dataset) -> list[tuple[Hashable, Hashable]]:
    return list(zip(dataset.input_keys, dataset.target_keys, strict=True))


def longest_repeat(test: Sequence[Hashable], train: Sequence[Sequence[Hashable]]) -> int:
    """How many leading items of ``test`` occur, in order and contiguous, in one of ``train``."""
    best = 0
    for stream in train:
        for start in range(len(stream)):
            n = 0
            while n < len(test) and start + n < len(stream) and stream[start + n] == test[n]:
                n += 1
            best = max(best, n)
            if best == len(test):
                return best
    return best


def repeated_positions(train: Dataset, test: Dataset) -> list[int]:
    """The test positions whose history (their sequence's pairs from its start) repeats training."""
    train_keys, test_keys = _keys(train), _keys(test)
    streams = [[train_keys[p] for p in positions] for positions in train.lines]
    seen: list[int] = []
    for positions in test.lines:
        n = longest_repeat([test_keys[p] for p in positions], streams)
        seen.extend(positions[:n])
    return seen
