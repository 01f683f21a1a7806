"""Every sentence the explanation can emit is backed by the fact it states, checked against the
run's own numbers on a table of cases (including a sequence in which no token repeats)."""

import pytest

from seqviz.config import RunConfig
from seqviz.engine import run
from seqviz.explain import REACHED, explain, explain_run, sentence, smallest_window
from seqviz.facts import (
    Contrast,
    Fix,
    FloorGap,
    LookAlike,
    Memorises,
    NotConfident,
    NotYetLearned,
    Score,
    StateMatters,
    Stopped,
    TellsApart,
    Verdict,
)
from seqviz.floor import ambiguous_positions
from seqviz.modes import MODES

CASES = {
    "reference": RunConfig(epochs=200),
    "no token repeats": RunConfig(sequence="a b c d e", framing="next", epochs=150),
    "carried across a cut": RunConfig(sequence="a x b a y c", framing="next", mode="stateful", epochs=200),
    "rows in order": RunConfig(sequence="1 2 1 3 1 2 1 3 1", framing="next", mode="rows", epochs=100),
    "with a test and a reset": RunConfig(
        sequence="a b c a b d",
        framing="next",
        mode="stateful",
        epochs=200,
        learning_rate=0.02,
        test_sequence="a b c a b d",
        reset_at=3,
    ),
    "untrained": RunConfig(sequence="a b a c b a", framing="next", mode="sequence", epochs=1),
    # The page's "Echo 2 back" preset: every mode, each verdict from its own test numbers.
    "echo 2 back, all modes": RunConfig(
        sequence="a a c a c a a c b c c a b b c c c b a c c c a a b c b a c b a b",
        framing="pairs",
        mode="all",
        window=3,
        epochs=400,
        learning_rate=0.02,
        output="softmax",
        test_sequence="a a c a b a c c c b b c b c c b",
    ),
}


def _check(fact, mode, run_, dataset, feed) -> None:
    pairs, targets = run_.pairs, dataset.targets
    inputs = [x for x, _ in pairs]
    if isinstance(fact, Score):
        assert (fact.correct, fact.total) == (sum(p.correct for p in mode.predictions), len(pairs))
        assert (fact.final_loss, fact.floor) == (mode.final_loss, mode.loss_floor)
    elif isinstance(fact, LookAlike):
        keys = {feed.keys[p] for p in fact.positions}
        assert len(keys) == 1 and len({targets[p] for p in fact.positions}) > 1
        assert fact.targets == sorted({pairs[p][1] for p in fact.positions})
        if fact.seen == "input":
            assert {inputs[p] for p in fact.positions} == {fact.input}
    elif isinstance(fact, TellsApart):
        assert mode.loss_floor == 0 and fact.repeated_inputs == (len(set(inputs)) < len(inputs))
        text = sentence(fact)
        assert ("the same token arrives in different states" in text) == (
            fact.repeated_inputs and fact.by in ("stream", "prefix")
        )
        if not fact.repeated_inputs and fact.by in ("stream", "prefix", "input"):
            assert "repeats" in text or "occurs once" in text  # the sentence says why, from this data
    elif isinstance(fact, FloorGap):
        assert fact.reached == (mode.final_loss - mode.loss_floor <= REACHED) and mode.loss_floor > 0
    elif isinstance(fact, Fix):
        assert fact.window == smallest_window(dataset.inputs, targets)
    elif isinstance(fact, NotYetLearned):
        assert mode.loss_floor == 0 and fact.wrong == len(pairs) - mode.correct > 0
    elif isinstance(fact, NotConfident):
        assert mode.correct == len(pairs) and fact.gap > REACHED
    elif isinstance(fact, Memorises):
        reach = set(ambiguous_positions(feed.reach_keys, targets))
        assert set(fact.positions) <= reach and not set(fact.positions) & set(
            ambiguous_positions(feed.keys, targets)
        )
    elif isinstance(fact, Verdict):
        assert (
            fact.verdict == mode.verdict and fact.train_right == mode.correct and fact.ties == len(mode.ties)
        )
        if mode.test is not None:
            assert fact.test_right == sum(p.correct for p in mode.test.predictions)
    elif isinstance(fact, StateMatters):
        test = mode.test
        changed = [
            a.position for a, b in zip(test.predictions, test.reset_predictions) if a.predicted != b.predicted
        ]
        assert fact.changed == changed and all(p >= fact.reset_at for p in changed)
    elif isinstance(fact, Stopped):
        assert mode.stopped
    else:
        raise AssertionError(f"a fact this test does not check: {fact}")


@pytest.mark.parametrize("case", list(CASES))
def test_every_sentence_is_backed_by_the_run_s_numbers(case):
    result = run(CASES[case])
    run_ = result.run
    for mode in run_.runs:
        feed = result.feeds[mode.mode]
        assert feed.mode == mode.mode and MODES[mode.mode]
        assert isinstance(mode.facts[0], Score)
        for fact in mode.facts:
            _check(fact, mode, run_, result.dataset, feed)
        assert explain_run(mode) == [sentence(f) for f in mode.facts]
    for fact in run_.facts:
        assert isinstance(fact, Contrast)
        assert fact.stuck == [m.mode for m in run_.runs if m.loss_floor > 0]
        assert fact.learned == [m.mode for m in run_.runs if m.accuracy == 1.0]
        assert fact.rule == [m.mode for m in run_.runs if m.mode in fact.learned and m.verdict == "learned"]
        assert fact.memorised == [
            m.mode for m in run_.runs if m.mode in fact.learned and m.verdict == "memorised"
        ]
        text = sentence(fact)
        assert ("a test sequence tells" in text) == (not fact.rule and not fact.memorised)
        for name in fact.memorised:
            assert name in text.split("not predict it")[0].rsplit(";", 1)[-1]
    assert explain(run_)[-len(run_.facts) or None :] == [sentence(f) for f in run_.facts] or not run_.facts


def test_no_token_repeats_and_no_sentence_says_one_arrives_in_different_states():
    text = " ".join(explain(run(CASES["no token repeats"]).run))
    assert "arrives in different states" not in text and "no input token repeats" in text
