"""The loss floor: the lowest loss a feeding mode can reach on a dataset at all.

Positions whose visible input is identical (a feed's ``keys``) reach the LSTM in identical
states, so the model must give them identical outputs. The best shared output for such a
group is the mean of its targets (one-hot vectors for tokens, numbers for regression); the
floor is the loss that output costs: cross-entropy for tokens, and for numbers (mean squared
error) the mean squared deviation of each target from its group's mean.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np


def identical_groups(keys: Sequence[Hashable]) -> list[list[int]]:
    """Groups (size ≥ 2) of positions with identical visible input, in order of first position."""
    groups: dict[Hashable, list[int]] = defaultdict(list)
    for position, key in enumerate(keys):
        groups[key].append(position)
    return [members for members in groups.values() if len(members) > 1]


def ambiguous_positions(keys: Sequence[Hashable], targets: Sequence[Hashable]) -> list[int]:
    """Positions that share their visible input with a position that has a different target."""
    out = []
    for members in identical_groups(keys):
        if len({targets[p] for p in members}) > 1:
            out.extend(members)
    return sorted(out)


def _binary_entropy(p: np.ndarray) -> np.ndarray:
    q = np.clip(p, 1e-12, 1 - 1e-12)
    return np.where((p > 0) & (p < 1), -(q * np.log(q) + (1 - q) * np.log(1 - q)), 0.0)


def regression_floor(keys: Sequence[Hashable], targets: Sequence[float]) -> float:
    """The lowest mean squared error: every group of look-alike positions predicted at its
    targets' mean, so the floor is the mean over positions of the squared deviation from it."""
    groups: dict[Hashable, list[float]] = defaultdict(list)
    for position, key in enumerate(keys):
        groups[key].append(float(targets[position]))
    total = 0.0
    for values in groups.values():
        if len(set(values)) > 1:  # equal targets cost exactly nothing, rounding aside
            spread = np.asarray(values, np.float64)
            total += float(((spread - spread.mean()) ** 2).sum())
    return total / len(keys)


def loss_floor(keys: Sequence[Hashable], targets: Sequence[Any], vocab_size: int, output: str) -> float:
    """Mean loss per position of the best outputs that respect the feed's ambiguity.

    Args:
        keys: per position, everything the model sees when predicting it.
        targets: per position, the target's vocabulary index.
        output: ``sigmoid`` (binary cross-entropy, mean over the V outputs),
            ``softmax`` (categorical cross-entropy) or ``linear`` (mean squared error; the
            targets are numbers).
    """
    if output == "linear":
        return regression_floor(keys, targets)
    groups: dict[Hashable, list[int]] = defaultdict(list)
    for position, key in enumerate(keys):
        groups[key].append(targets[position])
    total = 0.0
    for group_targets in groups.values():
        freq = np.bincount(group_targets, minlength=vocab_size) / len(group_targets)
        if output == "sigmoid":
            per_position = float(_binary_entropy(freq).mean())
        else:
            nz = freq[freq > 0]
            per_position = float(-(nz * np.log(nz)).sum())
        total += per_position * len(group_targets)
    return total / len(keys)
