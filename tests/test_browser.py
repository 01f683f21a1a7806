"""The app in a real browser: Debian's Chromium driven by Playwright, against `streamlit run app.py`."""

import os
import re
from pathlib import Path

import pytest

from tests.e2e import (
    launch_browser,
    open_app,
    predicted_tokens,
    require_browser,
    streamlit_server,
    train_in_page,
    wait_for_charts,
    wait_for_run,
)

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    require_browser()
    log = tmp_path_factory.mktemp("server") / "streamlit.log"
    with streamlit_server(log=log) as base_url, launch_browser() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.base_url = base_url
        yield page
    assert "Traceback" not in log.read_text(errors="replace"), log.read_text(errors="replace")[-3000:]


def test_first_visit_shows_the_reference_question_in_all_modes(page, tmp_path):
    open_app(page, page.base_url)
    assert predicted_tokens(page, "stateless") in (["1", "1"], ["2", "2"])
    for mode in ("stateful", "sequence", "window"):
        assert predicted_tokens(page, mode) == ["1", "2"], mode
    assert page.get_by_text("State flows across the timesteps of one sample").count() == 1
    # The README's screenshot: SEQVIZ_UPDATE_SCREENSHOT=1 writes it into docs/.
    page.set_viewport_size({"width": 1400, "height": 3000})
    wait_for_charts(page)
    page.wait_for_function("!document.querySelector('[data-testid=\"stSkeleton\"]')", timeout=10000)
    page.wait_for_timeout(500)
    if os.environ.get("SEQVIZ_UPDATE_SCREENSHOT"):
        target = ROOT / "docs" / "screenshot.png"
        target.parent.mkdir(exist_ok=True)
    else:
        target = tmp_path / "screenshot.png"
    page.screenshot(path=str(target))
    page.set_viewport_size({"width": 1400, "height": 1000})
    assert target.stat().st_size > 50_000


def test_typed_sequence_trains_in_sequence_mode_and_shows_its_predictions(page):
    predicted = train_in_page(page, page.base_url, "1 2 3 1 2 4", "sequence", framing="next")
    assert predicted == ["2", "3", "1", "2", "4"]
    url = page.evaluate("location.href")  # page.url can miss an in-page history update
    assert "mode=sequence" in url and "framing=next" in url
    charts = page.locator('[data-testid="stPlotlyChart"]')
    assert charts.count() >= 5


def test_bad_input_shows_an_error_not_a_traceback(page):
    box = page.get_by_role("textbox", name="Sequence", exact=True)
    box.fill("0 1 0")
    page.get_by_text("pairs:", exact=False).first.click()
    page.get_by_role("button", name="Train", exact=True).click()
    wait_for_run(page)
    error = page.locator('[data-testid="stAlertContentError"]')
    assert "even number of tokens" in error.inner_text()
    assert page.get_by_text("Traceback").count() == 0


def test_tokens_that_look_like_markup_appear_literally(page):
    open_app(
        page,
        page.base_url,
        "?sequence=%3Cb%3Ex%3C%2Fb%3E+**y**+%3Cb%3Ex%3C%2Fb%3E+%24z%24"
        "&framing=pairs&mode=stateless&epochs=20",
    )
    body = page.locator('[data-testid="stMain"]').inner_text()
    assert "<b>x</b>" in body and "**y**" in body and "$z$" in body
    assert page.locator('[data-testid="stMain"] b:text-is("x")').count() == 0
    # In the charts too: the tick labels carry the token as text.
    ticks = " ".join(page.locator('[data-testid="stPlotlyChart"] .xtick text').all_text_contents())
    assert "<b>x</b>" in ticks


def test_a_custom_layout_with_lanes_chunks_and_shuffle_draws_lanes_and_gradient_cuts(page):
    """Chosen in the form as a person would: the diagram shows the lanes and the cuts, and the
    page's URL opens the same run in a fresh page."""
    open_app(page, page.base_url)
    page.get_by_role("textbox", name="Sequence", exact=True).fill("a b c d e f g h i j k l m")
    page.get_by_text("next:", exact=False).first.click()
    page.locator('[data-testid="stRadio"] label').filter(has_text="custom:").first.click()
    page.get_by_text("Advanced", exact=True).click()
    page.get_by_role("spinbutton", name="Epochs").fill("20")
    page.get_by_role("spinbutton", name="Batch size").fill("2")
    page.get_by_text("Custom layout", exact=False).click()
    page.get_by_role("textbox", name="Timesteps").fill("3")
    page.get_by_role("spinbutton", name="Stride").fill("3")
    for name in ("Stateful", "Shuffle", "Return sequences"):
        page.get_by_text(name, exact=True).click()
    page.get_by_role("button", name="Train", exact=True).click()
    wait_for_run(page)
    assert (
        page.get_by_text("Traceback").count() == 0
        and page.locator('[data-testid="stException"]').count() == 0
    )
    # The title wraps into lines (tspans), so the words may be run together in the chart's text.
    title = re.compile(r"where\s*each\s*step's\s*state\s*comes\s*from")
    flow = page.locator('[data-testid="stPlotlyChart"]').filter(has_text=title)
    flow.first.wait_for(timeout=30000)
    text = flow.first.inner_text()
    assert "lane i holds one contiguous stream" in page.content()
    assert text.count("✂") >= 2  # batches after the first: state flows in, the gradient stops
    assert "batch 1, sample 2" in text and "batch 1, sample 3" in text  # two lanes side by side
    predicted = predicted_tokens(page, "custom")
    url = page.evaluate("location.href")
    for part in ("mode=custom", "timesteps=3", "stride=3", "stateful=True", "shuffle=True", "arrange=lanes"):
        assert part in url, (part, url)
    fresh = page.context.browser.new_page(viewport={"width": 1400, "height": 1000})
    fresh.goto(url)
    fresh.get_by_role("button", name="Train", exact=True).wait_for(timeout=60000)
    wait_for_run(fresh)
    assert predicted_tokens(fresh, "custom") == predicted
    fresh.get_by_text("Custom layout", exact=False).click()
    assert fresh.get_by_role("textbox", name="Timesteps").input_value() == "3"
    fresh.close()


