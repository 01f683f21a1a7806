"""Hypothesis strategies over every option of a run, hostile values included, for tests that
need many configurations: ``run_configs()`` yields :class:`RunConfig` objects, ``argvs()``
the argument lists of ``python -m seqviz run`` (with ``csv_files()`` for the bytes of the
``--csv`` file they may name). Runs stay tiny (1-3 epochs, at most 4 units) so each example
trains in a fraction of a second.
"""

from __future__ import annotations

import re
from typing import Any

from hypothesis import strategies as st

from seqviz.cells import CELLS
from seqviz.config import ALL, OPTION_BY_NAME, RunConfig
from seqviz.csvdata import TARGET_ROWS
from seqviz.layout import ARRANGEMENTS, RESETS
from seqviz.losses import OUTPUTS
from seqviz.modes import MODES
from seqviz.predict import STATE_POLICIES
from seqviz.scaling import SCALINGS
from seqviz.sequence import FRAMINGS

WORDS = ("a", "b", "c", "x", "0", "1", "2", "-1", "+2", "é", "=1", "@", "猫")
NUMBERS = ("0", "1", "2", "-3", "0.5", "-0.25", ".5", "1e-3", "2E2", "+3", "1e15")
HOSTILE_NUMBERS = ("1e300", "-1e300", "3e38", "1e999", "nan", "inf", "-inf", "1_000", "0x1F", "abc")
SEPARATORS = (" ", ",", ", ", "\t", "  ", " ,")
BREAKS = ("|", " | ", "||", "\n", "\r\n", "\n\n")
COLUMNS = ("t", "temp", "demand", "x", "a b", "ü")


def _one_in(n: int) -> st.SearchStrategy[bool]:
    """True about once in ``n`` draws (Hypothesis leans to small integers, so not ``== 0``)."""
    return st.sampled_from([False] * (n - 1) + [True])


@st.composite
def sequence_texts(draw: st.DrawFn, numbers: bool = False) -> str:
    """Typed text: one to three sequences of (input, target) tokens (or numbers, now and then
    hostile ones), separated every way seqviz reads, ``|`` glued to a token included; now and
    then blank or a control character."""
    vocabulary = draw(
        st.lists(st.sampled_from(NUMBERS if numbers else WORDS), min_size=2, max_size=4, unique=True)
    )
    pool = vocabulary + list(HOSTILE_NUMBERS) if numbers and draw(_one_in(4)) else vocabulary
    token = st.sampled_from(pool)
    pairs = st.lists(st.tuples(token, token), min_size=1, max_size=4)
    parts = draw(st.lists(pairs, min_size=1, max_size=3))
    separator, brk = draw(st.sampled_from(SEPARATORS)), draw(st.sampled_from(BREAKS))
    text = brk.join(separator.join(t for pair in part for t in pair) for part in parts)
    if draw(_one_in(8)):
        return draw(st.sampled_from(["", " ", "\x00", text + "\x7f", text + " " + vocabulary[0]]))
    return text


@st.composite
def _test_texts(draw: st.DrawFn, training: str, numbers: bool, hostile: bool) -> str:
    """A test sequence: the training tokens reordered (so the vocabulary is known), or, when
    ``hostile``, any text."""
    tokens = re.split(r"[\s,|]+", training.strip())
    if hostile or not training.strip():
        return draw(sequence_texts(numbers=numbers))
    shuffled = draw(st.permutations(tokens))
    return draw(st.sampled_from([" ", " | ", ","])).join(shuffled[: draw(st.integers(1, len(shuffled)))])


def _cell(rnd: Any, kind: str) -> str:
    value = f"{rnd.uniform(-10, 10):.3f}"
    hostile = {"nan": "nan", "inf": "-inf", "huge": "1e300", "blank": "", "word": "NA", "float32": "3e38"}
    return hostile.get(kind, value) if rnd.random() < 0.3 else value


