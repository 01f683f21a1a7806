"""CSV that is safe to open in a spreadsheet: a text cell that a spreadsheet would run as a
formula (one starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return) gets a leading
``'``, so a shared link with hostile tokens cannot plant a formula in someone's sheet. Numbers,
and text that reads as a plain number (a token ``-1``), stay as they are."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from seqviz.numeric import as_number

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """``value`` as it is, or a text that would start a formula with a ``'`` in front."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and as_number(value) is None:
        return "'" + value
    return value


def write_rows(rows: Iterable[Sequence[object]]) -> str:
    """Rows (the header first) as CSV text, every text cell made safe."""
    out = io.StringIO()
    writer = csv.writer(out)
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
    return out.getvalue()
