"""What "predicted" means for numbers (the linear output), so regression runs get the same three
verdicts as token runs: cannot fit, memorised, learned.

A set of positions counts as **predicted** when its mean squared error is at most ``TOLERANCE``
(10%) of the variance of its own targets: the model explains at least 90% of the variance
(R² ≥ 0.9). One position counts as **right** when its squared error is at most ``TOLERANCE``
times that variance. A mode **cannot fit** when even its loss floor (the best any weights can do,
``seqviz.floor``) is above ``TOLERANCE`` of the training targets' variance. The ratios do not
depend on the units, so they read the same on the scaled values the model sees and on the
numbers as given.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

TOLERANCE = 0.1


def spread(targets: Sequence[float] | np.ndarray) -> float:
    """The targets' variance; 1 when they are all equal (then the error is read as it is)."""
    values = np.asarray(targets, np.float64)
    variance = float(values.var()) if values.size else 0.0
    return variance if variance > 0 else 1.0


def relative_error(
    outputs: Sequence[float] | np.ndarray,
    targets: Sequence[float] | np.ndarray,
    scale: Sequence[float] | np.ndarray | None = None,
) -> float:
    """Mean squared error over the variance of ``scale`` (default: the targets themselves, so
    1 − R²). A test part is measured against the training targets' variance, the yardstick each
    of its positions is judged by (``close``): a short test part's own variance can be tiny."""
    out, want = np.asarray(outputs, np.float64), np.asarray(targets, np.float64)
    if not want.size:
        return 0.0
    return float(((out - want) ** 2).mean()) / spread(want if scale is None else scale)


def predicted(outputs: Sequence[float] | np.ndarray, targets: Sequence[float] | np.ndarray) -> bool:
    return relative_error(outputs, targets) <= TOLERANCE


def close(output: float, target: float, variance: float) -> bool:
    """One position within tolerance: squared error at most ``TOLERANCE`` of the variance."""
    return (output - target) ** 2 <= TOLERANCE * variance


def verdict(
    floor: float,
    train_targets: Sequence[float],
    train_outputs: Sequence[float],
    test: tuple[Sequence[float], Sequence[float]] | None,
) -> str | None:
    """``cannot fit``, ``memorised``, ``learned`` or None (no test part, not fitted yet, or no
    test position new to the mode).

    Args:
        floor: the mode's loss floor, in the units of ``train_targets``.
        test: the (outputs, targets) of the test positions new to the mode (``seqviz.novelty``),
            or None; it counts as predicted within ``TOLERANCE`` of the training targets' variance.
    """
    if cannot_fit(floor, train_targets):
        return "cannot fit"
    if test is None or not test[1] or not predicted(train_outputs, train_targets):
        return None
    return "learned" if relative_error(*test, scale=train_targets) <= TOLERANCE else "memorised"


def cannot_fit(floor: float, train_targets: Sequence[float] | np.ndarray) -> bool:
    """The floor is above ``TOLERANCE`` of the training targets' variance: no weights fit them."""
    return floor > TOLERANCE * spread(train_targets)
