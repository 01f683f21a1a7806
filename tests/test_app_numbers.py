"""The page with numbers (AppTest): the CSV preset trains and draws predictions against
targets as lines with a verdict, and a malformed CSV gets one message while the page keeps working."""

import json

from tests.test_app import app_at, button, figures, titles


def test_the_csv_preset_draws_lines_of_predictions_and_targets_with_a_verdict():
    at = app_at({"epochs": "5"})
    button(at, "Numbers: hourly demand (CSV)").click().run()
    assert not at.exception and not at.error
    assert at.radio(key="w_mode").value == "chunks" and at.selectbox(key="w_output").value == "linear"
    assert "Learned or memorised: the test rows" in [h.value for h in at.header]
    assert any("Scaling: standardise" in i.value for i in at.info)  # the scaling is shown
    lines = next(f for f in figures(at) if f["layout"]["title"]["text"] == "Predicted and target values")
    names = [t["name"] for t in lines["data"]]
    assert names == ["target (train)", "chunks predicted (train)", "target (test)", "chunks predicted (test)"]
    train_target = lines["data"][0]["y"]
    assert (
        len(train_target) == 71 and train_target[0] == 50.8
    )  # the second row's demand, predicted from the first
    assert len(lines["data"][2]["y"]) == 23
    verdict = next(m for m in at.metric if m.label == "chunks verdict")
    assert verdict.value in ("learned", "memorised", "cannot fit", "not fitted yet")
    assert "csv" not in at.query_params and at.query_params["target"] == "demand"
    assert not any("predicted probability" in t for t in titles(at))  # no token heatmap for numbers


def test_a_malformed_csv_gets_one_message_and_the_page_keeps_working():
    at = app_at({"epochs": "5"})
    at.text_area(key="w_csv").input("when,value\n1,2\n3,oops\n")
    at.selectbox(key="w_output").set_value("linear")
    button(at, "Train").click().run()
    assert not at.exception
    assert [e.value for e in at.error] == [
        "Row 3, column 'value' of the CSV holds 'oops', which is not a number: every cell below the header "
        "must be a number like 3, \\-0\\.5 or 1e\\-3\\."
    ]
    assert at.header  # the last good run is still shown
    at.text_area(key="w_csv").input("when,value\n1,2\n3,4\n5,3\n2,1\n")
    at.number_input(key="w_epochs").set_value(3)
    at.radio(key="w_mode").set_value("sequence")
    button(at, "Train").click().run()
    assert not at.exception and not at.error
    lines = next(f for f in figures(at) if f["layout"]["title"]["text"] == "Predicted and target values")
    assert json.loads(json.dumps(lines["data"][0]["y"])) == [4.0, 3.0, 1.0]
