"""Every option, mode and cell is complete and appears everywhere it must: the option table
drives validation, the URL, the CLI and the form; the registries hold whole records."""

import dataclasses
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from seqviz import figures
from seqviz.cells import CELLS
from seqviz.cli import _parser
from seqviz.config import ALL, MODE_NAMES, OPTION_BY_NAME, OPTIONS, RunConfig
from seqviz.errors import SeqvizError
from seqviz.explain import SEEN_BY_MODE
from seqviz.limits import Limits
from seqviz.modes import MODES
from seqviz.network import layer_forward, zero_states
from seqviz.weights import initial_weights

NUMERIC_OPTIONS = ("scaling", "csv", "target", "features", "target_row", "test_rows")
APP = str(Path(__file__).resolve().parent.parent / "app.py")


def test_the_option_table_is_the_run_configuration():
    assert {o.name for o in OPTIONS} == {f.name for f in dataclasses.fields(RunConfig)}
    for option in OPTIONS:
        assert option.label and option.help, option.name
        assert option.kind in ("text", "choice", "int", "optional_int", "float", "bool", "steps"), option.name
        if option.kind == "choice":
            assert option.choices and getattr(RunConfig(), option.name) in option.choices
            assert all(option.choices.values()), option.name  # every choice has its help
        if option.kind in ("int", "optional_int", "float"):
            assert option.low is not None and option.upper(Limits()) is not None, option.name


def test_every_option_is_a_cli_flag_with_the_table_s_choices():
    run = next(a for a in _parser()._actions if a.dest == "command").choices["run"]
    actions = {a.dest: a for a in run._actions}
    for option in OPTIONS:
        assert option.flag in actions[option.name].option_strings
        if option.choices is not None:
            assert list(actions[option.name].choices) == list(option.choices)


def test_every_option_round_trips_through_the_url_with_its_own_key():
    changed = RunConfig(
        sequence="a b a c b c a b a c b a c",
        framing="next",
        mode="custom",
        cell="gru",
        layers=2,
        units=7,
        epochs=9,
        window=3,
        batch_size=2,
        output="softmax",
        learning_rate=0.0123,
        seed=5,
        snapshots=4,
        timesteps="3",
        stride=3,
        stateful=True,
        arrange="rows",
        shuffle=True,
        reset="never",
        return_sequences=True,
        test_sequence="a b a c b a c",
        predict_batch_size=2,
        predict_state="carry",
        reset_at=1,
    )
    # The numbers' options (a CSV replaces the sequence) round-trip in a run of their own.
    numbers = RunConfig(
        csv="t,a,b\n1,2,3\n2,3.5,1\n3,1,0\n4,2,2\n5,0,1\n6,1,1",
        target="a",
        features="b,t",
        target_row="same",
        test_rows=2,
        scaling="standardise",
        output="linear",
    )
    query = changed.to_query()
    assert set(query) == {o.name for o in OPTIONS}
    for option in OPTIONS:
        which = numbers if option.name in NUMERIC_OPTIONS else changed
        assert getattr(which, option.name) != getattr(RunConfig(), option.name), option.name
        assert option.flag == "--" + option.name.replace("_", "-")  # URL keys match the CLI flags
    assert RunConfig.from_query(query) == changed
    assert RunConfig.from_query(numbers.to_query()) == numbers


def test_every_option_has_a_form_widget_with_the_table_s_range():
    at = AppTest.from_file(APP, default_timeout=180)
    at.query_params["epochs"] = "5"
    at.run()
    widgets = {
        w.key: w
        for w in [*at.text_input, *at.text_area, *at.radio, *at.selectbox, *at.number_input, *at.checkbox]
    }
    for option in OPTIONS:
        widget = widgets[f"w_{option.name}"]
        assert widget.label == option.label and widget.help.startswith(option.help), option.name
        if option.kind == "choice":
            assert len(widget.options) == len(option.choices), option.name
        if option.kind in ("int", "float"):
            assert widget.min == option.low and widget.max == option.upper(Limits()), option.name


