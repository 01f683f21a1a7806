"""The run JSON against its documented contract, docs/run.schema.json, for every cell."""

import json
from pathlib import Path

import jsonschema
import pytest

from seqviz.cells import CELLS
from seqviz.config import RunConfig
from seqviz.engine import run
from tests.cases import LAYOUTS

SCHEMA = json.loads((Path(__file__).resolve().parent.parent / "docs" / "run.schema.json").read_text())


def _validate(data: dict) -> None:
    jsonschema.Draft202012Validator(SCHEMA).validate(json.loads(json.dumps(data)))


def test_the_schema_is_itself_valid():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


@pytest.mark.parametrize("layers", [1, 2])
@pytest.mark.parametrize("cell", list(CELLS))
def test_real_runs_follow_the_schema(cell, layers):
    _validate(run(RunConfig(epochs=3, snapshots=2, cell=cell, layers=layers, units=3)).run.to_json())


def test_the_reference_run_follows_the_schema(reference_result):
    _validate(reference_result.run.to_json())


@pytest.mark.parametrize(
    "break_it",
    [
        lambda d: d["runs"][0]["states"][0].pop("h0"),
        lambda d: d["runs"][0]["states"][0].update(q=[1.0]),
        lambda d: d["runs"][0].update(verdict="learned!"),
        lambda d: d["runs"][0].update(colour="red"),
        lambda d: d["config"].update(cell="transformer"),
        lambda d: d["runs"][0]["feed"]["cells"][0]["source"].update(kind="elsewhere"),
    ],
)
def test_the_schema_refuses_what_the_contract_forbids(reference_result, break_it):
    data = json.loads(json.dumps(reference_result.run.to_json()))
    break_it(data)
    with pytest.raises(jsonschema.ValidationError):
        _validate(data)


@pytest.mark.parametrize("name", list(LAYOUTS))
def test_every_layout_s_run_follows_the_schema(name, layout_run):
    """Every layout of tests/cases.py (the runs tests/test_player.py also reads)."""
    _validate(layout_run(name).run.to_json())


@pytest.mark.parametrize(
    "config",
    [
        RunConfig(
            sequence="1 2 3 4 5 6 7 8 9", framing="next", mode="lanes", test_sequence="2 3 4 5", reset_at=1
        ),
        RunConfig(
            sequence="1 2.5 3 -1 2.5 4", framing="next", output="linear", mode="window", test_sequence="1 2"
        ),
        RunConfig(
            csv="a,b\n1,2\n3,4.5\n2,1\n5,0\n1,1\n2,2",
            target="b",
            output="linear",
            scaling="standardise",
            mode="chunks",
            test_rows=2,
        ),
    ],
    ids=["with-a-test-sequence", "numbers", "csv-with-test-rows"],
)
def test_every_kind_of_run_follows_the_schema(config):
    _validate(run(RunConfig(**{**config.as_dict(), "epochs": 3, "snapshots": 2, "units": 3})).run.to_json())


def test_a_diverged_run_is_strict_json_with_null_for_every_non_finite_number(reference_result):
    import copy
    import dataclasses

    from seqviz.jsonout import dumps

    diverged = copy.deepcopy(reference_result.run)
    mode = diverged.runs[0]
    mode.loss = [float("nan"), float("inf"), *mode.loss[2:]]
    mode.final_loss = float("-inf")
    last, first = mode.snapshots[-1], mode.predictions[0]
    mode.snapshots[-1] = dataclasses.replace(last, loss=float("nan"))
    mode.predictions[0] = dataclasses.replace(
        first, probability=float("nan"), probabilities=[float("nan")] * len(first.probabilities)
    )
    data = diverged.to_json()
    text = json.dumps(data, allow_nan=False)  # strict: would raise on a NaN or an infinity
    assert "NaN" not in dumps(data) and "Infinity" not in text
    run_json = data["runs"][0]
    assert run_json["loss"][:2] == [None, None] and run_json["final_loss"] is None
    assert run_json["snapshots"][-1]["loss"] is None and run_json["predictions"][0]["probability"] is None
    _validate(data)
