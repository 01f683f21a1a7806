"""Which test positions are new to a mode (what that mode sees, not the sequence's history), by
hand count."""

import pytest

from seqviz.config import RunConfig
from seqviz.modes import MODES
from seqviz.novelty import seen_positions
from seqviz.predict import prediction_feed
from seqviz.sequence import make_dataset


def test_a_position_is_seen_when_its_key_and_target_are_a_training_positions():
    train_keys, train_targets = [("a",), ("a", "b")], ["x", "y"]
    assert seen_positions(train_keys, train_targets, [("a",), ("a", "b"), ("b",)], ["x", "z", "x"]) == [0]
    # The same key with another target asks for something training never showed.
    assert seen_positions(train_keys, train_targets, [("a",)], ["y"]) == []


def test_a_state_carried_in_from_training_is_never_a_key_training_saw():
    assert seen_positions([("a",)], ["x"], [("a",)], ["x"], carried=True) == []


@pytest.mark.parametrize(
    ("train", "framing", "mode", "test", "seen"),
    [
        # The sequence layout sees each position's inputs since its sequence's start: past the
        # training data's end, positions 2 and 3 have prefixes training never had.
        ("0 1 0 2", "pairs", "sequence", "0 1 0 2", [0, 1]),
        ("0 1 0 2", "pairs", "sequence", "0 1 0 2 0 1 0 2", [0, 1]),
        ("0 1 0 2", "pairs", "sequence", "0 2 0 1", []),  # ('0',) → '2': training's ('0',) → '1'
        ("0 1 0 2", "pairs", "sequence", "0 1 0 1", [0]),  # ('0', '0') → '1': training's → '2'
        # Stateless sees only the input: training pairs in another order are all seen (the
        # reported defect: "learned the rule" from a test that shows it nothing new).
        ("a b c d e f", "pairs", "stateless", "e f a b c d", [0, 1, 2]),
        # A window of 2 sees the last two inputs: (y, x) → b and (x, b) → z are training's, but
        # position 0's window (·, y) starts a sequence, which no training window with y did.
        ("x a y x b z x a y", "next", "window", "y x b z", [1, 2]),
    ],
)
def test_seen_positions_by_hand(train, framing, mode, test, seen):
    config = RunConfig(sequence=train, framing=framing, mode=mode)
    training = make_dataset(train, framing)
    feed = MODES[mode](training, config)
    assert prediction_feed(test, framing, training, feed, 1, "zeros", 0).seen == tuple(seen)
