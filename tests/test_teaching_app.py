"""The page as a lesson, through Streamlit's AppTest: the answer first, the contrast, what to
look at, presentation mode and the view in the URL, the glossary, continued training."""

import json
from dataclasses import replace

import pytest

from seqviz.config import RunConfig
from seqviz.engine import continue_run, run
from seqviz.explain import answer, sentence
from seqviz.facts import LookAlike
from seqviz.glossary import GLOSSARY
from seqviz.view import View, view_from_query
from tests.test_app import app_at, button, figures, shown_config, titles


def _luminance(color: str) -> float:
    channels = [int(color.lstrip("#")[k : k + 2], 16) / 255 for k in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_on_white(color: str) -> float:
    """WCAG's contrast ratio of ``color`` (#rrggbb) against white."""
    return 1.05 / (_luminance(color) + 0.05)


def fonts(node, found=None) -> list[dict]:
    """Every font dict in a figure's JSON but the template's defaults."""
    found = [] if found is None else found
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("font", "textfont", "tickfont") and isinstance(value, dict):
                found.append(value)
            elif key != "template":
                fonts(value, found)
    elif isinstance(node, list):
        for item in node:
            fonts(item, found)
    return found


def answer_text(at) -> str:
    return " ".join(m.value for m in at.markdown if "positions right" in m.value)


def test_contrast_ratio_helper_matches_wcag_examples():
    assert contrast_on_white("#000000") == pytest.approx(21.0)
    assert contrast_on_white("#777777") == pytest.approx(4.48, abs=0.01)  # WCAG's classic near-miss


def test_the_answer_comes_first_with_each_modes_verdict_and_reason_from_its_facts():
    at = app_at({"epochs": "60"})
    assert not at.exception and not at.error
    expected = run(RunConfig(epochs=60)).run  # the same seed: the same run
    text = answer_text(at).replace("\\", "")
    for mode in expected.runs:
        a = answer(mode)
        assert f"{mode.mode}: {a.headline}" in text
        assert f"({a.correct} of {a.total} positions right)" in text
    stateless = expected.mode("stateless")
    look_alike = next(f for f in stateless.facts if isinstance(f, LookAlike))
    assert answer(stateless).headline == "cannot learn this" and stateless.loss_floor > 0
    assert sentence(look_alike) in text  # the reason is the fact's own sentence
    # The answer is above the form: its markdown comes before the Sequence box in the page.
    order = [e for e in at.main if getattr(e, "type", "") in ("vertical_block", "form")]
    assert order, "the page has blocks"
    # The contrast: stateless beside sequence, the first two charts, with ≡ on stateless's axis.
    first_two = figures(at)[:2]
    assert "stateless" in titles(at)[0] and "sequence" in titles(at)[1]
    assert any("≡A" in t for t in first_two[0]["layout"]["xaxis"]["ticktext"])
    assert not any("≡" in t for t in first_two[1]["layout"]["xaxis"]["ticktext"])


def test_every_section_says_what_to_look_at_and_the_glossary_explains_the_page_s_terms():
    at = app_at({"epochs": "30"})
    looks = [m.value for m in at.markdown if m.value.startswith("**What to look at:**")]
    assert len(looks) >= 5  # contrast, loss, predictions, states, feed
    glossary = next(m.value for m in at.markdown if "**loss floor**" in m.value)
    defined = {"K", "framing", "loss floor", "h0/c0", "snapshot", "one-hot", "stateful", "window"}
    for term in ("p0", "≡", *sorted(defined)):
        assert term in glossary.replace("\\", ""), term
    assert set(GLOSSARY) >= defined
    helps = [w.proto.help for w in (*at.selectbox, *at.select_slider, *at.toggle) if w.proto.help]
    assert any("snapshot" in h.lower() for h in helps) and any("h_tm1" in h for h in helps)


def test_normal_charts_have_4_5_to_1_text_and_presentation_mode_18_px_text_and_hides_sections():
    at = app_at({"epochs": "30"})
    for fig in figures(at):
        for font in fonts(fig):
            if "color" in font and font["color"].startswith("#"):
                assert contrast_on_white(font["color"]) >= 4.5, (font, fig["layout"]["title"]["text"])
    presenting = app_at({"epochs": "30", "present": "1", "hide": "form,presets,downloads"})
    assert not presenting.exception and not presenting.error and not presenting.warning
    assert not [t for t in presenting.text_area if t.key == "w_sequence"]
    assert not [b for b in presenting.button if b.label == "Train"]
    assert "Code and data" not in [h.value for h in presenting.header]
    assert "Loss" in [h.value for h in presenting.header]
    for fig in figures(presenting):
        sizes = [font["size"] for font in fonts(fig) if "size" in font]
        assert sizes and min(sizes) >= 18, fig["layout"]["title"]["text"]
        assert fig["layout"]["font"]["size"] >= 18
        for font in fonts(fig):
            if "color" in font and font["color"].startswith("#"):
                assert contrast_on_white(font["color"]) >= 4.5
    assert dict(presenting.query_params)["present"] == "1"
    assert dict(presenting.query_params)["hide"] == "form,presets,downloads"


def test_a_prepared_link_opens_on_its_view_and_the_view_stays_in_the_url():
    query = {
        "epochs": "30",
        "state": "c",
        "view_mode": "sequence",
        "pair": "1,0",
        "gates": "1",
        "epoch": "11",
    }
    at = app_at(query)
    assert not at.exception and not at.error and not at.warning
    assert at.selectbox(key="state_name").value == "c"
    assert next(b for b in at.get("button_group") if b.key == "state_mode").value == "sequence"
    assert at.selectbox(key="diff_compare_sequence").value == 1
    assert at.selectbox(key="diff_with_sequence").value == 0
    assert at.toggle(key="gates_on_sequence").value is True
    assert at.select_slider(key="epoch").value == 11
    assert any("sequence</span>: position 1 minus position 0" in t for t in titles(at))
    url = dict(at.query_params)
    for key, value in query.items():
        assert url[key] == value, key
    assert shown_config(at) == RunConfig(epochs=30)
    # Changing the view changes the URL.
    at.selectbox(key="state_name").set_value("h").run()
    assert "state" not in dict(at.query_params)  # the default is not written


def test_bad_view_parameters_fall_back_with_a_notice_naming_what_is_accepted():
    at = app_at({"epochs": "20", "hide": "everything", "pair": "x", "present": "maybe"})
    assert not at.exception
    notices = " ".join(w.value for w in at.warning)
    assert "hide" in notices and "pair" in notices and "present" in notices
    assert [t for t in at.text_area if t.key == "w_sequence"]  # nothing hidden


def test_view_round_trips_through_its_query():
    view = View(True, ("form", "loss"), "c", 2, 11, "sequence", (1, 0), True, ("walkthrough", "heatmaps"))
    assert view_from_query(view.to_query()) == (view, [])
    assert View().to_query() == {}


def test_continue_training_goes_on_from_the_final_weights_and_the_loss_curve_continues():
    at = app_at({"mode": "sequence", "epochs": "30"})

    def loss_line():
        loss = next(f for f in figures(at) if f["layout"]["title"]["text"].startswith("Training loss"))
        return next(t for t in loss["data"] if t["name"] == "sequence")["y"]

    before = loss_line()
    assert len(before) == 30
    at.number_input(key="more_epochs").set_value(20)
    button(at, "Continue training").click().run()
    assert not at.exception and not at.error
    after = loss_line()
    assert len(after) == 50 and after[:30] == before
    # The oracle: the engine's continuation from the first run's weights, trained apart.
    first = run(RunConfig(mode="sequence", epochs=30))
    expected = continue_run(first, 20).run.mode("sequence").loss
    assert after == pytest.approx(expected, abs=1e-6)
    assert after[30] < before[0]  # it starts from trained weights, not from scratch
    assert any("Continued training: 30 epochs, then 20 more" in c.value for c in at.caption)
    assert shown_config(at).epochs == 30  # a link trains the first run


def test_an_error_labels_the_result_below_as_the_previous_run():
    at = app_at({"epochs": "20", "mode": "sequence"})
    at.text_area(key="w_sequence").input("0 1 0")
    button(at, "Train").click().run()
    assert len(at.error) == 1
    assert any("Showing the previous run" in w.value for w in at.warning)


def test_a_preset_says_what_to_notice_and_shapes_are_counted_in_words():
    at = app_at({"epochs": "5"})
    button(at, "Words: a b a c").click().run()
    assert not at.exception
    assert any(i.value.startswith("Notice:") for i in at.info)
    captions = " ".join(c.value for c in at.caption)
    assert "1 sample ×" in captions and "1 samples" not in captions  # sequence: one sample


def test_continued_run_joins_losses_and_numbers_snapshots_by_epochs_in_all():
    first = run(RunConfig(mode="stateless", epochs=10, snapshots=3))
    more = continue_run(first, 5)
    mode = more.run.mode("stateless")
    assert [s.epoch for s in mode.snapshots] == [1, 6, 10, 11, 13, 15]
    assert mode.epochs == 15 and len(mode.loss) == 15 and more.run.config.epochs == 15
    assert json.loads(json.dumps(more.run.to_json()))["config"]["epochs"] == 15
    assert replace(more.run.config, epochs=10) == first.run.config


def test_titles_wrap_by_shown_characters_and_never_inside_a_tag():
    from seqviz.figures._common import _visible, wrap_markup

    title = "<span style='color:#0072B2'>stateless</span>: h, the hidden state (output) (final, epoch 60)"
    lines = wrap_markup(title, 20)
    assert " ".join(lines) == title  # only the breaks are new
    assert all(_visible(line) <= 20 for line in lines)
    assert lines[0].startswith("<span style='color:#0072B2'>stateless</span>")
    assert wrap_markup("a &amp; b", 5) == ["a &amp; b"]  # an entity shows one character


def test_presentation_theme_is_a_copy_and_leaves_the_shared_template_alone():
    from seqviz import figures
    from seqviz.figures._common import template

    r = run(RunConfig(mode="sequence", epochs=5)).run
    fig = figures.state_figure(r.runs[0], "h")
    before = json.dumps(fig, sort_keys=True)
    big = figures.themed(fig, figures.THEMES["present"])
    assert json.dumps(fig, sort_keys=True) == before and big["layout"]["template"] is template()
    assert big["layout"]["font"]["size"] == 18 and big["layout"]["height"] > fig["layout"]["height"]


def test_the_reference_preset_tests_past_the_training_data_and_says_which_positions_count():
    at = app_at({"epochs": "5"})
    button(at, "The reference question: 0 1 0 2").click().run()
    assert not at.exception
    captions = " ".join(c.value for c in at.caption)
    assert "Test sequence 0 1 0 2 0 1 0 2" in captions
    assert "positions 0–1 seen in training, not scored" in captions  # stateful, sequence: their view
    # Each mode scores what is new to its own view: sequence (and stateful) saw positions 0 and 1.
    scored = [list(d.value["scored"]) for d in at.dataframe if "scored" in d.value.columns]
    assert any(s[:2] == ["no, seen"] * 2 and all(v in ("yes", "tie") for v in s[2:]) for s in scored)