@st.composite
def csv_files(draw: st.DrawFn) -> bytes:
    """The bytes of a CSV file: good ones, and every way one goes wrong (empty, header only, one
    row, ragged, NUL bytes, latin-1, semicolons, blank, duplicate or unnamed columns, 'nan',
    'inf' and numbers float32 cannot hold, a constant target)."""
    kind = draw(
        st.sampled_from(
            [
                "good",
                "good",
                "good",
                "empty",
                "blank_file",
                "header_only",
                "one_row",
                "ragged",
                "nul",
                "latin1",
                "semicolon",
                "blank",
                "duplicate",
                "unnamed",
                "nan",
                "inf",
                "huge",
                "float32",
                "word",
                "constant",
                "crlf",
                "bom",
            ]
        )
    )
    rnd = draw(st.randoms(use_true_random=False))
    columns = draw(st.lists(st.sampled_from(COLUMNS), min_size=1, max_size=3, unique=True))
    if kind == "duplicate":
        columns = [*columns, columns[0]]
    if kind == "unnamed":
        columns = [*columns, ""]
    rows = [[_cell(rnd, kind) for _ in columns] for _ in range(draw(st.integers(2, 12)))]
    if kind == "one_row":
        rows = rows[:1]
    if kind == "header_only":
        rows = []
    if kind == "ragged":
        rows[0] = rows[0] + ["1"]
    if kind == "constant":
        rows = [[*row[:-1], "5"] for row in rows]
    separator = ";" if kind == "semicolon" else ","
    newline = "\r\n" if kind == "crlf" else "\n"
    text = newline.join(separator.join(row) for row in [columns, *rows]) + newline
    if kind in ("empty", "blank_file"):
        text = "" if kind == "empty" else " \n\t\n"
    data = text.encode("utf-8")
    if kind == "nul":
        data += b"\x00\x00"
    if kind == "latin1":
        data = ("caf\xe9," + text).encode("latin-1", "replace")
    if kind == "bom":
        data = b"\xef\xbb\xbf" + data
    return data


@st.composite
def option_values(draw: st.DrawFn) -> dict[str, Any]:
    """Some options of a run (each drawn or left at its default), tiny where it costs time.
    Mostly options the chosen mode and data read (so most runs train); one draw in four takes
    any option with any value. ``csv`` is True when the run reads a CSV (drawn apart)."""
    values: dict[str, Any] = {}
    hostile = draw(_one_in(4))
    csv = draw(_one_in(5))
    numbers = csv or draw(_one_in(3))
    if not csv:
        values["sequence"] = draw(sequence_texts(numbers=numbers))
    if numbers:
        values["output"] = "sigmoid" if draw(_one_in(10)) else "linear"
    elif draw(st.booleans()):
        values["output"] = draw(st.sampled_from(list(OUTPUTS)))
    values["epochs"] = draw(st.integers(1, 3))
    values["units"] = draw(st.integers(1, 4))
    values["snapshots"] = draw(st.integers(1, 3))
    mode = values["mode"] = draw(st.sampled_from([ALL, *MODES]))
    optional: dict[str, st.SearchStrategy[Any]] = {
        "cell": st.sampled_from(list(CELLS)),
        "layers": st.integers(1, 2),
        "batch_size": st.one_of(st.none(), st.integers(0, 4)),
        "learning_rate": st.sampled_from([1e-6, 0.001, 0.05, 1.0, 10.0]),
        "seed": st.integers(0, 2**31 - 1),
    }
    if hostile or not csv:
        optional["framing"] = st.sampled_from(list(FRAMINGS))
    if hostile or mode in (ALL, "window", "chunks"):
        optional["window"] = st.integers(0 if hostile else 1, 3)
    if hostile or mode == "custom":
        optional |= {
            "timesteps": st.sampled_from(["1", "2", "3", "all"]),
            "stride": st.one_of(st.none(), st.integers(1, 3)),
            "stateful": st.booleans(),
            "arrange": st.sampled_from(list(ARRANGEMENTS)),
            "shuffle": st.booleans(),
            "reset": st.sampled_from(list(RESETS)),
            "return_sequences": st.booleans(),
        }
    if hostile or numbers:
        optional["scaling"] = st.sampled_from(list(SCALINGS))
    if hostile or csv:
        optional |= {
            "target": st.sampled_from(["", *COLUMNS, "nope"]),
            "features": st.sampled_from(["", "t", "x,temp", "nope"]),
            "target_row": st.sampled_from(list(TARGET_ROWS)),
            "test_rows": st.integers(0, 4),
        }
    chosen = draw(st.lists(st.sampled_from(list(optional)), unique=True, max_size=6))
    values |= {name: draw(optional[name]) for name in chosen}
    if (hostile or not csv) and draw(st.booleans()):
        values["test_sequence"] = draw(_test_texts(values.get("sequence", ""), numbers, hostile))
    if hostile or values.get("test_sequence") or values.get("test_rows"):
        predicting = {
            "predict_batch_size": st.integers(1, 3),
            "predict_state": st.sampled_from(list(STATE_POLICIES)),
            "reset_at": st.one_of(st.none(), st.integers(0, 4)),
        }
        chosen = draw(st.lists(st.sampled_from(list(predicting)), unique=True, max_size=3))
        values |= {name: draw(predicting[name]) for name in chosen}
    values["csv"] = csv
    return values


