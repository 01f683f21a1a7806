"""The run configuration: checks, the URL round trip, the lenient URL reading."""

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from seqviz.config import MODE_NAMES, RunConfig
from seqviz.errors import SeqvizError
from seqviz.limits import SHARED_SERVER, Limits, limits_from_env


def test_defaults_are_the_reference_question():
    config = RunConfig()
    dataset = config.validate()
    assert (config.sequence, config.framing, config.mode, config.units, config.epochs) == (
        "0 1 0 2",
        "pairs",
        "all",
        20,
        300,
    )
    assert config.modes == MODE_NAMES
    assert len(dataset.pairs) == 2


@pytest.mark.parametrize(
    "change, message",
    [
        ({"units": 0}, "units must be between 1 and 256"),
        ({"units": 257}, "units"),
        ({"epochs": 0}, "epochs must be between 1 and 5000"),
        ({"epochs": 5001}, "epochs"),
        ({"window": 0}, "window must be between 1 and 2"),
        ({"window": 3}, "number of pairs"),
        ({"snapshots": 0}, "snapshots"),
        ({"snapshots": 201}, "snapshots"),
        ({"learning_rate": 0.0}, "learning rate"),
        ({"learning_rate": -1.0}, "learning rate"),
        ({"learning_rate": float("nan")}, "learning rate"),
        ({"batch_size": 2, "sequence": "0 1 0 2 0 1"}, "does not divide"),
        ({"mode": "bogus"}, "Unknown mode"),
        ({"framing": "bogus"}, "Unknown framing"),
        ({"output": "tanh"}, "Unknown output"),
    ],
)
def test_bad_options_are_refused(change, message):
    with pytest.raises(SeqvizError, match=message):
        replace(RunConfig(), **change).validate()


def test_query_round_trip_of_defaults_and_changes():
    for config in (
        RunConfig(),
        RunConfig(
            sequence="a, b a c",
            framing="next",
            mode="window",
            window=3,
            units=7,
            epochs=9,
            batch_size=3,
            output="softmax",
            learning_rate=0.0123,
            seed=5,
            snapshots=4,
        ),
    ):
        assert RunConfig.from_query(config.to_query()) == config


def test_unknown_query_keys_are_refused_strictly_and_noticed_leniently():
    with pytest.raises(SeqvizError, match="Unknown parameter"):
        RunConfig.from_query({"sequence": "0 1 0 2", "lr": "0.1"})
    config, notices = RunConfig.from_query_lenient({"units": "abc", "lr": "1", "epochs": "7"})
    assert config == RunConfig(epochs=7)
    assert len(notices) == 2 and "units" in notices[0] and "'lr'" in notices[1]


def test_lenient_reading_falls_back_option_by_option():
    config, notices = RunConfig.from_query_lenient(
        {"sequence": "0 1 0 2 0 1", "batch_size": "2", "units": "9"}
    )
    assert config.batch_size is None and config.units == 9 and config.sequence == "0 1 0 2 0 1"
    assert any("does not divide" in n for n in notices)
    config, notices = RunConfig.from_query_lenient({"sequence": "0 0"})
    assert config.sequence == RunConfig().sequence and "one distinct token" in notices[0]
    config, notices = RunConfig.from_query_lenient({"window": "99"}, limits=Limits())
    assert config.window == 2 and notices


def test_each_notice_names_the_option_it_is_about():
    config, notices = RunConfig.from_query_lenient({"units": "99999", "window": "5", "epochs": "9"})
    assert (config.units, config.window, config.epochs) == (20, 2, 9)
    assert len(notices) == 2
    by_option = {n.rsplit("Using the default ", 1)[-1].rstrip("."): n for n in notices}
    assert "units must be" in by_option["units"] and "window must be" in by_option["window"]


def test_a_one_pair_sequence_opens_with_a_window_of_one():
    config, notices = RunConfig.from_query_lenient({"sequence": "a b"})
    assert config.sequence == "a b" and config.window == 1
    assert len(notices) == 1 and "window" in notices[0]
    assert RunConfig(sequence="a b", mode="sequence").validate()  # no window mode, no window rule


