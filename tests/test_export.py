"""Exports run as a user would run them: the scripts under plain Keras, the models loaded by Keras."""

import json
import os
import re
import subprocess
import sys

import numpy as np
import pytest

from seqviz.config import RunConfig
from seqviz.engine import run
from seqviz.export import export, training_script

keras = pytest.importorskip("keras")


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    directory = tmp_path_factory.mktemp("export")
    result = run(RunConfig(sequence="0 1 0 2", epochs=200, learning_rate=0.01))
    export(result, directory)
    return result, directory


def test_export_writes_json_scripts_and_models(exported):
    result, directory = exported
    assert json.loads((directory / "run.json").read_text()) == json.loads(json.dumps(result.run.to_json()))
    for mode in ("stateless", "stateful", "sequence", "window"):
        assert (directory / mode / "train.py").is_file() and (directory / mode / "model.keras").is_file()


@pytest.mark.parametrize("mode", ["stateless", "stateful", "sequence", "window"])
def test_saved_models_load_in_plain_keras_and_predict_what_seqviz_shows(exported, mode):
    result, directory = exported
    model = keras.saving.load_model(directory / mode / "model.keras")
    feed = result.feeds[mode]
    if feed.stateful:
        model.get_layer("lstm").reset_state()  # what a user would type for one LSTM layer
    predicted = model.predict(feed.x, batch_size=feed.batch_size, verbose=0)
    if feed.return_sequences:
        predicted = predicted[0]
    shown = [p.probabilities for p in result.run.mode(mode).predictions]
    np.testing.assert_allclose(predicted, shown, atol=1e-5)


@pytest.mark.parametrize("mode", ["stateless", "stateful", "sequence", "window"])
def test_scripts_run_as_is_and_learn_what_seqviz_learned(exported, mode):
    _, directory = exported
    script = directory / mode / "train.py"
    source = script.read_text()
    assert "seqviz" not in source.split('"""', 2)[2]  # no seqviz import after the docstring
    compile(source, str(script), "exec")
    done = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        cwd=directory / mode,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    lines = re.findall(r"^input=(\S+) target=(\S+) predicted=(\S+)$", done.stdout, re.M)
    assert [(x, y) for x, y, _ in lines] == [("0", "1"), ("0", "2")]
    predicted = [p for _, _, p in lines]
    if mode == "stateless":
        assert predicted[0] == predicted[1]  # fit cannot tell the two samples apart either
    else:
        assert predicted == ["1", "2"]


def test_scripts_quote_any_token_safely():
    config = RunConfig(sequence="it's \"q\" \\ it's ok", framing="next", mode="window", epochs=3)
    result = run(config)
    source = training_script(result.feeds["window"], result.dataset, config)
    namespace: dict = {}
    data_part = source.split("def one_hot")[0]
    exec(
        compile(
            data_part.replace("import keras\n", "").replace("keras.utils.set_random_seed(0)\n", ""),
            "train.py",
            "exec",
        ),
        namespace,
    )
    assert namespace["vocabulary"] == ["it's", '"q"', "\\", "ok"]


@pytest.mark.parametrize("cell", ["gru", "simple_rnn", "lstm"])
def test_every_cell_stacked_exports_a_script_and_a_model_keras_runs(cell, tmp_path):
    config = RunConfig(
        sequence="0 1 0 2", mode="stateful", cell=cell, layers=2, epochs=150, learning_rate=0.02
    )
    result = run(config)
    export(result, tmp_path)
    source = (tmp_path / "stateful" / "train.py").read_text()
    layer = {"lstm": "LSTM", "gru": "GRU", "simple_rnn": "SimpleRNN"}[cell]
    assert source.count(f"keras.layers.{layer}(") == 2 and "reset_states(model)" in source
    model = keras.saving.load_model(tmp_path / "stateful" / "model.keras")
    assert [type(k).__name__ for k in model.layers] == [layer, layer, "Dense"]
    for k in model.layers[:2]:
        k.reset_state()
    feed = result.feeds["stateful"]
    predicted = model.predict(feed.x, batch_size=feed.batch_size, verbose=0)
    np.testing.assert_allclose(
        predicted, [p.probabilities for p in result.run.runs[0].predictions], atol=1e-5
    )
    done = subprocess.run(
        [sys.executable, str(tmp_path / "stateful" / "train.py")],
        capture_output=True,
        text=True,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    lines = re.findall(r"^input=(\S+) target=(\S+) predicted=(\S+)$", done.stdout, re.M)
    assert [(x, y) for x, y, _ in lines] == [("0", "1"), ("0", "2")]