@st.composite
def run_configs(draw: st.DrawFn) -> RunConfig:
    """A :class:`RunConfig` over every option (a CSV's text included), valid or not."""
    values = draw(option_values())
    csv = values.pop("csv")
    if csv:
        values["csv"] = draw(csv_files()).decode("utf-8", "replace")
    if values.get("batch_size") == 0:
        values["batch_size"] = None  # the form's and the URL's 0: the mode's own
    return RunConfig(**values)


def _flag(name: str, value: Any) -> list[str]:
    """``--name=value`` (so a value starting with "-" is not read as a flag); None as empty."""
    option = OPTION_BY_NAME[name]
    if option.kind == "bool":
        return [option.flag if value else "--no-" + option.flag[2:]]
    return [f"{option.flag}={'' if value is None else value}"]


@st.composite
def argvs(draw: st.DrawFn, csv_path: str) -> list[str]:
    """The arguments of ``python -m seqviz run`` over every option; a CSV run names
    ``csv_path`` (write ``csv_files()``'s bytes there first). Now and then a flag's value is
    malformed (``--units x``) or the JSON goes to stdout (``--json -``)."""
    values = draw(option_values())
    argv = ["run"]
    if values.pop("csv"):
        argv += ["--csv", csv_path]
    for name, value in values.items():
        argv += _flag(name, value)
    if draw(_one_in(10)):
        argv += [draw(st.sampled_from(["--units", "--epochs", "--batch-size", "--seed"])) + "=x"]
    if draw(st.booleans()):
        argv += ["--json", "-"]
    return argv


# --- for the fact checker (tests/test_facts_checked.py) -------------------------------------

FACT_TOKENS = ("a", "b", "c", "0", "1", "2", "x")
FACT_NUMBERS = ("-1", "0", "0.5", "1", "2", "3", "-2.5")


