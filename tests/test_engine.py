"""The whole engine on the reference question, and its bookkeeping."""

import json
import math

import numpy as np
import pytest

from seqviz.cells import CELLS
from seqviz.config import RunConfig
from seqviz.engine import run
from seqviz.errors import SeqvizError
from seqviz.floor import ambiguous_positions, identical_groups, loss_floor
from seqviz.modes import MODES
from seqviz.trainer import snapshot_epochs
from tests.stored_runs import CONFIGS as STORED
from tests.stored_runs import HERE, differences, stored


def _by_mode(result):
    """The run's JSON, as the CLI writes it, by mode."""
    return {r["mode"]: r for r in result.run.to_json()["runs"]}


def test_reference_question_end_to_end(reference_result):
    runs = _by_mode(reference_result)
    stateless = runs["stateless"]
    outputs = [p["probabilities"] for p in stateless["predictions"]]
    assert outputs[0] == outputs[1]  # both samples start from zeros and see '0'
    assert stateless["accuracy"] == 0.0  # both positions are ties: the floor forces a hedge
    assert [p["tie"] for p in stateless["predictions"]] == [True, True]
    assert stateless["loss_floor"] == pytest.approx(2 * math.log(2) / 3, abs=1e-9)
    assert stateless["final_loss"] >= stateless["loss_floor"] - 1e-6
    assert stateless["ambiguous_positions"] == [0, 1]
    for mode in ("stateful", "sequence", "window"):
        assert [p["predicted"] for p in runs[mode]["predictions"]] == ["1", "2"], mode
        assert runs[mode]["accuracy"] == 1.0 and runs[mode]["loss_floor"] == 0.0


def test_result_shape_follows_the_documented_json(reference_result):
    data = json.loads(json.dumps(reference_result.run.to_json()))
    assert data["vocabulary"] == ["0", "1", "2"]
    assert data["pairs"] == [
        {"input": "0", "target": "1", "sequence": 0},
        {"input": "0", "target": "2", "sequence": 0},
    ]
    assert data["sequences"] == [["0", "1", "0", "2"]]
    assert data["config"] == RunConfig().as_dict()
    runs = _by_mode(reference_result)
    assert (runs["stateless"]["x_shape"], runs["stateless"]["y_shape"], runs["stateless"]["batch_size"]) == (
        [2, 1, 3],
        [2, 3],
        2,
    )
    assert (runs["stateful"]["batch_size"], runs["stateful"]["stateful"]) == (1, True)
    assert (
        runs["sequence"]["x_shape"],
        runs["sequence"]["y_shape"],
        runs["sequence"]["return_sequences"],
    ) == ([1, 2, 3], [1, 2, 3], True)
    assert runs["window"]["x_shape"] == [2, 2, 3]
    for mode, r in runs.items():
        assert len(r["loss"]) == r["epochs"] == 300
        assert [s["epoch"] for s in r["snapshots"]][0] == 1 and r["snapshots"][-1]["epoch"] == 300
        assert len(r["snapshots"]) == 30
        assert r["snapshots"][-1]["h"] == [s["h"] for s in r["states"]]
        for state in r["states"]:
            assert set(state) >= {"position", "h0", "c0", "i", "f", "g", "o", "c", "h"}
            assert all(len(state[k]) == 20 for k in ("h0", "c0", "i", "f", "g", "o", "c", "h"))
        assert ("steps" in r["states"][0]) == (mode == "window")
    # Where each step's state came from.
    assert [s["source"]["kind"] for s in runs["stateless"]["states"]] == ["zeros", "zeros"]
    assert [s["source"]["kind"] for s in runs["stateful"]["states"]] == ["zeros", "previous_batch"]
    assert runs["stateful"]["states"][1]["h0"] == runs["stateful"]["states"][0]["h"]
    assert [s["source"]["kind"] for s in runs["sequence"]["states"]] == ["zeros", "previous_step"]
    window_steps = runs["window"]["states"][1]["steps"]
    assert [s["input"] for s in window_steps] == ["0", "0"]
    assert [s["input"] for s in runs["window"]["states"][0]["steps"]] == [None, "0"]


def test_same_seed_same_numbers_and_other_seed_differs():
    config = RunConfig(sequence="a b a c", epochs=30, mode="stateful")
    first, second = run(config).run, run(config).run
    assert first.runs[0].loss == second.runs[0].loss
    third = run(RunConfig(sequence="a b a c", epochs=30, mode="stateful", seed=1)).run
    assert third.runs[0].loss != first.runs[0].loss


def test_same_seed_reproduces_in_a_new_process(tmp_path):
    import subprocess
    import sys

    paths = [tmp_path / f"run{k}.json" for k in range(2)]
    for path in paths:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "seqviz",
                "run",
                "--sequence",
                "0 1 0 2",
                "--epochs",
                "50",
                "--json",
                str(path),
            ],
            check=True,
            capture_output=True,
        )
    first, second = (json.loads(p.read_text()) for p in paths)
    for a, b in zip(first["runs"], second["runs"]):
        assert a["loss"] == b["loss"] and a["states"] == b["states"]


def test_progress_reports_and_can_stop():
    seen = []

    def progress(mode, epoch, loss):
        seen.append((mode, epoch, loss))
        return epoch >= 50

    result = run(RunConfig(mode="sequence", epochs=300), progress=progress)
    assert result.stopped and result.run.to_json()["stopped"]
    r = result.run.runs[0]
    assert r.stopped and r.epochs == len(r.loss) == seen[-1][1] < 300
    assert [e for _, e, _ in seen] == sorted(e for _, e, _ in seen)
    assert seen[-1][2] == pytest.approx(r.loss[-1])


