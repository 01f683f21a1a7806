"""Strict JSON at the edge: every JSON seqviz writes parses in any JSON reader.

Python's ``json`` writes a non-finite float as the bare words ``NaN`` or ``Infinity``, which
the JSON standard does not allow (a diverged loss is NaN). Here such a number becomes
``null``, and ``allow_nan=False`` makes writing one anyway an error rather than bad output.
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np


def finite(data: Any) -> Any:
    """``data`` (dicts, lists, tuples, numbers, text) with every NaN or infinity as None."""
    if isinstance(data, (float, np.floating)):
        return float(data) if math.isfinite(data) else None
    if isinstance(data, dict):
        return {key: finite(value) for key, value in data.items()}
    if isinstance(data, (list, tuple)):
        return [finite(value) for value in data]
    return data


def dumps(data: Any, indent: int | None = None) -> str:
    """Strict JSON text of ``data``: non-finite numbers as null, UTF-8 text kept as it is."""
    return json.dumps(finite(data), indent=indent, ensure_ascii=False, allow_nan=False)
