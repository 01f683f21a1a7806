"""Every fact a run states, over generated configurations of every option, re-derived by the
independent checker (``tests/checker.py``); every configuration either runs or is refused
before training with one line.

A fixed-seed profile (``derandomize``) runs ``SEQVIZ_CHECKER_EXAMPLES`` examples (500 by
default) on every test run; ``make checker`` runs a longer, fresh-seeded one. The tally (runs,
refusals, facts checked per kind) is printed at the end of the test session.
"""

from __future__ import annotations

import json
import os

from hypothesis import given, settings
from hypothesis import strategies as st

from seqviz.cells import CELLS
from seqviz.config import RunConfig
from seqviz.engine import run
from seqviz.errors import SeqvizError
from seqviz.modes import MODES
from tests.checker import TALLY, check_run

EXAMPLES = int(os.environ.get("SEQVIZ_CHECKER_EXAMPLES", "500"))
FRESH = os.environ.get("SEQVIZ_CHECKER_FRESH", "") == "1"  # a new random seed each time
TOKENS = ("a", "b", "c", "0", "1", "2", "x")
NUMBERS = ("-1", "0", "0.5", "1", "2", "3", "-2.5")


@st.composite
def token_text(draw: st.DrawFn, vocabulary: list[str], framing: str, most: int = 12) -> str:
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
    return draw(st.sampled_from(["\n", " | ", " |  "])).join(lines)  # TEMP


@st.composite
def csv_text(draw: st.DrawFn) -> tuple[str, str]:
    columns = draw(st.integers(1, 3))
    names = [f"c{k}" for k in range(columns)]
    rows = draw(st.integers(5, 16))
    values = [[draw(st.sampled_from(NUMBERS)) for _ in names] for _ in range(rows)]
    text = ",".join(names) + "\n" + "\n".join(",".join(row) for row in values) + "\n"
    return text, draw(st.sampled_from(["", *names]))