@st.composite
def _fact_text(draw: st.DrawFn, vocabulary: list[str], framing: str, most: int = 12) -> str:
    """One to three sequences (an even number of tokens each for the pairs framing)."""
    step = 2 if framing == "pairs" else 1
    lines = []
    for _ in range(draw(st.integers(1, 3))):
        count = draw(st.integers(1, most // step)) * step
        lines.append(
            " ".join(
                draw(st.lists(st.sampled_from(vocabulary), min_size=max(2, count), max_size=max(2, count)))
            )
        )
    return draw(st.sampled_from(["\n", " | ", "|"])).join(lines)


@st.composite
def _fact_csv(draw: st.DrawFn) -> tuple[str, str, str]:
    """A small numeric CSV, its target column ("" : the last) and its feature columns ("": all)."""
    columns = draw(st.integers(1, 3))
    names = [f"c{k}" for k in range(columns)]
    rows = draw(st.integers(5, 16))
    values = [[draw(st.sampled_from(FACT_NUMBERS)) for _ in names] for _ in range(rows)]
    text = ",".join(names) + "\n" + "\n".join(",".join(row) for row in values) + "\n"
    features = draw(st.lists(st.sampled_from(names), min_size=1, max_size=columns, unique=True))
    return text, draw(st.sampled_from(["", *names])), draw(st.sampled_from(["", ",".join(features)]))


@st.composite
def fact_configs(draw: st.DrawFn) -> RunConfig:
    """Configurations over every option of the run model, built to run (most do; the rest are
    refused before training) and to train long enough that models fit, for the fact checker:
    clean tokens and numbers, small CSVs, every mode and layout, tests, resets, high learning rates."""
    kind = draw(st.sampled_from(["tokens", "tokens", "tokens", "numbers", "csv"]))
    options: dict[str, object] = {}
    if kind == "csv":
        text, target, features = draw(_fact_csv())
        options |= {
            "csv": text,
            "target": target,
            "features": features,
            "target_row": draw(st.sampled_from(["next", "same"])),
            "test_rows": draw(st.integers(0, 3)),
            "output": "linear",
            "scaling": draw(st.sampled_from(["none", "standardise"])),
        }
    else:
        pool = FACT_NUMBERS if kind == "numbers" else FACT_TOKENS
        vocabulary = draw(st.lists(st.sampled_from(pool), min_size=2, max_size=4, unique=True))
        framing = draw(st.sampled_from(["pairs", "next"]))
        options |= {"framing": framing, "sequence": draw(_fact_text(vocabulary, framing))}
        if kind == "numbers":
            options |= {"output": "linear", "scaling": draw(st.sampled_from(["none", "standardise"]))}
        else:
            options["output"] = draw(st.sampled_from(["sigmoid", "softmax"]))
        if draw(st.booleans()):
            options["test_sequence"] = draw(_fact_text(vocabulary, framing, most=8))
            options["predict_batch_size"] = draw(st.sampled_from([1, 1, 1, 2, 3]))
            options["predict_state"] = draw(st.sampled_from(["zeros", "zeros", "carry"]))
            options["reset_at"] = draw(st.sampled_from([None, None, 0, 1, 2, 3]))
    mode = draw(st.sampled_from([*MODES, "all", "all"]))
    options |= {
        "mode": mode,
        "cell": draw(st.sampled_from(list(CELLS))),
        "layers": draw(st.sampled_from([1, 1, 2])),
        # Now and then past the NumPy trainer's 64 units: TensorFlow's graph trains it.
        "units": draw(st.sampled_from([1, 2, 3, 4, 5, 6] * 20 + [65])),
        "epochs": draw(st.sampled_from([1, 3, 10, 30, 150])),
        "window": draw(st.integers(1, 4)),
        "batch_size": draw(st.sampled_from([None, None, 1, 2, 3, 4])),
        # A learning rate of 10 makes some runs diverge: their facts must say so.
        "learning_rate": draw(st.sampled_from([0.001, 0.01, 0.05, 0.2, 5.0, 10.0])),
        "seed": draw(st.integers(0, 3)),
        "snapshots": 2,
    }
    if mode == "custom":
        timesteps = draw(st.sampled_from(["1", "2", "3", "all"]))
        stride = None if timesteps in ("1", "all") else draw(st.sampled_from([None, 1, int(timesteps)]))
        stateful = draw(st.booleans())
        options |= {
            "timesteps": timesteps,
            "stride": stride,
            "stateful": stateful,
            "arrange": draw(st.sampled_from(["lanes", "rows"])) if stateful else "lanes",
            "shuffle": draw(st.booleans()),
            "reset": draw(st.sampled_from(["epoch", "never", "sequence"])) if stateful else "epoch",
            "return_sequences": draw(st.booleans()),
        }
    return RunConfig(**options)  # type: ignore[arg-type]
