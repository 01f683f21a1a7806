"""The players in a real browser: stepping through a mode's feed and playing the epochs animate
in Chromium from the figure's own frames, and no step costs a script run or any message to
the server."""

import time
from pathlib import Path

import pytest

from tests.e2e import launch_browser, open_app, require_browser, streamlit_server, wait_for_run

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parent.parent

# Counts, in the page, every change of the app's script state and every message the page sends
# its server over the websocket, from the moment it is installed.
_WATCH_JS = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  const seen = (window.__seqvizScript = []);
  let state = app.getAttribute("data-test-script-state");
  new MutationObserver(() => {
    const now = app.getAttribute("data-test-script-state");
    if (now !== state) seen.push((state = now));
  }).observe(app, {attributes: true});
}"""


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    require_browser()
    log = tmp_path_factory.mktemp("server") / "streamlit.log"
    with streamlit_server(log=log) as base_url, launch_browser() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        sent = []
        page.on("websocket", lambda ws: ws.on("framesent", lambda payload: sent.append(payload)))
        page.sent = sent
        open_app(page, base_url, "?epochs=40&snapshots=8")
        # The walkthrough is built once opened, as a person opens it: a click on its expander.
        assert page.locator(".st-key-play_mode").count() == 0
        page.get_by_text("Play it through time and through training", exact=False).click()
        page.locator(".st-key-follow .main-svg").first.wait_for(timeout=60000)
        yield page
    assert "Traceback" not in log.read_text(errors="replace"), log.read_text(errors="replace")[-3000:]


def _chart(page, title: str):
    chart = page.locator('[data-testid="stPlotlyChart"]').filter(has_text=title).first
    chart.scroll_into_view_if_needed()
    chart.locator(".main-svg").first.wait_for(timeout=30000)
    return chart


def _trace_index(chart, name: str) -> int:
    return chart.locator(".js-plotly-plot").evaluate(
        "(g, name) => g.data.findIndex(t => t.name === name)", name
    )


def _centre(chart, index: int) -> tuple[float, float] | None:
    """The middle of an outline trace as drawn now; None when it outlines nothing."""
    xs, ys = chart.locator(".js-plotly-plot").evaluate("(g, k) => [g.data[k].x, g.data[k].y]", index)
    xs, ys = [v for v in xs if v is not None], [v for v in ys if v is not None]
    if not xs:
        return None
    return round((min(xs) + max(xs)) / 2, 3), round((min(ys) + max(ys)) / 2, 3)


def _watch(page) -> int:
    """Start counting script-state changes; returns how many messages the page has sent so far."""
    page.evaluate(_WATCH_JS)
    return len(page.sent)


def _no_server_work(page, sent_before: int) -> None:
    page.wait_for_timeout(500)  # a rerun the page had asked for would have started by now
    assert page.evaluate("window.__seqvizScript") == []  # no script run: the state never left notRunning
    assert len(page.sent) == sent_before  # and the page told its server nothing


def test_stepping_through_a_mode_moves_the_highlight_without_a_script_run(page):
    asked = len(page.sent)
    choice = page.locator(".st-key-play_mode")
    choice.scroll_into_view_if_needed()  # Streamlit draws a widget once it is in view
    choice.get_by_role("radio", name="window", exact=True).click()  # the mode to play: a fragment run
    wait_for_run(page)
    assert len(page.sent) > asked  # a widget's change reaches the server: the counter works
    chart = _chart(page, "window: play through time")
    now = _trace_index(chart, "this step")
    came = _trace_index(chart, "where its state comes from")
    ticks = chart.locator(".slider-tick-rect")
    assert ticks.count() == 4  # two windows of two steps
    rows = sorted({y for y in chart.locator(".js-plotly-plot").evaluate("g => g.data[0].y")})
    sent = _watch(page)
    seen, took = [], []
    for k in (1, 2, 3, 0):
        box = ticks.nth(k).bounding_box()
        started = time.monotonic()
        page.mouse.click(box["x"] + box["width"] / 2, box["y"] - 4)  # on the rail above the tick
        page.wait_for_function(
            "([el, k]) => el._fullLayout.sliders[0].active === k",
            arg=[chart.locator(".js-plotly-plot").element_handle(), k],
            timeout=5000,
        )
        took.append(time.monotonic() - started)
        x, y = _centre(chart, now)
        source = _centre(chart, came)
        source = None if source is None else (round(source[0]), rows.index(source[1]))
        seen.append((k, round(x), rows.index(y), source))
        caption = chart.locator(".js-plotly-plot").evaluate("g => g.data[g.data.length - 1].text[0]")
        assert caption.startswith(f"Step {k + 1} of 4")
    # Keras computes step 0 of both windows, then step 1 of both: (frame, timestep, sample row,
    # and the box its state comes from: none where zeros enter, else the window's step 0).
    assert seen == [(1, 0, 1, None), (2, 1, 0, (0, 0)), (3, 1, 1, (0, 1)), (0, 0, 0, None)]
    print(f"\nstep slider, click to drawn: {', '.join(f'{t * 1000:.0f}' for t in took)} ms")
    _no_server_work(page, sent)


def test_playing_the_epochs_moves_the_loss_marker_without_a_script_run(page):
    chart = _chart(page, "Play through training")
    gd = chart.locator(".js-plotly-plot")
    marker = _trace_index(chart, "stateless at the epoch shown")
    epochs = [int(s) for s in gd.evaluate("g => g.layout.sliders[0].steps.map(s => s.label)")]
    assert len(epochs) == 8 and epochs[0] == 1 and epochs[-1] == 40
    assert gd.evaluate("(g, k) => g.data[k].x[0]", marker) == 1
    sent = _watch(page)
    chart.locator(".updatemenu-button").filter(has_text="play").first.click()
    shown, deadline = [], time.monotonic() + 30
    while time.monotonic() < deadline:
        x, y = gd.evaluate("(g, k) => [g.data[k].x[0], g.data[k].y[0]]", marker)
        if not shown or shown[-1][0] != x:
            shown.append((x, y))
        if x == epochs[-1]:
            break
        page.wait_for_timeout(40)
    xs = [x for x, _ in shown]
    assert xs == sorted(xs) and xs[-1] == epochs[-1] and len(set(xs)) >= 4, shown  # it moved, in order
    assert set(xs) <= set(epochs)
    losses = dict(zip(*gd.evaluate("g => [g.data[0].x, g.data[0].y]")))  # the stateless loss line
    for x, y in shown:
        assert y == pytest.approx(losses[x])  # the marker sits on the curve at the epoch shown
    assert gd.evaluate("g => g._fullLayout.sliders[0].active") == len(epochs) - 1
    _no_server_work(page, sent)


def test_moving_position_a_reshades_what_it_has_seen_without_a_script_run(page):
    chart = _chart(page, "What each position can see")
    gd = chart.locator(".js-plotly-plot")
    rows = gd.evaluate("g => g.layout.yaxis.ticktext")
    assert rows[:2] == ["stateless · A", "stateless · B"]
    # The most telling pair of 0 1 0 2 is A = 0, B = 1: stateless sees only each one's own input.
    assert gd.evaluate("g => g.data[0].z[0]") == [2, 0]
    sent = _watch(page)
    tick = chart.locator(".slider-tick-rect").nth(1).bounding_box()
    page.mouse.click(tick["x"] + tick["width"] / 2, tick["y"] - 4)
    page.wait_for_function(
        "el => el._fullLayout.sliders[0].active === 1", arg=gd.element_handle(), timeout=5000
    )
    shaded = dict(zip(rows, gd.evaluate("g => g.data[0].z")))
    assert shaded["stateless · A"] == [0, 2]  # A = 1 now: stateless sees its own input only
    assert shaded["stateful · A"] == [1, 2]  # stateful also position 0's, through the carried state
    assert shaded["sequence · A"] == [2, 2]
    caption = gd.evaluate("g => g.data[g.data.length - 1].text[0]").replace("<br>", " ")
    assert caption.startswith("A = position 1: 0→2; B = position 1: 0→2.")
    _no_server_work(page, sent)
