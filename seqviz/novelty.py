"""Which positions of a test sequence are new to a trained mode, and so can tell a learned rule
from a memorised training set.

A mode's feed says, per position, everything that reaches the model when it predicts it (its
``keys``: the input alone, a window, the inputs so far in a chunk or a sequence, a carried
stream). A test position whose key, together with its target, is the key and target of some
training position reaches the model exactly as that training position did: predicting it right
shows only that the training data was fitted, whether by a rule or by memory. Only a test position
whose key no training position had (or had with another target) asks the model for something it
was never shown. This is judged by what *that mode* sees, not by the sequence's history: a
stateless mode that was shown every (input, target) pair has seen every test built from them, in
any order; a stream carried in from training is never a key training saw.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence


def seen_positions(
    train_keys: Sequence[Hashable],
    train_targets: Sequence[Hashable],
    test_keys: Sequence[Hashable],
    test_targets: Sequence[Hashable],
    carried: bool = False,
) -> list[int]:
    """The test positions whose (key, target) is some training position's.

    Args:
        train_keys, test_keys: per position, what the mode sees (``Feed.keys``), in one
            representation (the test is framed with the training vocabulary or scaling).
        carried: the test pass starts from the state training ended in; that state carries the
            whole training stream, so no test position's key is one training saw.
    """
    if carried:
        return []
    shown = set(zip(train_keys, train_targets, strict=True))
    return [p for p, pair in enumerate(zip(test_keys, test_targets, strict=True)) if pair in shown]
