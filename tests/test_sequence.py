"""Parsing, vocabulary and framings."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from seqviz.errors import SeqvizError
from seqviz.limits import Limits
from seqviz.sequence import Vocabulary, make_dataset, parse_tokens


def test_tokens_split_on_spaces_and_commas():
    assert parse_tokens(" 0, 1,,0\t2\n") == ["0", "1", "0", "2"]
    assert parse_tokens("héllo wörld 猫") == ["héllo", "wörld", "猫"]


def test_integer_vocabulary_sorts_numerically():
    assert Vocabulary.from_tokens(["10", "2", "0", "2"]).itos == ("0", "2", "10")
    assert Vocabulary.from_tokens(["-1", "3", "+2"]).itos == ("-1", "+2", "3")


def test_word_vocabulary_keeps_first_appearance():
    assert Vocabulary.from_tokens(["b", "a", "b", "1"]).itos == ("b", "a", "1")


def test_reference_encoding_matches_the_question():
    dataset = make_dataset("0 1 0 2", "pairs")
    assert dataset.pairs == (("0", "1"), ("0", "2"))
    x = dataset.vocabulary.one_hot(dataset.inputs)
    y = dataset.vocabulary.one_hot(dataset.targets)
    assert x.tolist() == [[1, 0, 0], [1, 0, 0]]
    assert y.tolist() == [[0, 1, 0], [0, 0, 1]]


def test_next_framing():
    assert make_dataset("0 1 0 2", "next").pairs == (("0", "1"), ("1", "0"), ("0", "2"))


@given(
    st.lists(st.text(min_size=1).filter(lambda t: t.split(",")[0].strip() == t and "," not in t), min_size=1)
)
def test_encode_decode_round_trip(tokens):
    vocab = Vocabulary.from_tokens(tokens)
    assert vocab.decode(vocab.encode(tokens)) == tokens
    assert vocab.one_hot(vocab.encode(tokens)).sum(axis=1).tolist() == [1.0] * len(tokens)


@pytest.mark.parametrize(
    "text, framing, message",
    [
        ("", "pairs", "empty"),
        ("  ,, \n", "pairs", "empty"),
        ("0 1 0", "pairs", "even number"),
        ("a a a a", "pairs", "one distinct token"),
        ("a", "next", "one distinct token"),
        ("0 1", "nope", "Unknown framing"),
        (" ".join(str(k) for k in range(201)), "next", "limit is 200"),
        (" ".join(str(k % 51) for k in range(102)), "pairs", "51 distinct tokens"),
    ],
)
def test_bad_sequences_have_clear_messages(text, framing, message):
    with pytest.raises(SeqvizError, match=message):
        make_dataset(text, framing)


def test_limits_are_configurable():
    with pytest.raises(SeqvizError, match="limit is 4"):
        make_dataset("0 1 0 2 0 3", "pairs", Limits(max_tokens=4))


@given(st.text(), st.sampled_from(["pairs", "next", "other", ""]))
def test_arbitrary_text_raises_only_seqviz_errors(text, framing):
    try:
        dataset = make_dataset(text, framing)
    except SeqvizError as error:
        assert str(error)
        return
    assert dataset.vocabulary.size >= 2 and dataset.pairs


@pytest.mark.parametrize("text", ["a b|c d", "a b | c d", "a b||c d", "a b,|,c d", "a b\nc d"])
def test_a_bar_separates_sequences_glued_or_not(text):
    dataset = make_dataset(text, "pairs")
    assert dataset.sequences == (("a", "b"), ("c", "d")) and dataset.pairs == (("a", "b"), ("c", "d"))
    assert dataset.vocabulary.itos == ("a", "b", "c", "d")


def test_a_glued_bar_in_a_test_sequence_uses_the_training_vocabulary():
    train = make_dataset("a b|c d", "pairs")
    test = make_dataset("c d|a b", "pairs", vocabulary=train.vocabulary)
    assert test.sequences == (("c", "d"), ("a", "b")) and test.inputs == [2, 0]


@pytest.mark.parametrize("text", ["1 2|3 4", "1 2 | 3 4", "1,2|3,4"])
def test_a_bar_separates_numeric_sequences(text):
    from seqviz.numeric import numeric_dataset

    dataset = numeric_dataset(text, "pairs")
    assert dataset.sequences == (("1", "2"), ("3", "4")) and dataset.numeric is not None
    assert dataset.numeric.raw_targets == (2.0, 4.0)
