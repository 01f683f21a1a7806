"""A mode's predictions at any weight snapshot, as the epoch slider shows them: per position the
top token and whether it counts as right (tokens), or the output in the target's own units
(numbers). The page reads these; it never picks a token, a mark or a scale itself."""

from __future__ import annotations

from dataclasses import replace

from seqviz.results import ModeResult, Prediction
from seqviz.sequence import Dataset


def predictions_at(mode: ModeResult, vocabulary: list[str], snapshot: int | None) -> list[Prediction]:
    """Each position's prediction from ``snapshot``'s outputs (None: the final weights).

    Args:
        vocabulary: ``Run.vocabulary``, the order of each output's probabilities.
        snapshot: an index into ``mode.snapshots``.
    Returns:
        Per position, the top token (the first of equal ones), its probability, and ``correct``
        as ``Prediction.right_if`` counts it (a tie never is), so ``mark`` is its ✓/✗/tie.
    """
    out = []
    for p in mode.predictions:
        probs = p.probabilities if snapshot is None else mode.snapshots[snapshot].probabilities[p.position]
        best = max(range(len(probs)), key=probs.__getitem__)
        token = vocabulary[best]
        out.append(
            replace(
                p, predicted=token, probability=probs[best], correct=p.right_if(token), probabilities=probs
            )
        )
    return out


def target_scale(dataset: Dataset) -> tuple[float, float]:
    """(scale, mean) that turn a regression model's outputs into the target's units; (1, 0) for tokens."""
    numeric = dataset.numeric
    return (1.0, 0.0) if numeric is None else (numeric.scaling.target_scale, numeric.scaling.target_mean)


def values_at(mode: ModeResult, snapshot: int | None, scale: tuple[float, float]) -> list[float]:
    """A regression mode's output at each position, in the target's units, from ``snapshot``'s
    outputs (None: the final weights' stored output).

    Args:
        scale: ``target_scale`` of the run's dataset.
    """
    out = []
    for p in mode.predictions:
        output = p.probability if snapshot is None else mode.snapshots[snapshot].probabilities[p.position][0]
        out.append(output * scale[0] + scale[1])
    return out
