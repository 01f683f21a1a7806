"""The app's logic through Streamlit's AppTest: the page, training, errors, the URL."""

import json
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from seqviz.config import RunConfig
from seqviz.view import split_query

APP = str(Path(__file__).resolve().parent.parent / "app.py")
TIMEOUT = 180  # the first run imports TensorFlow


def app_at(query: dict | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    return at.run()


def figures(at: AppTest) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def titles(at: AppTest) -> list[str]:
    """Chart titles as read: the lines the theme wrapped them into, joined."""
    return [(f["layout"].get("title") or {}).get("text", "").replace("<br>", " ") for f in figures(at)]


def shown_config(at: AppTest) -> RunConfig:
    """The run the URL holds (its view parameters aside)."""
    return RunConfig.from_query(split_query(dict(at.query_params))[0])


def button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def test_default_page_trains_the_reference_question_in_every_mode():
    at = app_at({"epochs": "60"})
    assert not at.exception and not at.error
    assert [h.value for h in at.header] == [
        "The contrast: the same positions, two feeds",
        "Loss",
        "Predictions",
        "State at every step",
        "How the data is fed",
        "Step through it",
        "What happened",
        "Code and data",
    ]
    assert at.text_area(key="w_sequence").value == "0 1 0 2"
    assert at.radio(key="w_mode").value == "all"
    loss = next(f for f in figures(at) if "loss" in f["layout"]["title"]["text"].lower())
    names = [t["name"] for t in loss["data"]]
    for mode in ("stateless", "stateful", "sequence", "window"):
        assert mode in names
        assert len(next(t for t in loss["data"] if t["name"] == mode)["y"]) == 60
    all_titles = " | ".join(titles(at))
    for word in ("where each step's state comes from", "predicted probability", "hidden state", "minus"):
        assert word in all_titles
    texts = [t.value for t in at.text]
    assert "predicted: 2 2" in texts or "predicted: 1 1" in texts  # stateless gives one answer for both


def test_pressing_train_runs_the_typed_configuration_and_updates_the_url():
    at = app_at({"epochs": "30"})
    at.text_area(key="w_sequence").input("a b a c")
    at.radio(key="w_mode").set_value("sequence")
    at.number_input(key="w_epochs").set_value(400)
    button(at, "Train").click().run()
    assert not at.exception and not at.error
    assert [t.value for t in at.text] == ["predicted: b c"]
    assert shown_config(at) == RunConfig(sequence="a b a c", mode="sequence", epochs=400)


def test_changing_a_widget_does_not_retrain_until_train_is_pressed():
    at = app_at({"epochs": "30", "mode": "sequence"})
    shown, charts = [t.value for t in at.text], figures(at)
    at.text_area(key="w_sequence").input("x y x z")
    at.run()
    assert shown_config(at).sequence == "0 1 0 2"
    assert [t.value for t in at.text] == shown and len(shown) == 1 and shown[0].startswith("predicted: ")
    assert figures(at) == charts


def test_bad_sequence_shows_an_error_and_keeps_the_last_result():
    at = app_at({"epochs": "30", "mode": "sequence"})
    before = figures(at)
    at.text_area(key="w_sequence").input("0 1 0")
    button(at, "Train").click().run()
    assert not at.exception
    assert len(at.error) == 1 and "even number of tokens" in at.error[0].value
    assert figures(at) == before
    assert shown_config(at).sequence == "0 1 0 2"


def test_url_configuration_is_shown_without_clicks_and_round_trips():
    config = RunConfig(
        sequence="1 2 3 1 2 4",
        framing="next",
        mode="window",
        window=3,
        units=8,
        epochs=40,
        output="softmax",
        learning_rate=0.02,
        seed=4,
        snapshots=5,
    )
    at = app_at(config.to_query())
    assert not at.exception and not at.error and not at.warning
    assert at.text_area(key="w_sequence").value == config.sequence
    assert at.radio(key="w_framing").value == "next" and at.number_input(key="w_window").value == 3
    assert shown_config(at) == config
    slider = at.select_slider(key="epoch")
    assert slider.options == [str(e) for e in (1, 11, 20, 30, 40)]


def test_bad_url_parameters_fall_back_with_a_visible_notice():
    at = app_at({"units": "lots", "mode": "bogus", "epochs": "30", "colour": "red"})
    assert not at.exception
    notices = " ".join(w.value for w in at.warning)
    assert "units" in notices and "mode" in notices and "colour" in notices
    assert at.radio(key="w_mode").value == "all" and at.number_input(key="w_units").value == 20


def test_epoch_scrubber_redraws_from_snapshots():
    at = app_at({"mode": "sequence", "epochs": "50", "snapshots": "5", "learning_rate": "0.05"})
    assert [t.value for t in at.text] == ["predicted: 1 2"]

    def predictions_z():
        figure = next(f for f in figures(at) if "predicted probability" in f["layout"]["title"]["text"])
        return figure["layout"]["title"]["text"].replace("<br>", " "), figure["data"][0]["z"]

    final_title, final_z = predictions_z()
    at.select_slider(key="epoch").set_value("1").run()
    assert not at.exception
    title, z = predictions_z()
    assert re.search(r"\bepoch 1\b", title) and not re.search(r"\bepoch 1\b", final_title)
    assert z != final_z
    assert [t.value for t in at.text] != ["predicted: 1 2"]  # after one epoch it has not learned yet


def test_tokens_are_shown_literally():
    hostile = "<b>x</b> **y** $z$ <b>x</b> $z$ **y**"
    at = app_at({"sequence": hostile, "framing": "next", "epochs": "20", "mode": "stateless"})
    assert not at.exception and not at.error
    specs = json.dumps(figures(at))
    assert "<b>x</b>" not in specs and "&lt;b&gt;x&lt;/b&gt;" in specs
    markdown = " ".join(m.value for m in at.markdown)
    assert "\\<b\\>x\\</b\\>" in markdown or "&lt;b&gt;" in markdown


@pytest.mark.parametrize("limit_env", [{"SEQVIZ_MAX_EPOCHS": "100"}])
def test_server_limits_come_from_the_environment(monkeypatch, limit_env):
    for key, value in limit_env.items():
        monkeypatch.setenv(key, value)
    at = app_at({"epochs": "500"})
    assert not at.exception
    assert any("epochs" in w.value for w in at.warning)
    # 500 is over the limit, and so is the default of 300: the page opens on the limit itself.
    assert at.number_input(key="w_epochs").value == 100
    assert shown_config(at).epochs == 100 and not at.error


def test_gates_are_drawn_on_demand():  # LSTM, the default cell
    at = app_at({"mode": "sequence", "epochs": "20"})
    assert not any("internals at each position" in t for t in titles(at))
    at.toggle(key="gates_on_sequence").set_value(True).run()
    assert not at.exception
    gates = next(
        f
        for f in figures(at)
        if "LSTM's internals at each position" in f["layout"]["title"]["text"].replace("<br>", " ")
    )
    assert [trace["type"] for trace in gates["data"]] == ["heatmap"] * 4


def test_state_section_shows_the_chosen_mode():
    at = app_at({"epochs": "20"})

    def state_title():
        return [t for t in titles(at) if "hidden state" in t][-1]  # after the contrast's two

    assert "stateless" in state_title() and "sequence" not in state_title()
    assert any("≡" in line.value for line in at.info)  # stateless: identical positions are named
    at.get("button_group")[0].set_value("sequence").run()
    assert not at.exception
    assert "sequence" in state_title() and "stateless" not in state_title()
    diff = next(f for f in figures(at) if "minus" in f["layout"]["title"]["text"])
    assert "identical" not in diff["layout"]["title"]["text"]  # sequence tells its two positions apart


def test_other_cells_and_stacked_layers_show_their_own_internals_per_layer():
    at = app_at({"mode": "sequence", "epochs": "20", "cell": "gru", "layers": "2"})
    assert not at.exception and not at.error and not at.warning
    assert at.selectbox(key="w_cell").value == "gru" and at.number_input(key="w_layers").value == 2
    shown = [o.split(",")[0].split(" ")[0] for o in at.selectbox(key="state_name").options]
    assert shown == ["h", "h0", "z", "r", "hh"]
    layer_control = next(b for b in at.get("button_group") if b.key == "state_layer")
    assert layer_control.value == 1  # the last layer first

    def state_title():
        return [t for t in titles(at) if "hidden state" in t][-1]

    assert "layer 2 of 2" in state_title()
    layer_control.set_value(0).run()
    assert "layer 1 of 2" in state_title()
    at.toggle(key="gates_on_sequence").set_value(True).run()
    internals = next(f for f in figures(at) if "update gate" in json.dumps(f))
    assert [trace["type"] for trace in internals["data"]] == ["heatmap"] * 3  # z, r, hh
    assert shown_config(at).cell == "gru"


def test_simple_rnn_has_no_gates_to_toggle():
    at = app_at({"mode": "sequence", "epochs": "20", "cell": "simple_rnn"})
    assert not at.exception and not at.error
    assert [o.split(",")[0].split(" ")[0] for o in at.selectbox(key="state_name").options] == ["h", "h0"]
    assert not [t for t in at.toggle if t.key == "gates_on_sequence"]


def test_every_preset_trains_without_an_error():
    import importlib.util

    from seqviz import presets

    spec = importlib.util.spec_from_file_location("app_module_for_presets", APP)
    source = Path(presets.__file__).read_text()
    presets_block = source[source.index("PRESETS: dict") : source.index("PRESET_NOTES: dict")]
    names = re.findall(r'^    "([^"]+)": \{', presets_block, re.M)
    assert len(names) >= 8 and spec is not None
    at = app_at({"epochs": "5"})
    for name in names:
        button(at, name).click().run()
        assert not at.exception and not at.error, name
        assert any(t.value.startswith("predicted:") for t in at.text), name


def test_a_thousand_token_run_ships_at_most_a_megabyte_of_charts(monkeypatch):
    monkeypatch.setenv("SEQVIZ_MAX_TOKENS", "1000")
    sequence = " ".join("abcdefghij"[(k * 7 + k // 3) % 10] for k in range(1000))
    at = app_at(
        {"sequence": sequence, "framing": "next", "epochs": "2", "snapshots": "2", "open": "walkthrough"}
    )
    assert not at.exception and not at.error and not at.warning
    at.toggle(key="gates_on_stateless").set_value(True).run()
    assert not at.exception
    specs = [chart.proto.spec for chart in at.get("plotly_chart")]
    # The contrast's two states, four flows, loss, four predictions, state, internals, difference,
    # and the walkthrough (opened) step player, training player, what each position sees, the cell
    # and one unit.
    assert len(specs) == 19
    print(f"\n1,000-token run: {sum(map(len, specs)) / 1e6:.2f} MB of chart JSON on the page")
    assert sum(map(len, specs)) <= 1_000_000
    assert len(at.text) == 4 and all(len(t.value.split()) == 1 + 999 for t in at.text)  # every prediction


def test_each_modes_accuracy_on_the_page_is_its_score_ties_never_right():
    """The prediction section's metric at the last epoch agrees with the explanation's score:
    the reference question's stateless positions are ties, never counted right (0%, not 50%)."""
    at = app_at()
    metrics = {m.label: m for m in at.metric if m.label.endswith(" accuracy")}
    assert metrics["stateless accuracy"].value == "0%"
    scores = " ".join(m.value for m in at.markdown)
    for mode in ("stateless", "stateful", "sequence", "window"):
        right, total = re.search(rf"{mode}: (\d+) of (\d+) positions right", scores).groups()
        assert metrics[f"{mode} accuracy"].value == f"{int(right) / int(total):.0%}", mode