@st.composite
def configs(draw: st.DrawFn) -> RunConfig:
    """A configuration over every option of the run model; most run, some are refused."""
    kind = draw(st.sampled_from(["tokens", "tokens", "tokens", "numbers", "csv"]))
    options: dict[str, object] = {}
    if kind == "csv":
        text, target = draw(csv_text())
        options |= {
            "csv": text,
            "target": target,
            "target_row": draw(st.sampled_from(["next", "same"])),
            "test_rows": draw(st.integers(0, 3)),
            "output": "linear",
            "scaling": draw(st.sampled_from(["none", "standardise"])),
        }
    else:
        pool = NUMBERS if kind == "numbers" else TOKENS
        vocabulary = draw(st.lists(st.sampled_from(pool), min_size=2, max_size=4, unique=True))
        framing = draw(st.sampled_from(["pairs", "next"]))
        options |= {"framing": framing, "sequence": draw(token_text(vocabulary, framing))}
        if kind == "numbers":
            options |= {"output": "linear", "scaling": draw(st.sampled_from(["none", "standardise"]))}
        else:
            options["output"] = draw(st.sampled_from(["sigmoid", "softmax"]))
        if draw(st.booleans()):
            options["test_sequence"] = draw(token_text(vocabulary, framing, most=8))
            options["predict_batch_size"] = draw(st.sampled_from([1, 1, 1, 2, 3]))
            options["predict_state"] = draw(st.sampled_from(["zeros", "zeros", "carry"]))
            options["reset_at"] = draw(st.sampled_from([None, None, 0, 1, 2, 3]))
    mode = draw(st.sampled_from([*MODES, "all", "all"]))
    options |= {
        "mode": mode,
        "cell": draw(st.sampled_from(list(CELLS))),
        "layers": draw(st.sampled_from([1, 1, 2])),
        "units": draw(st.integers(1, 6)),
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


def check_config(config: RunConfig) -> None:
    """Run ``config`` and check every fact it states; a refusal must come before training, in one line."""
    trained: list[int] = []
    try:
        result = run(config, progress=lambda mode, epochs, loss: trained.append(epochs) and None)
    except SeqvizError as error:
        assert not trained, f"refused after training: {error}"
        assert "\n" not in str(error).strip() and str(error).strip(), f"not one line: {error!r}"
        TALLY["refused before training"] += 1
        return
    TALLY.update(check_run(result))
    json.dumps(result.run.to_json(), allow_nan=False)  # strict JSON: a nan loss is written as null
    TALLY["runs checked"] += 1


@settings(max_examples=EXAMPLES, derandomize=not FRESH, deadline=None, print_blob=True)
@given(configs())
def test_every_fact_a_run_states_is_rederived_by_the_checker(config: RunConfig) -> None:
    check_config(config)


def test_docs_list_every_fact_kind_with_its_fields() -> None:
    """docs/facts.md names every fact kind and every field it carries."""
    from dataclasses import fields
    from pathlib import Path

    from seqviz.facts import FACTS

    text = Path(__file__).resolve().parent.parent.joinpath("docs", "facts.md").read_text()
    rows = {line.split("|")[1].strip(" `"): line for line in text.splitlines() if line.startswith("| `")}
    assert set(rows) == set(FACTS)
    for kind, cls in FACTS.items():
        assert all(f.name in rows[kind] for f in fields(cls)), kind


# Configurations that make every fact kind appear, so each kind's check runs on every test run
# whatever the generated examples happen to hold.
EVERY_KIND = (
    RunConfig(),  # the reference question: look-alikes, a shared batch, a fix, memorising, the contrast
    RunConfig(mode="sequence", epochs=1),  # not yet learned
    RunConfig(mode="sequence", epochs=120, learning_rate=0.01),  # right everywhere, not yet sure
    RunConfig(epochs=200, test_sequence="0 1 0 2"),  # a test seen in training: no verdict
    RunConfig(mode="sequence", epochs=300, test_sequence="0 1 0 2 0 1 0 2", reset_at=2),  # verdict, reset
    RunConfig(mode="stateless", sequence="0 1 0 2 0 1", test_sequence="0 1", reset_at=0),  # reset at zeros
    RunConfig(sequence="0 1 0 2 0 1 0 3", mode="custom", stateful=True, shuffle=True, reset="never"),
    RunConfig(sequence="1 2 3 4 3 2 1 2", output="linear", framing="next", mode="all", test_sequence="1 2 3"),
)


def test_every_fact_kind_is_checked_on_configurations_that_state_it() -> None:
    from collections import Counter

    from seqviz.facts import FACTS

    before = Counter(TALLY)
    for config in EVERY_KIND:
        check_config(config)
    seen = {kind for kind, n in TALLY.items() if n > before[kind]}
    assert set(FACTS) - seen <= {"stopped", "diverged"}, set(FACTS) - seen  # those two: below


def test_a_stopped_run_says_so_and_checks_out() -> None:
    result = run(RunConfig(mode="sequence", epochs=400), progress=lambda mode, epochs, loss: epochs >= 50)
    assert result.run.stopped
    TALLY.update(check_run(result))
    assert TALLY["stopped"]


def test_a_diverged_run_says_so_draws_no_verdict_and_writes_strict_json() -> None:
    """A loss that stops being a number (NaN from the first bad epoch on): the run's own losses and
    outputs replaced, as a diverging trainer leaves them, then its facts derived again."""
    import math
    from dataclasses import replace

    from seqviz.explain import answer, attach_facts, explain_run
    from seqviz.results import Prediction

    result = run(RunConfig(mode="sequence", epochs=20, test_sequence="0 1 0 2 0 1"))
    mode = result.run.runs[0]
    nan = float("nan")
    mode.loss = mode.loss[:4] + [nan] * (len(mode.loss) - 4)
    mode.final_loss = nan
    mode.predictions = [
        replace(p, probabilities=[nan] * len(p.probabilities), probability=nan, correct=False)
        for p in mode.predictions
    ]
    mode.fitted, mode.verdict = False, None
    attach_facts(result.run, result.dataset)
    kinds = [f.kind for f in mode.facts]
    assert "diverged" in kinds and "not_yet_learned" not in kinds and "verdict" not in kinds
    assert "unscored" not in kinds and "not_confident" not in kinds
    line = answer(mode)
    assert line.mark == "✗" and "diverged" in line.text() and "epoch 5" in line.text()
    assert not any("more epochs" in s for s in explain_run(mode))
    text = json.dumps(result.run.to_json(), allow_nan=False)  # strict: NaN written as null
    assert '"final_loss": null' in text
    assert math.isnan(mode.final_loss) and isinstance(mode.predictions[0], Prediction)
    TALLY["diverged"] += 1
