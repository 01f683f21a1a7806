"""Which test positions repeat the training data, by hand count."""

import pytest

from seqviz.novelty import longest_repeat, repeated_positions
from seqviz.sequence import make_dataset


def test_longest_repeat_counts_the_leading_items_found_in_order_in_one_stream():
    assert longest_repeat("abc", ["xabcy"]) == 3
    assert longest_repeat("abd", ["xabcy"]) == 2
    assert longest_repeat("zab", ["xabcy"]) == 0
    assert longest_repeat("cya", ["xabcy", "cyab"]) == 3  # found in the second stream
    assert longest_repeat("", ["ab"]) == 0


@pytest.mark.parametrize(
    ("train", "framing", "test", "seen"),
    [
        ("0 1 0 2", "pairs", "0 1 0 2", [0, 1]),  # the training data itself: every position
        ("0 1 0 2", "pairs", "0 1 0 2 0 1 0 2", [0, 1]),  # past the end from position 2
        ("0 1 0 2", "pairs", "0 2 0 1", [0]),  # 0→2 occurs in training; 0→2 then 0→1 does not
        # Next framing: y x b z x a y x b z x a y repeats x a y x b z x a y from its 3rd token for
        # six pairs (y→x … a→y), then goes on past the end.
        ("x a y x b z x a y", "next", "y x b z x a y x b z x a y", [0, 1, 2, 3, 4, 5]),
        # Several test lines: each is checked from its own start, against every training line.
        ("a b c d\nx b c y", "next", "b c y\nb c d", [0, 1, 2, 3]),
        ("a b c d\nx b c y", "next", "a b c y", [0, 1]),  # a→b, b→c as in line 1, then c→y
    ],
)
def test_repeated_positions_by_hand(train, framing, test, seen):
    training = make_dataset(train, framing)
    assert repeated_positions(training, make_dataset(test, framing, vocabulary=training.vocabulary)) == seen
