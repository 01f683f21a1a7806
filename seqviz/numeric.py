"""Numbers instead of tokens: real-valued features per step and a real-valued target, for the
linear output and mean squared error (``output=linear``).

A :class:`Numeric` holds, per position, the features the model reads and the target it is
trained on, both as typed and after :class:`Scaling` (none, or standardised with the training
part's own mean and standard deviation; a test part is scaled with the training numbers).
Typed text becomes one feature per step (:func:`numeric_dataset`); a CSV gives several
(``seqviz.csvdata``).
"""

from __future__ import annotations

import math
import re
from dataclasses import replace

import numpy as np

from seqviz.errors import SeqvizError
from seqviz.limits import Limits
from seqviz.scaling import Numeric, Scaling
from seqviz.sequence import Dataset, Vocabulary, frame, parse_tokens

VALUE = "value"  # the one feature of a typed numeric sequence
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


# The largest magnitude a number may have: training runs in float32 (largest about 3.4e38),
# and a loss squares the targets and sums them over every position, so 1e15 leaves room.
LARGEST = 1e15
NUMBER_RANGE = "-1e15 to 1e15"


def as_number(text: str) -> float | None:
    """A decimal number (``3``, ``-0.5``, ``1e-3``) as a float; None for anything else
    (``nan``, ``inf``, ``1_000`` and words are not numbers here). A number too large even for
    float64 (``1e999``) is infinite: :func:`in_range` refuses it."""
    text = text.strip()
    if not _NUMBER.fullmatch(text):
        return None
    return float(text)


def in_range(value: float) -> bool:
    """Whether a number is one seqviz trains on: finite and at most ``LARGEST`` in magnitude."""
    return math.isfinite(value) and abs(value) <= LARGEST


def number_text(value: float) -> str:
    """A number as a short label: ``3``, ``0.25``, ``1.5e-05``."""
    return f"{value:.6g}"


def numeric_dataset(
    text: str,
    framing: str,
    scaling: str | Scaling = "none",
    limits: Limits = Limits(),
    test: bool = False,
) -> Dataset:
    """Typed numbers framed into pairs, one feature per step.

    Args:
        scaling: a kind (fitted to this text) or the training part's :class:`Scaling`.
        test: the text is a test sequence (named so in messages).
    Raises:
        SeqvizError: a token is not a number (the first one is named), or nothing to learn.
    """
    tokens = parse_tokens(text, limits)
    which = "test sequence" if test else "sequence"
    for k, token in enumerate(tokens):
        number = as_number(token)
        if number is None:
            raise SeqvizError(
                f"The linear output reads every token as a number, but token {k + 1} of the {which}, "
                f"{token!r}, is not one (write numbers like 3, -0.5 or 1e-3, or choose sigmoid or softmax "
                "for tokens)."
            )
        if not in_range(number):
            raise SeqvizError(
                f"Token {k + 1} of the {which}, {token!r}, is outside the numbers seqviz accepts, "
                f"{NUMBER_RANGE} (training runs in float32, where larger numbers overflow)."
            )
    if not test and len({as_number(t) for t in tokens}) < 2:
        raise SeqvizError(
            f"The sequence has only one distinct number ({tokens[0]!r}); there is nothing to learn. "
            "Use at least two different numbers."
        )
    framed, _ = frame(text, framing, limits)
    inputs = np.array([[as_number(x)] for x, _ in framed.pairs], np.float64)
    targets = np.array([as_number(y) for _, y in framed.pairs], np.float64)
    numeric = Numeric.build((VALUE,), VALUE, inputs, targets, scaling)
    return replace(framed, vocabulary=Vocabulary((VALUE,)), numeric=numeric)
