"""Every sentence the explanation can emit is backed by the fact it states, checked against the
run's own numbers on a table of cases (including a sequence in which no token repeats)."""

import pytest

from seqviz.config import RunConfig
from seqviz.engine import run
from seqviz.explain import REACHED, explain, explain_run, padding_only_pairs, sentence, smallest_window
from seqviz.facts import (
    Contrast,
    Fix,
    FloorGap,
    LookAlike,
    Memorises,
    NotConfident,
    NotYetLearned,
    Score,
    SharedBatch,
    StateMatters,
    Stopped,
    TellsApart,
    Unscored,
    Verdict,
)
from seqviz.floor import ambiguous_positions
from seqviz.modes import MODES

CASES = {
    "reference": RunConfig(epochs=200),
    "no token repeats": RunConfig(sequence="a b c d e", framing="next", epochs=150),
    "carried across a cut": RunConfig(sequence="a x b a y c", framing="next", mode="stateful", epochs=200),
    "rows in order": RunConfig(sequence="1 2 1 3 1 2 1 3 1", framing="next", mode="rows", epochs=100),
    "lanes": RunConfig(sequence="1 2 3 4 5 6 7 8 9", framing="next", mode="lanes", epochs=100),
    "with a test and a reset": RunConfig(
        sequence="a b c a b d",
        framing="next",
        mode="stateful",
        epochs=200,
        learning_rate=0.02,
        test_sequence="a b c a b d",
        reset_at=3,
    ),
    # The test is the training data itself: it cannot tell learned from memorised.
    "a test that repeats training": RunConfig(epochs=200, test_sequence="0 1 0 2"),
    # The same rule, longer than the training data: scored only where it goes past it.
    "a test past the training data": RunConfig(epochs=200, test_sequence="0 1 0 2 0 1 0 2"),
    # Numbers: a repeated value read in different states (no sentence may call it a token).
    "numbers": RunConfig(
        sequence="1 2.5 3 -1 2.5 4", framing="next", output="linear", mode="all", epochs=150
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


def _padding_only_by_hand(dataset, w) -> list[list[int]]:
    """Every pair of positions with different targets whose windows of w, zero-padded at their own
    sequence's start, differ, yet agree wherever both hold an input (brute force over all pairs)."""
    if w is None:
        return []
    inputs, targets, ids = dataset.input_keys, dataset.target_keys, dataset.sequence_ids

    def window(p):
        start = p
        while start > 0 and ids[start - 1] == ids[p]:
            start -= 1
        real = inputs[max(start, p - w + 1) : p + 1]
        return [None] * (w - len(real)) + list(real)

    out = []
    for p in range(len(inputs)):
        for q in range(p + 1, len(inputs)):
            a, b = window(p), window(q)
            if (
                targets[p] != targets[q]
                and a != b
                and all(x == y for x, y in zip(a, b) if None not in (x, y))
            ):
                out.append([p, q])
    return out


def _check(fact, mode, run_, dataset, feed) -> None:
    pairs, targets = run_.pairs, dataset.target_keys
    inputs = [x for x, _ in pairs]
    if isinstance(fact, Score):
        assert (fact.correct, fact.total) == (sum(p.correct for p in mode.predictions), len(pairs))
        assert (fact.final_loss, fact.floor) == (mode.final_loss, mode.loss_floor)
    elif isinstance(fact, LookAlike):
        keys = {feed.keys[p] for p in fact.positions}
        assert len(keys) == 1 and len({targets[p] for p in fact.positions}) > 1
        assert fact.targets == sorted({pairs[p][1] for p in fact.positions})
        if fact.mean is not None:  # numbers: the best single output is the targets' mean
            values = [float(pairs[p][1]) for p in fact.positions]
            assert fact.mean == round(sum(values) / len(values), 4) and fact.shares is None
        if fact.shares is not None:  # the best single output: each target's share of the group
            needed = [pairs[p][1] for p in fact.positions]
            assert fact.shares == [round(needed.count(t) / len(needed), 4) for t in fact.targets]
        if fact.seen == "input":
            assert {inputs[p] for p in fact.positions} == {fact.input}
    elif isinstance(fact, TellsApart):
        assert mode.loss_floor == 0 and fact.repeated_inputs == (len(set(inputs)) < len(inputs))
        expected = _padding_only_by_hand(dataset, fact.window) if fact.by == "window" else []
        assert fact.padding_count == len(expected) and fact.padding_only == expected[:20]
        assert ("apart only by the padding" in sentence(fact)) == bool(expected)
        text = sentence(fact)
        assert "token" not in text or not fact.numbers  # numbers are values, never tokens
        carried_repeat = fact.repeated_inputs and fact.by in ("stream", "prefix")
        word = "value" if fact.numbers else "token"
        assert (f"the same {word} arrives in different states" in text) == carried_repeat
        if not fact.repeated_inputs and fact.by in ("stream", "prefix", "input"):
            assert "repeats" in text or "occurs once" in text  # the sentence says why, from this data
    elif isinstance(fact, FloorGap):
        assert fact.reached == (mode.final_loss - mode.loss_floor <= REACHED) and mode.loss_floor > 0
    elif isinstance(fact, Fix):
        by_name = {m.mode: m for m in run_.runs}
        if fact.sequence_shape is not None and "sequence" in by_name:  # the fix, checked by its run
            assert by_name["sequence"].x_shape == fact.sequence_shape
            assert by_name["sequence"].loss_floor == 0
        assert fact.window == smallest_window(dataset.input_keys, targets, None, dataset.sequence_ids)
        by_hand = _padding_only_by_hand(dataset, fact.window)
        assert fact.padding_count == len(by_hand) and fact.padding_only == sorted(fact.padding_only)
        assert len(fact.padding_only) == min(20, len(by_hand)) and set(map(tuple, fact.padding_only)) <= {
            tuple(pair) for pair in by_hand
        }
        if fact.padding_only:  # the sentence shows the first pair's windows, as typed
            text = sentence(fact)
            p, q = fact.padding_only[0]
            assert f"positions {p} and {q} apart only by the padding" in text
            assert all(
                x is None or x == inputs[p - k] for k, x in enumerate(reversed(fact.padding_windows[0]))
            )
    elif isinstance(fact, NotYetLearned):
        assert mode.verdict != "cannot fit" and fact.ties == len(mode.ties)
        assert fact.wrong == len(pairs) - mode.correct - len(mode.ties) > 0
    elif isinstance(fact, NotConfident):
        assert mode.correct == len(pairs) and fact.gap > REACHED
        assert fact.gap == pytest.approx(mode.final_loss - mode.loss_floor)
        assert f"{fact.gap:.4f} above its floor" in sentence(fact)
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
            test = mode.test
            assert fact.test_right == sum(p.correct for p in test.predictions)
            new = [p for p in test.predictions if p.position not in set(test.seen) | set(test.ties)]
            assert (fact.new_right, fact.new_total) == (sum(p.correct for p in new), len(new))
            assert fact.verdict == "cannot fit" or fact.new_total > 0
            if fact.verdict != "cannot fit":  # (a floor above zero decides without the test)
                assert (fact.verdict == "learned") == (fact.new_right >= 0.9 * fact.new_total)
                text = sentence(fact)
                assert ("new to this mode" in text) == (len(new) < len(test.predictions))
    elif isinstance(fact, Unscored):
        test = mode.test
        assert mode.verdict is None and mode.correct + len(mode.ties) == len(pairs)
        assert set(test.seen) | set(test.ties) == {p.position for p in test.predictions}
        assert (fact.seen, fact.ties) == (len(set(test.seen) - set(test.ties)), len(test.ties))
        assert sentence(fact).startswith("No verdict")
    elif isinstance(fact, StateMatters):
        test = mode.test
        changed = [
            a.position for a, b in zip(test.predictions, test.reset_predictions) if a.predicted != b.predicted
        ]
        assert fact.changed == changed and all(p >= fact.reset_at for p in changed)
    elif isinstance(fact, SharedBatch):
        assert mode.loss_floor > 0 or mode.stateful  # said only where it explains something
        # Read the feed's own wiring again: the batch holds these samples, and none of them takes
        # its first state from another sample of the same batch.
        samples = mode.feed.batches[fact.batch]
        assert fact.samples == samples and len(samples) >= 2
        assert all(len(b) < 2 for b in mode.feed.batches[: fact.batch]) or "previous_batch" in fact.starts
        first = {c.sample: c.source for c in mode.feed.cells if c.step == 0}
        assert fact.starts == [first[s].kind for s in samples]
        assert all(first[s].sample not in samples for s in samples)
        text = sentence(fact)
        assert "state is not passed between the samples of a batch" in text
        assert ("yet each starts from zeros" in text) == (set(fact.starts) == {"zeros"})
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
        assert fact.unscored == [m.mode for m in run_.runs if any(isinstance(f, Unscored) for f in m.facts)]
        text = sentence(fact)
        undecided = not fact.rule and not fact.memorised
        assert ("a test sequence tells" in text) == (undecided and not fact.unscored)
        assert ("this test sequence cannot tell" in text) == (undecided and bool(fact.unscored))
        for name in fact.memorised:
            assert name in text.split("not predict it")[0].rsplit(";", 1)[-1]
    assert explain(run_)[-len(run_.facts) or None :] == [sentence(f) for f in run_.facts] or not run_.facts


def test_no_token_repeats_and_no_sentence_says_one_arrives_in_different_states():
    text = " ".join(explain(run(CASES["no token repeats"]).run))
    assert "arrives in different states" not in text and "no input token repeats" in text


def test_the_newcomer_s_first_run_says_first_that_samples_of_a_batch_share_no_state():
    # The seed question: "isn't state kept within the batch?". Its stateless run answers it first.
    run_ = run(RunConfig(epochs=60)).run
    stateless = run_.mode("stateless")
    assert isinstance(stateless.facts[1], SharedBatch) and stateless.facts[1].starts == ["zeros", "zeros"]
    from seqviz.explain import answer

    reason = answer(stateless).reason
    assert reason.startswith("Samples 0 and 1 are in the same batch (batch 0), yet each starts from zeros")
    assert all(not isinstance(f, SharedBatch) for f in run_.mode("sequence").facts)  # one sample
    # The window fits from zero state with two samples per batch: the sentence would explain nothing.
    assert all(not isinstance(f, SharedBatch) for f in run_.mode("window").facts)


def test_the_answer_line_gives_a_verdict_s_reason_from_the_test_s_own_numbers():
    from seqviz.explain import answer

    run_ = run(CASES["echo 2 back, all modes"]).run
    for mode in run_.runs:
        a, verdict = answer(mode), next(f for f in mode.facts if isinstance(f, Verdict))
        memorises = next((f for f in mode.facts if isinstance(f, Memorises)), None)
        if mode.verdict == "learned":
            assert a.headline == "learned the rule" and a.reason == sentence(verdict)
        elif mode.verdict == "memorised":
            assert a.reason == sentence(memorises if memorises is not None else verdict)
    assert {m.verdict for m in run_.runs} >= {"learned", "memorised", "cannot fit"}


@pytest.mark.parametrize(
    "text, framing, window, pairs",
    [
        # 0→1, 0→2: position 0's window is (·, 0), position 1's (0, 0): only the padding differs.
        ("0 1 0 2", "pairs", 2, [[0, 1]]),
        # x→a at 0, 3 and 6 with targets a, b, a: (·, x) against (y, x) differs only by padding;
        # (y, x) against (z, x) by a real input.
        ("x a y x b z x a y", "next", 2, [[0, 3]]),
        # a→b at 1 and a→e at 4: (c, a) against (d, a), real inputs both.
        ("c a b d a e", "next", 2, []),
        # two sequences, each starting with 'a' but going on differently: no window tells them apart.
        ("a b\na c", "next", None, []),
    ],
)
def test_a_window_that_tells_positions_apart_only_by_the_padding_is_found(text, framing, window, pairs):
    dataset = RunConfig(sequence=text, framing=framing).dataset()
    ids = dataset.sequence_ids
    assert smallest_window(dataset.input_keys, dataset.target_keys, None, ids) == window
    if window is not None:
        assert padding_only_pairs(dataset.input_keys, dataset.target_keys, window, ids) == (pairs, len(pairs))


def test_the_fix_says_when_a_window_reads_nothing_but_the_padding():
    result = run(RunConfig(sequence="0 1 0 2", framing="pairs", mode="stateless", epochs=5))
    fix = next(f for f in result.run.runs[0].facts if isinstance(f, Fix))
    assert (fix.window, fix.padding_only, fix.padding_windows) == (2, [[0, 1]], [[None, "0"], ["0", "0"]])
    assert fix.padding_count == 1
    assert "apart only by the padding (·) from before a sequence's start" in sentence(fix)
    assert "their windows are (·, '0') and ('0', '0'), the same wherever both hold an input" in sentence(fix)


def test_many_padding_only_pairs_are_counted_and_only_the_first_twenty_kept():
    """One line of 2,000 inputs '0 1 0 2 …' with targets 0, 1, 2 in turn, a window of 2: position
    0's window (·, 0) pairs with every later window ending in 0 whose target is not 0."""
    inputs = [0, 1, 0, 2] * 500  # positions 0, 2, 4…: input 0; targets alternate below
    targets = [k % 3 for k in range(len(inputs))]
    pairs, count = padding_only_pairs(inputs, targets, 2)
    # Only position 0 is padded: (·, 0). Every later position whose window ends in 0 and whose
    # target differs from position 0's (target 0) pairs with it.
    expected = [q for q in range(1, len(inputs)) if inputs[q] == 0 and targets[q] != 0]
    assert count == len(expected) and pairs == [[0, q] for q in expected[:20]]
