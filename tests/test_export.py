"""Exports run as a user would run them: the scripts under plain Keras, the models loaded by Keras."""

import json

import numpy as np
import pytest

from seqviz.config import RunConfig
from seqviz.engine import run
from seqviz.export import export, training_script
from tests.cases import printed, run_script, run_untrained, same_data, same_model

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


# One script run in full per layout family of a sigmoid export: a one-step template (stateful:
# its loop resets every epoch), the generic rows (sequence) and the window template; the
# others are checked by test_every_script_builds_seqvizs_data_and_model below.
RUN_IN_FULL = ("stateful", "sequence", "window")


@pytest.mark.slow
@pytest.mark.parametrize("mode", RUN_IN_FULL)
def test_scripts_run_as_is_and_learn_what_seqviz_learned(exported, mode):
    _, directory = exported
    script = directory / mode / "train.py"
    lines = printed(run_script(script))
    assert [(x, y) for x, y, _ in lines] == [("0", "1"), ("0", "2")]
    assert [p for _, _, p in lines] == ["1", "2"]


@pytest.mark.parametrize("mode", ["stateless", "stateful", "sequence", "window"])
def test_every_script_builds_seqvizs_data_and_model(exported, mode, monkeypatch):
    """Each script, run without its fit: plain Keras only, X and Y are the feed seqviz trained
    on, its model is built as the saved model.keras, and it prints every pair."""
    result, directory = exported
    script = directory / mode / "train.py"
    source = script.read_text()
    assert "seqviz" not in source.split('"""', 2)[2]  # no seqviz import after the docstring
    namespace, stdout = run_untrained(script, monkeypatch)
    same_data(namespace, result.feeds[mode])
    same_model(namespace["model"], keras.saving.load_model(directory / mode / "model.keras"))
    lines = printed(stdout)
    assert [(x, y) for x, y, _ in lines] == [("0", "1"), ("0", "2")]
    if mode == "stateless":
        assert lines[0][2] == lines[1][2]  # a stateless model cannot tell the two samples apart


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
def test_every_cell_stacked_exports_a_script_and_a_model_keras_runs(cell, tmp_path, monkeypatch):
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
    # The same output kind and layout family as the reference's stateful script, run in full
    # above: here its data, its model and its printing run, without the fit.
    namespace, stdout = run_untrained(tmp_path / "stateful" / "train.py", monkeypatch)
    same_data(namespace, feed)
    same_model(namespace["model"], model)
    assert [(x, y) for x, y, _ in printed(stdout)] == [("0", "1"), ("0", "2")]