def test_a_preset_with_a_test_sequence_shows_verdicts_and_a_reset_changes_later_predictions(page):
    open_app(page, page.base_url)
    page.get_by_role("button", name="Echo 2 back: learned or memorised?").click()
    wait_for_run(page)
    page.get_by_text("Learned or memorised: the test sequence").wait_for(timeout=60000)
    verdicts = {
        mode: page.locator('[data-testid="stMetric"]').filter(has_text=f"{mode} verdict").first.inner_text()
        for mode in ("stateless", "stateful", "sequence", "window")
    }
    assert "cannot fit" in verdicts["stateless"] and "learned" in verdicts["window"], verdicts
    assert "memorised" in verdicts["stateful"], verdicts

    def shown(mode: str) -> list[str]:
        return page.locator(f".st-key-test_{mode}").inner_text(timeout=30000).splitlines()

    before = shown("stateful")
    assert before[0].startswith("test predicted:") and len(before) == 1
    runs_before = page.locator('[data-testid="stPlotlyChart"]').count()
    slider = page.get_by_role("slider", name="Reset the state to zeros before test position")
    slider.focus()
    for _ in range(4):  # none → 0 → 1 → 2 → 3
        slider.press("ArrowRight")
    page.wait_for_function(
        "document.querySelector('.st-key-test_stateful').innerText.includes('after reset:')", timeout=30000
    )
    after = shown("stateful")
    assert after[0] == before[0] and after[1].startswith("after reset:")
    test_predicted = after[0].removeprefix("test predicted:").split()
    reset = after[1].removeprefix("after reset:").split()
    assert reset[:3] == test_predicted[:3]  # before the reset step nothing changes
    assert reset[3:] != test_predicted[3:]  # after it, what the state carried is gone
    assert page.locator('[data-testid="stPlotlyChart"]').count() == runs_before  # no retraining
    # The heatmaps are built only once their expander is opened, and then show the reset pass.
    assert page.locator(".st-key-phase_stateful").count() == 0
    page.get_by_text("The test pass as heatmaps", exact=False).click()
    page.locator(".st-key-phase_stateful .main-svg").first.wait_for(timeout=30000)
    assert page.locator('[class*="st-key-phase_"]').count() == 4
    page.wait_for_function("location.search.includes('open=heatmaps')", timeout=10000)


# Each drawn chart's margins as the figure gave them and as Plotly finally drew them: Plotly grows
# a margin (and draws the whole chart again) when something sticks out of it (a colorbar, a
# legend, tick labels). Read from Plotly's own layout objects on the page.
CHART_MARGINS_JS = """() => [...document.querySelectorAll('[data-testid="stPlotlyChart"] .js-plotly-plot')]
  .map((gd) => {
    const full = gd._fullLayout, size = full._size;
    return {
      title: (gd.layout.title && gd.layout.title.text) || '',
      given: gd.layout.margin,
      drawn: {l: size.l, r: full.width - size.l - size.w, t: size.t, b: full.height - size.t - size.h},
    };
  })"""


@pytest.mark.parametrize(
    "preset",
    [
        None,
        "Echo 2 back: learned or memorised?",
        "Stateful lanes: 2 streams side by side",
        "Numbers: hourly demand (CSV)",
    ],
    ids=["default", "echo", "lanes", "numbers"],
)
def test_every_chart_is_drawn_in_the_margins_its_figure_reserved(page, preset):
    """seqviz.figures.margins reserves room for each chart's colorbar, legend and tick labels, so
    Plotly never has to grow a margin and draw the chart a second time (a third of the browser's
    work per Train click before). Plotly's own measurement is the oracle: the plot area it drew
    sits exactly inside the margins the figure carries (the echo preset's test positions turn
    their labels in half-width panels; the numbers preset turns 71 upright)."""
    open_app(page, page.base_url)
    if preset:
        page.get_by_role("button", name=preset).click()
        wait_for_run(page)
    page.wait_for_timeout(500)
    wait_for_charts(page)
    charts = page.evaluate(CHART_MARGINS_JS)
    assert len(charts) >= 5
    grown = [
        (c["title"][:60], side, c["given"][side], round(c["drawn"][side]))
        for c in charts
        for side in "lrtb"
        if c["drawn"][side] > c["given"][side] + 0.5  # Plotly grew it: a second drawing
    ]
    assert not grown, grown
