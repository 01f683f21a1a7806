"""The token verdicts: which test positions a verdict is scored on, and cannot fit, memorised or
learned from a mode's floor, its fit and its test pass (numbers: ``seqviz.regression``). Read by
the engine, which stores each mode's verdict, and by the facts, which say why."""

from __future__ import annotations

import numpy as np

from seqviz.results import ModeResult, Prediction, TestResult

PREDICTED = 0.9  # the share of a test sequence's new positions (ties aside) right to call it predicted


def scored_positions(test: TestResult) -> list[Prediction]:
    """The test positions a verdict is scored on: neither ties nor seen by the mode in training."""
    left_out = set(test.ties) | set(test.seen)
    return [p for p in test.predictions if p.position not in left_out]


def verdict(mode: ModeResult) -> str | None:
    """``cannot fit`` (the floor is above zero), ``memorised`` (training fits its data, the test
    sequence is not predicted), ``learned`` (both), or None (no test sequence, training does not
    fit its data yet or diverged, or every test position was seen by this mode in training, which
    a memorised training set predicts as well as a learned rule). A test sequence counts as
    predicted when at least ``PREDICTED`` of its new positions that are not ties are right."""
    if mode.loss_floor > 0:
        return "cannot fit"
    if not np.isfinite(mode.final_loss):
        return None  # diverged: nothing is drawn from these weights
    if mode.test is None or not mode.fitted:
        return None
    scored = scored_positions(mode.test)
    if not scored:
        return None
    right = sum(p.correct for p in scored)
    return "learned" if right >= PREDICTED * len(scored) else "memorised"