def test_snapshot_epochs_are_evenly_spaced():
    assert snapshot_epochs(300, 30)[:3] == [1, 11, 22] and snapshot_epochs(300, 30)[-1] == 300
    assert snapshot_epochs(5, 30) == [1, 2, 3, 4, 5]
    assert snapshot_epochs(10, 1) == [10]
    assert snapshot_epochs(1, 2) == [1]


def test_floors_and_ambiguity_for_every_mode():
    config = RunConfig(sequence="a b a c b a b c", framing="pairs", window=2)
    dataset = config.validate()  # pairs a→b, a→c, b→a, b→c
    targets = dataset.targets
    feeds = {m: MODES[m](dataset, config) for m in MODES}
    assert identical_groups(feeds["stateless"].keys) == [[0, 1], [2, 3]]
    assert ambiguous_positions(feeds["stateless"].keys, targets) == [0, 1, 2, 3]
    h = lambda p: -(p * np.log(p) + (1 - p) * np.log(1 - p))  # noqa: E731
    assert loss_floor(feeds["stateless"].keys, targets, 3, "sigmoid") == pytest.approx(2 * h(0.5) / 3)
    assert loss_floor(feeds["stateless"].keys, targets, 3, "softmax") == pytest.approx(math.log(2))
    assert loss_floor(feeds["sequence"].keys, targets, 3, "sigmoid") == 0.0
    assert loss_floor(feeds["stateful"].keys, targets, 3, "sigmoid") == 0.0
    assert ambiguous_positions(feeds["window"].keys, targets) == []
    wide = MODES["stateful"](dataset, RunConfig(sequence=config.sequence, batch_size=2))
    # Batch size 2: streams (0, 2) and (1, 3) both read a then b, yet want different targets.
    assert ambiguous_positions(wide.keys, targets) == [0, 1, 2, 3]
    assert identical_groups(wide.keys) == [[0, 1], [2, 3]]


def test_run_refuses_bad_configurations_before_training():
    with pytest.raises(SeqvizError):
        run(RunConfig(sequence="0 1 0"))


def test_explanations_say_why_each_mode_succeeds_or_fails(reference_result):
    from seqviz.explain import explain, explain_run
    from seqviz.facts import Contrast, Fix, LookAlike

    run_ = reference_result.run
    stateless = run_.mode("stateless")
    look_alike = next(f for f in stateless.facts if isinstance(f, LookAlike))
    assert (look_alike.positions, look_alike.seen, look_alike.input) == ([0, 1], "input", "0")
    assert next(f for f in stateless.facts if isinstance(f, Fix)).window == 2
    sentences = explain_run(stateless)
    assert sentences[1].startswith(
        "Samples 0 and 1 are in the same batch (batch 0), yet each starts from zeros"
    )
    assert "Positions 0 and 1 both see only the input '0'" in sentences[2]
    assert "window of 2 inputs" in sentences[-1]
    assert "arrives in different states" in " ".join(explain_run(run_.mode("sequence")))
    assert "previous batch (batch size 1)" in " ".join(explain_run(run_.mode("stateful")))
    assert "last 2 inputs" in " ".join(explain_run(run_.mode("window")))
    assert run_.facts == [
        Contrast(["stateless"], ["stateful", "sequence", "window"], reasons=["batch"], windows=[None])
    ]
    assert explain(run_)[-1].endswith(
        "stateless cannot learn this sequence (its samples share a batch but never a state); stateful, "
        "sequence and window fit every position of it "
        "(whether that is the rule or memory, a test sequence tells)."
    )


def test_the_typed_run_round_trips_through_json():
    from seqviz.results import Run

    for config in (RunConfig(epochs=5), RunConfig(epochs=5, cell="gru", layers=2, mode="window")):
        data = json.loads(json.dumps(run(config).run.to_json()))
        typed = Run.from_json(data)
        assert typed.config == config and typed.to_json() == data


@pytest.mark.parametrize(
    "cell, names",
    [
        ("lstm", "h0 c0 i f g o c h"),
        ("gru", "h0 z r hh h"),
        ("simple_rnn", "h0 h"),
        ("gru_v1", "h0 z r hh h"),
    ],
)
def test_every_cell_keeps_its_own_names_and_stacked_runs_keep_every_layer(cell, names):
    result = run(RunConfig(epochs=5, cell=cell, layers=2, mode="window", units=4))
    state = result.run.to_json()["runs"][0]["states"][1]
    keys = names.split()
    assert [
        k for k in state if k not in ("position", "sample", "step", "batch", "source", "layers", "steps")
    ] == keys
    assert len(state["layers"]) == 2 and all(list(layer) == keys for layer in state["layers"])
    assert state["layers"][1] == {k: state[k] for k in keys}  # top-level values: the last layer's
    assert state["steps"][-1]["h"] == state["h"]
    snapshot = result.run.runs[0].snapshots[-1]
    assert set(snapshot.states) == set(CELLS[cell].state_names)


@pytest.mark.parametrize("name", sorted(STORED))
def test_a_seed_configuration_still_gives_its_stored_run(name):
    """A refactor moves no number: each seed configuration's JSON equals the stored one (timings
    aside, floats within 1e-5). After a change that should move numbers: python -m tests.stored_runs."""

    want = json.loads((HERE / f"{name}.json").read_text())
    got = stored(run(STORED[name]).run.to_json())
    assert differences(want, got) == []
