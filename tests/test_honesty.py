"""Regression tests for sentences a run used to contradict (issue 21), one per defect: the false
sentence is gone, the true one is there, and the checker re-derives every fact of the run."""

from __future__ import annotations

import pytest

from seqviz.cli import report
from seqviz.config import RunConfig
from seqviz.engine import run
from seqviz.errors import SeqvizError
from seqviz.explain import answer, explain, loss_lines, sentence
from seqviz.facts import Contrast, LookAlike, Memorises, StateMatters, Unscored, Verdict
from seqviz.regression import verdict as regression_verdict
from tests.checker import check_run


def checked(config: RunConfig):
    result = run(config)
    check_run(result)
    return result


def text_of(result) -> str:
    return " ".join(explain(result.run)) + " " + " ".join(answer(m).text() for m in result.run.runs)


def test_a_numeric_test_that_repeats_training_gets_no_learned_verdict():
    result = checked(
        RunConfig(
            sequence="1 2 3 1 2 3 1 2 3",
            framing="next",
            output="linear",
            mode="sequence",
            epochs=300,
            learning_rate=0.02,
            test_sequence="1 2 3",
        )  # fmt: skip
    )
    mode = result.run.runs[0]
    assert mode.test is not None and mode.test.seen == [0, 1] and mode.verdict is None
    assert "learned the rule" not in answer(mode).text() and "Verdict: learned" not in text_of(result)


def test_a_stateless_test_of_training_pairs_in_another_order_shows_nothing_new():
    result = checked(
        RunConfig(sequence="a b c d e f", mode="stateless", test_sequence="e f a b c d", epochs=300)
    )
    mode = result.run.runs[0]
    assert mode.test is not None and mode.test.seen == [0, 1, 2] and mode.verdict is None
    assert "learned the rule" not in text_of(result)
    unscored = next(f for f in mode.facts if isinstance(f, Unscored))
    assert "(the same input)" in sentence(unscored)


def test_a_floor_far_under_the_tolerance_is_no_cross_and_no_cannot_learn():
    result = checked(
        RunConfig(
            sequence="1 2 1 2.01 3 4", output="linear", mode="stateless", epochs=300, learning_rate=0.05
        )
    )
    mode = result.run.runs[0]
    assert mode.loss_floor > 0 and mode.verdict != "cannot fit"
    line = answer(mode)
    assert line.mark != "✗" and "cannot learn" not in line.text()


def test_a_shuffled_stateful_feed_never_says_zero_state():
    result = checked(RunConfig(sequence="0 1 0 2 0 1 0 3", mode="custom", stateful=True, shuffle=True))
    mode = result.run.runs[0]
    look = next(f for f in mode.facts if isinstance(f, LookAlike))
    assert look.start == "shuffled" and "zero state" not in sentence(look)
    assert "shuffled order" in sentence(look)
    assert {c.source.kind for c in mode.feed.cells} == {"shuffled"}


def test_no_every_layout_claim_where_a_carried_stream_tells_the_sequences_apart():
    result = checked(RunConfig(sequence="a b\na c", mode="all", epochs=300))
    words = text_of(result)
    assert "in every layout" not in words
    assert "every layout that starts each sequence from zeros" in words
    assert result.run.mode("stateful").loss_floor == 0  # the stream across both sequences


def test_a_never_reset_stateful_feed_says_where_the_first_sample_starts():
    result = checked(RunConfig(sequence="0 1 0 2", mode="custom", stateful=True, reset="never", batch_size=1))
    first = next(c for c in result.run.runs[0].feed.cells if c.sample == 0)
    assert first.source.kind == "previous_epoch" and first.source.sample == 1 and not first.reset
    assert "zeros in epoch 1, then the previous epoch's last batch (sample 1)" in report(result.run)


def test_memorised_look_alike_groups_are_kept_apart():
    result = checked(RunConfig(sequence="0 1 0 2 3 1 3 2", mode="stateful", epochs=50))
    memorises = next(f for f in result.run.runs[0].facts if isinstance(f, Memorises))
    assert memorises.groups == [[0, 1], [2, 3]]
    assert sentence(memorises).startswith("Positions 0 and 1; 2 and 3 (each group) look alike")


def test_a_memorised_verdict_states_its_numbers_and_no_more():
    fact = Verdict("window", "memorised", 0.0, 16, 16, 0, 21, 25, new_right=21, new_total=25)
    text = sentence(fact)
    assert "does not carry over" not in text and "21 of 25 test positions right" in text


def test_a_reset_where_the_state_is_already_zero_shows_nothing():
    result = checked(RunConfig(mode="stateless", sequence="0 1 0 2 0 1", test_sequence="0 1", reset_at=0))
    fact = next(f for f in result.run.runs[0].facts if isinstance(f, StateMatters))
    assert fact.already_zero and "already all zeros" in sentence(fact)
    assert "do not depend on the state" not in sentence(fact)


def test_a_window_too_narrow_is_blamed_on_its_width_not_on_batching():
    result = checked(RunConfig(mode="all", window=1, epochs=300))
    contrast = next(f for f in result.run.facts if isinstance(f, Contrast))
    assert dict(zip(contrast.stuck, contrast.reasons)) == {"stateless": "batch", "window": "window"}
    assert "window cannot (a window of 1 input leaves look-alike positions" in sentence(contrast)


def test_a_masked_zero_under_standardise_does_not_advise_standardise():
    config = RunConfig(
        sequence="1 3 4\n2 5", framing="next", output="linear", mode="sequence", scaling="standardise"
    )
    with pytest.raises(SeqvizError) as refused:
        config.validate()
    assert "Use the standardise scaling" not in str(refused.value)
    assert "equals its column's mean" in str(refused.value)


def test_the_loss_guide_names_only_lines_that_exist_and_what_they_did():
    result = checked(RunConfig(sequence="1 2 3 1 2 3", framing="next", output="linear", mode="sequence"))
    words = sentence(loss_lines(result.run))
    assert "other lines" not in words and words.startswith("sequence's loss was lower")
    default = sentence(loss_lines(checked(RunConfig()).run))
    assert "flattens" not in default  # after 300 epochs stateless is still above its floor
    assert "stateless's loss is still above the dashed floor, which is above zero" in default


def test_a_short_test_part_is_judged_against_the_training_spread_not_its_own():
    train = [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
    # Three test rows that barely vary: 0.2 off each is a poor fit of their own spread, a close
    # one on the scale training taught (5% of its variance).
    assert regression_verdict(0.0, train, train, ([3.2, 3.3, 3.4], [3.0, 3.1, 3.2])) == "learned"
