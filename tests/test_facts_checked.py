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

from seqviz.config import RunConfig
from seqviz.engine import run
from seqviz.errors import SeqvizError
from tests.checker import TALLY, check_run
from tests.strategies import fact_configs

EXAMPLES = int(os.environ.get("SEQVIZ_CHECKER_EXAMPLES", "500"))
FRESH = os.environ.get("SEQVIZ_CHECKER_FRESH", "") == "1"  # a new random seed each time


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
@given(fact_configs())
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
