"""CSV input: a time series whose rows are timesteps and whose columns are features.

The first row names the columns; every other cell is a number. One column is the target: the
model predicts its value in the next row (``target_row="next"``) or in the same row
(``"same"``, from the other columns). The last ``test_rows`` rows can be kept apart as a test
part, predicted after training. Every way a file can be wrong (too big, not UTF-8, not CSV,
a missing or non-numeric cell, one row, an unknown column) is one :class:`SeqvizError` that
says what to fix; the reader is linear in the file's size, so nothing hangs.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from seqviz.errors import SeqvizError
from seqviz.limits import Limits
from seqviz.numeric import NUMBER_RANGE, as_number, in_range, number_text
from seqviz.scaling import Numeric, Scaling
from seqviz.sequence import Dataset, Vocabulary

EXAMPLE = Path(__file__).resolve().parent / "data" / "demand.csv"  # hourly demand and temperature


def example_csv() -> str:
    """The CSV that ships with seqviz (a preset on the page): 96 hourly rows of hour,
    temperature and demand, where demand follows a 12-hour cycle plus the temperature."""
    return EXAMPLE.read_text(encoding="utf-8")


TargetRow = Literal["next", "same"]  # the keys of TARGET_ROWS (a test holds them equal)
TARGET_ROWS = {
    "next": "predict the target column's value in the next row",
    "same": "predict the target column in the same row, from the other columns",
}


@dataclass(frozen=True)
class Table:
    """A parsed CSV: the column names and the numbers, (rows, columns)."""

    columns: tuple[str, ...]
    values: np.ndarray


def _short(text: str, limit: int = 30) -> str:
    shown = repr(text)
    return shown if len(shown) <= limit else shown[: limit - 1] + "…'"


def decode(data: bytes, limits: Limits = Limits()) -> str:
    """A CSV file's bytes as text, refused before parsing when too big or not UTF-8 text."""
    if len(data) > limits.max_csv_bytes:
        raise SeqvizError(
            f"The CSV file is {len(data):,} bytes; the limit is {limits.max_csv_bytes:,} bytes."
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise SeqvizError(
            f"The CSV file is not UTF-8 text (byte {error.start} cannot be read): save it as CSV "
            "with UTF-8 encoding."
        ) from None
    return text


def read_file(path: str, limits: Limits = Limits()) -> str:
    """The text of the CSV file at ``path`` (the CLI's ``--csv``); reads at most one byte more
    than the limit, so a huge file is refused without loading it."""
    try:
        with open(path, "rb") as fh:
            data = fh.read(limits.max_csv_bytes + 1)
    except OSError as error:
        raise SeqvizError(f"Cannot read the CSV file {path!r}: {error.strerror or error}.") from None
    text = decode(data, limits)
    if not text.strip():
        raise SeqvizError(
            f"The CSV file {path!r} is empty: give a header row of column names, then one row of numbers "
            "per timestep."
        )
    return text


def parse(text: str, limits: Limits = Limits()) -> Table:
    """The header and the numbers of a CSV text.

    Raises:
        SeqvizError: naming the row and column of the first problem.
    """
    if len(text.encode("utf-8", "surrogatepass")) > limits.max_csv_bytes:
        raise SeqvizError(
            f"The CSV is {len(text):,} characters long; the limit is {limits.max_csv_bytes:,} bytes."
        )
    if "\0" in text:
        raise SeqvizError(
            "The CSV file holds NUL bytes: it is not a text file. Upload a CSV (comma-separated text)."
        )
    rows: list[list[str]] = []
    line = 0
    try:
        for row in csv.reader(io.StringIO(text, newline=""), strict=True):
            line += 1
            if not any(cell.strip() for cell in row):
                continue  # blank lines
            if len(rows) > limits.max_csv_rows:
                raise SeqvizError(
                    f"The CSV has more than {limits.max_csv_rows:,} rows of numbers; that is the limit."
                )
            rows.append(row)
    except csv.Error as error:
        raise SeqvizError(f"The file is not a valid CSV (line {line + 1}: {error}).") from None
    if not rows:
        raise SeqvizError("The CSV is empty: give a header row of column names, then one row per timestep.")
    header = [name.strip() for name in rows[0]]
    if len(header) == 1 and ";" in header[0]:
        raise SeqvizError(
            "The CSV separates its cells with semicolons; seqviz reads commas: save it as comma-separated "
            "values (a header row of column names, then one row of numbers per timestep)."
        )
    if len(header) > limits.max_csv_columns:
        raise SeqvizError(f"The CSV has {len(header)} columns; the limit is {limits.max_csv_columns}.")
    if all(as_number(name) is not None for name in header):
        raise SeqvizError(
            "The first row of the CSV must name the columns (it holds only numbers): add a header row."
        )
    for k, name in enumerate(header):
        if not name:
            raise SeqvizError(
                f"Column {k + 1} of the CSV has no name: give every column a name in the first row."
            )
    repeated = [name for name in dict.fromkeys(header) if header.count(name) > 1]
    if repeated:
        raise SeqvizError(
            f"The CSV names column {_short(repeated[0])} twice: give every column its own name."
        )
    values = np.zeros((len(rows) - 1, len(header)))
    for r, row in enumerate(rows[1:]):
        if len(row) != len(header):
            raise SeqvizError(
                f"Row {r + 2} of the CSV has {len(row)} cells; the header has {len(header)}: every row needs "
                "one value per column."
            )
        for k, cell in enumerate(row):
            if not cell.strip():
                raise SeqvizError(
                    f"Row {r + 2}, column {_short(header[k])} of the CSV is empty: fill in missing values "
                    "(seqviz does not guess them)."
                )
            number = as_number(cell)
            if number is None:
                raise SeqvizError(
                    f"Row {r + 2}, column {_short(header[k])} of the CSV holds {_short(cell)}, which is "
                    "not a number: every cell below the header must be a number like 3, -0.5 or 1e-3."
                )
            if not in_range(number):
                raise SeqvizError(
                    f"Row {r + 2}, column {_short(header[k])} of the CSV holds {_short(cell)}, outside the "
                    f"numbers seqviz accepts, {NUMBER_RANGE} (training runs in float32, where larger "
                    "numbers overflow)."
                )
            values[r, k] = number
    if len(values) < 2:
        raise SeqvizError(
            f"The CSV has {len(values)} row{'' if len(values) == 1 else 's'} of numbers; a time series "
            "needs at least two "
            "(one row per timestep)."
        )
    return Table(tuple(header), values)


def columns_of(text: str, limits: Limits = Limits()) -> tuple[str, ...]:
    """The column names of a valid CSV (the page offers them as choices)."""
    return parse(text, limits).columns


def _choose(table: Table, target: str, features: str, target_row: str) -> tuple[int, list[int]]:
    names = table.columns
    listed = ", ".join(names)
    if target_row not in TARGET_ROWS:
        raise SeqvizError(f"Unknown target row {target_row!r}; choose one of: {', '.join(TARGET_ROWS)}.")
    target = target.strip() or names[-1]
    if target not in names:
        raise SeqvizError(f"Unknown target column {_short(target)}; the CSV's columns are: {listed}.")
    t = names.index(target)
    wanted = [name.strip() for name in features.split(",") if name.strip()]
    for name in wanted:
        if name not in names:
            raise SeqvizError(f"Unknown feature column {_short(name)}; the CSV's columns are: {listed}.")
    if not wanted:
        wanted = [n for n in names if target_row == "next" or n != target]
    if not wanted:
        raise SeqvizError(
            "Predicting the target from the same row needs at least one other column as a feature; "
            "this CSV has only the target."
        )
    if target_row == "same" and target in wanted:
        raise SeqvizError(
            f"The target column {_short(target)} is also a feature: predicting it from the same row would "
            "read the answer. Drop it from the features, or predict the next row's value."
        )
    return t, [names.index(n) for n in dict.fromkeys(wanted)]


def _label(row: np.ndarray) -> str:
    return ", ".join(number_text(float(v)) for v in row)


def _framed(
    table: Table, rows: np.ndarray, t: int, chosen: list[int], target_row: str, scaling: str | Scaling
) -> Dataset:
    x_rows = rows[:, chosen]
    shift = 1 if target_row == "next" else 0
    inputs = x_rows[: len(rows) - shift]
    targets = rows[shift:, t]
    labels = [_label(r) for r in x_rows]
    pairs = tuple((labels[k], number_text(float(targets[k]))) for k in range(len(targets)))
    columns = tuple(table.columns[k] for k in chosen)
    numeric = Numeric.build(columns, table.columns[t], inputs, targets, scaling)
    return Dataset(tuple(labels), pairs, Vocabulary(columns), numeric=numeric)


def csv_datasets(
    text: str,
    target: str = "",
    features: str = "",
    target_row: str = "next",
    scaling: str = "none",
    test_rows: int = 0,
    limits: Limits = Limits(),
) -> tuple[Dataset, Dataset | None]:
    """The training part and (with ``test_rows``) the test part of a CSV, framed and scaled
    (the test part with the training part's scaling).

    Args:
        target: the target column; empty: the last column.
        features: feature columns, comma-separated; empty: every column (``next``), or every
            column but the target (``same``).
    Raises:
        SeqvizError: a bad file, an unknown column, or parts too short to frame.
    """
    table = parse(text, limits)
    t, chosen = _choose(table, target, features, target_row)
    rows = table.values
    need = 2 if target_row == "next" else 1
    if test_rows and (test_rows > len(rows) - need or test_rows < need):
        raise SeqvizError(
            f"The test rows must leave at least {need} training row(s) and hold at least {need}: "
            f"choose 0 (no test part) or {need} to {len(rows) - need}; got {test_rows}."
        )
    training = rows[: len(rows) - test_rows]
    if len(set(training[:, t].tolist())) < 2:
        raise SeqvizError(
            f"The target column {_short(table.columns[t])} holds one value only in the training rows; "
            "there is nothing to learn."
        )
    train = _framed(table, training, t, chosen, target_row, scaling)
    if not test_rows:
        return train, None
    assert train.numeric is not None
    return train, _framed(table, rows[len(rows) - test_rows :], t, chosen, target_row, train.numeric.scaling)
