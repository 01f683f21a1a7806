"""The "Step through it" section through Streamlit's AppTest: every part renders from the run,
the played figures carry their frames, and the choices there redraw without retraining."""

from tests.test_app import app_at, figures


def _figure(at, title_part):
    return next(f for f in figures(at) if title_part in (f["layout"].get("title") or {}).get("text", ""))


def test_the_walkthrough_sections_render_with_their_frames():
    at = app_at({"epochs": "20", "snapshots": "5", "open": "walkthrough"})
    assert not at.exception and not at.error
    subheaders = [h.value for h in at.subheader]
    for name in (
        "Play through time",
        "Play through training",
        "What each position can see",
        "The cell, explained: LSTM",
        "Follow one unit",
    ):
        assert name in subheaders
    played = _figure(at, "play through time")
    assert len(played["frames"]) == 2  # stateless, the first mode: two one-step samples
    training = _figure(at, "Play through training")
    labels = [s["label"] for s in training["layout"]["sliders"][0]["steps"]]
    assert len(training["frames"]) == len(labels) == 5 and (labels[0], labels[-1]) == ("1", "20")
    # Each frame's loss markers sit at its slider step's epoch.
    assert [str(f["data"][0]["x"][0]) for f in training["frames"]] == labels
    # The most telling pair of 0 1 0 2: positions 0 and 1 (same input, targets 1 and 2).
    assert (at.selectbox(key="reach_position").value, at.selectbox(key="reach_compared").value) == (0, 1)
    reach = _figure(at, "What each position can see")
    assert "A and B look alike to stateless" in reach["data"][-1]["text"][0].replace("<br>", " ")
    assert len(reach["frames"]) == 2  # the slider over position A
    assert _figure(at, "The LSTM cell")["data"][0]["hovertext"]
    assert len(_figure(at, "Follow unit 0")["data"]) == 4 * 6  # four modes, six LSTM values


def test_walkthrough_choices_redraw_without_retraining():
    at = app_at({"epochs": "20", "open": "walkthrough"})
    loss = _figure(at, "Training loss")
    at.segmented_control(key="play_mode").set_value("window").run()
    assert len(_figure(at, "play through time")["frames"]) == 4  # two windows of two steps
    at.number_input(key="follow_unit").set_value(7).run()
    assert _figure(at, "Follow unit 7")
    at.selectbox(key="reach_compared").set_value(0).run()
    reach = _figure(at, "What each position can see")
    assert "B = position 0: 0→1." in reach["data"][-1]["text"][0].replace("<br>", " ")
    assert not at.exception and _figure(at, "Training loss") == loss


def test_a_unit_past_a_narrower_runs_units_falls_back_to_its_last():
    at = app_at({"epochs": "20", "mode": "sequence", "open": "walkthrough"})
    at.number_input(key="follow_unit").set_value(15).run()
    assert _figure(at, "Follow unit 15")
    at.number_input(key="w_units").set_value(4)
    next(b for b in at.button if b.label == "Train").click().run()
    assert not at.exception and not at.error
    assert at.number_input(key="follow_unit").value == 3 and _figure(at, "Follow unit 3")


WALKTHROUGH = ("Play through time", "Play through training", "What each position can see", "Follow one unit")


def test_the_walkthrough_is_built_only_once_opened_and_the_link_keeps_it_open():
    at = app_at({"epochs": "20"})
    assert not at.exception and not at.error
    # Closed: its header and expander are there, none of its charts or controls.
    assert "Step through it" in [h.value for h in at.header]
    assert not set(WALKTHROUGH) & {h.value for h in at.subheader}
    closed = figures(at)
    assert not [f for f in closed if "Follow unit" in f["layout"]["title"]["text"]]
    assert "open" not in dict(at.query_params)
    loss = _figure(at, "Training loss")
    # Opened (as a click on the expander does): built from the same run, and the URL says so.
    at.session_state["open_walkthrough"] = True
    at.run()
    assert not at.exception and set(WALKTHROUGH) <= {h.value for h in at.subheader}
    assert len(figures(at)) == len(closed) + 5  # the two players, what each position sees, the cell, one unit
    assert dict(at.query_params)["open"] == "walkthrough"
    assert _figure(at, "Training loss") == loss  # not retrained
    # Closed again: gone, and so is the URL's open.
    at.session_state["open_walkthrough"] = False
    at.run()
    assert len(figures(at)) == len(closed) and "open" not in dict(at.query_params)


def test_a_bad_open_value_falls_back_with_a_notice_naming_the_sections():
    at = app_at({"epochs": "20", "open": "everything"})
    assert not at.exception
    notices = " ".join(w.value for w in at.warning)
    assert "open=everything" in notices and "walkthrough" in notices and "heatmaps" in notices


def test_x_and_y_as_tokens_are_built_once_opened_and_show_the_feed():
    at = app_at({"epochs": "5"})
    assert not at.dataframe  # every table is built once opened
    at.session_state["open_tokens_stateless"] = True
    at.run()
    assert not at.exception
    assert len(at.dataframe) == 2  # each mode's opens on its own
    # 0 1 0 2 in pairs, stateless: two samples of one step each, in one batch, targets 1 and 2.
    x, y = (d.value.to_dict("records") for d in at.dataframe)
    assert x == [{"sample": 0, "batch": 0, "step 0": "0"}, {"sample": 1, "batch": 0, "step 0": "0"}]
    assert y == [{"sample": 0, "target": "1"}, {"sample": 1, "target": "2"}]


def test_each_position_as_a_table_is_built_once_opened_and_follows_the_epoch():
    at = app_at({"epochs": "20", "snapshots": "5"})
    at.session_state["open_table_stateless"] = True
    at.run()
    assert not at.exception and len(at.dataframe) == 1
    rows = at.dataframe[0].value.to_dict("records")
    predicted = at.text[0].value.removeprefix("predicted: ").split()  # stateless's line above its chart
    assert [r["predicted"] for r in rows] == predicted and [r["target"] for r in rows] == ["1", "2"]
    at.select_slider(key="epoch").set_value(1).run()  # the first snapshot: the table follows
    first = at.dataframe[0].value.to_dict("records")
    assert [r["predicted"] for r in first] == at.text[0].value.removeprefix("predicted: ").split()