def test_shared_server_limits_from_environment():
    assert limits_from_env({}) == Limits()
    assert limits_from_env({"SEQVIZ_SHARED": "1"}) == SHARED_SERVER
    limits = limits_from_env({"SEQVIZ_SHARED": "true", "SEQVIZ_MAX_EPOCHS": "50", "SEQVIZ_MAX_UNITS": "x"})
    assert limits.max_epochs == 50 and limits.max_units == SHARED_SERVER.max_units
    with pytest.raises(SeqvizError, match="between 1 and 50"):
        RunConfig(epochs=300).validate(limits)


query_values = st.one_of(st.text(max_size=30), st.integers().map(str), st.floats().map(repr))
query_keys = st.one_of(st.sampled_from(list(RunConfig().to_query()) + ["batch_size"]), st.text(max_size=10))


@given(st.dictionaries(query_keys, st.one_of(query_values, st.lists(query_values, max_size=3)), max_size=8))
def test_any_query_gives_a_valid_configuration_or_notices(query):
    config, notices = RunConfig.from_query_lenient(query)
    config.validate()  # never raises: every bad value fell back
    assert all(isinstance(n, str) and n for n in notices)


@given(
    st.builds(
        RunConfig,
        sequence=st.text(max_size=60),
        framing=st.sampled_from(["pairs", "next", "x"]),
        mode=st.sampled_from([*MODE_NAMES, "all", "x"]),
        window=st.integers(-3, 40),
        units=st.integers(-3, 300),
        epochs=st.integers(-3, 6000),
        batch_size=st.one_of(st.none(), st.integers(-3, 40)),
        output=st.sampled_from(["sigmoid", "softmax", "relu"]),
        learning_rate=st.one_of(st.floats(), st.integers(-2, 2)),
        seed=st.integers(-5, 2**32),
        snapshots=st.integers(-3, 300),
    )
)
def test_arbitrary_configurations_raise_only_seqviz_errors(config):
    try:
        config.validate()
    except SeqvizError as error:
        assert str(error)
        return
    assert RunConfig.from_query(config.to_query()).validate()


@pytest.mark.parametrize("number", ["1e300", "-1e300", "3e38", "1e999", "1.000001e15"])
def test_numbers_float32_cannot_train_on_are_refused_by_value(number):
    message = f"Token 2 of the sequence, '{number}', is outside the numbers seqviz accepts, -1e15 to 1e15"
    with pytest.raises(SeqvizError, match=message):
        RunConfig(sequence=f"1 {number} 3 4", output="linear").validate()
    with pytest.raises(SeqvizError, match=f"of the test sequence, '{number}', is outside"):
        RunConfig(sequence="1 2 3 4", test_sequence=f"1 {number}", output="linear").validate()
    RunConfig(sequence="1 1e15 3 -1e15", output="linear").validate()


def test_carry_needs_a_stateful_mode_and_a_trainer_that_keeps_the_state():
    base = RunConfig(sequence="0 1 0 2", test_sequence="0 1 0 2 0 1", predict_state="carry")
    with pytest.raises(SeqvizError, match="Predict from 'carry' needs a stateful mode: a stateless model"):
        replace(base, mode="stateless").validate()
    with pytest.raises(SeqvizError, match="needs a stateful mode"):
        replace(base, mode="sequence").validate()
    base.validate()  # mode all: the stateful mode carries its state, the others start from zeros
    replace(base, mode="stateful", units=64).validate()
    with pytest.raises(SeqvizError, match="at most 64 units here.*got 65 units"):
        replace(base, mode="stateful", units=65).validate()
    with pytest.raises(SeqvizError, match="got 65 units"):
        replace(base, units=65).validate()


@pytest.mark.parametrize("raw", ["", "0", " 0 ", "auto"])
def test_an_empty_or_zero_batch_size_is_the_mode_s_own(raw):
    assert RunConfig.from_query({"batch_size": raw}).batch_size is None


def test_the_sequence_mode_honours_the_batch_size():
    from seqviz.modes import MODES

    config = RunConfig(sequence="a b c a\nx y z\nb a", framing="next", mode="sequence", batch_size=2)
    feed = MODES["sequence"](config.validate(), config)
    assert (feed.samples, feed.batch_size) == (3, 2)
    assert MODES["sequence"](config.validate(), replace(config, batch_size=None)).batch_size == 3


def test_a_csv_takes_its_test_part_from_its_rows_not_a_test_sequence():
    with pytest.raises(SeqvizError, match="A test sequence does not apply to a CSV.*test rows"):
        RunConfig(csv="a,b\n1,2\n3,4\n5,6\n", output="linear", test_sequence="1 2").validate()