@pytest.mark.parametrize(
    "name, bad, message",
    [
        ("cell", "transformer", "Unknown cell 'transformer'; choose one of: lstm, gru, simple_rnn"),
        ("layers", 4, "layers must be between 1 and 3"),
        ("layers", 0, "layers must be between 1 and 3"),
        ("learning_rate", 1e-7, "learning rate must be between 1e-06 and 10"),
        ("mode", "bogus", "Unknown mode 'bogus'; choose one of: all, stateless"),
    ],
)
def test_bad_values_name_the_option_and_what_is_accepted(name, bad, message):
    with pytest.raises(SeqvizError, match=message):
        dataclasses.replace(RunConfig(), **{name: bad}).validate()


def test_every_mode_record_is_complete_and_used_everywhere():
    assert tuple(MODES)[: len(MODE_NAMES)] == MODE_NAMES  # "all" compares the first four
    assert list(OPTION_BY_NAME["mode"].choices) == [ALL, *MODES]
    dataset = RunConfig(sequence="a b c d e f g h i", framing="next").validate()
    for name, spec in MODES.items():
        assert spec.name == name and spec.help
        assert set(spec.options) <= set(OPTION_BY_NAME)
        assert name in figures.MODE_COLORS
        feed = spec(dataset, RunConfig(mode=name, window=2))
        assert feed.mode == name and feed.x.shape[0] == feed.positions.shape[0]
        predicted = sorted(int(p) for p in feed.positions.ravel() if p >= 0)
        assert predicted == list(range(len(dataset.pairs))), name  # every position predicted once
    for name in MODE_NAMES:
        assert MODES[name].export_data.strip() or name == "sequence"
        assert name in SEEN_BY_MODE


@pytest.mark.parametrize("name", list(CELLS))
def test_every_cell_record_is_complete(name):
    import keras

    cell = CELLS[name]
    assert cell.name == name and cell.label and cell.summary
    assert hasattr(keras.layers, cell.keras_layer)
    assert cell.state_names[0] == "h"
    internal_names = [i.name for i in cell.internals]
    assert set(internal_names) <= set(cell.trace_names) and set(cell.state_names) <= set(internal_names)
    for internal in cell.internals:
        assert internal.label and internal.meaning and internal.equation
    # One step of the cell, run by the generic driver, keeps every internal in its range.
    weights = initial_weights(3, 4, seed=1, cell=name)
    x = np.random.default_rng(0).normal(size=(2, 5, 3)).astype(np.float32)
    trace = layer_forward(cell, weights.layers[0], x, zero_states(cell, 2, 4))
    for t in trace.traces:
        for internal in cell.internals:
            value = t[cell.trace_names.index(internal.name)]
            assert value.shape == (2, 4)
            if internal.low is not None:
                assert internal.low <= value.min() and value.max() <= internal.high
    assert name in OPTION_BY_NAME["cell"].choices


def test_each_closed_set_of_strings_is_its_registry_s_keys():
    """The Literal types the run model is typed with name exactly the entries of the tables the
    option table, the form and the CLI read: neither can grow without the other."""
    from typing import get_args

    from seqviz.csvdata import TARGET_ROWS, TargetRow
    from seqviz.layout import ARRANGEMENTS, RESETS, Arrange, Reset
    from seqviz.losses import OUTPUTS, OutputName
    from seqviz.predict import STATE_POLICIES, StatePolicy
    from seqviz.scaling import SCALINGS, ScalingKind
    from seqviz.sequence import FRAMINGS, Framing

    for literal, table in (
        (Arrange, ARRANGEMENTS),
        (Reset, RESETS),
        (OutputName, OUTPUTS),
        (StatePolicy, STATE_POLICIES),
        (ScalingKind, SCALINGS),
        (Framing, FRAMINGS),
        (TargetRow, TARGET_ROWS),
    ):
        assert list(get_args(literal)) == list(table), literal
