"""The page as a lesson in a real browser (Debian's Chromium through Playwright): the answer in
the first screen after Train, nothing clipped and no sideways scrolling at three sizes,
presentation mode's large text, and axe-core's accessibility check.

A 1024×768 window at 125% browser zoom is a CSS viewport of 819×614 at a device pixel ratio
of 1.25: what Chromium lays out at that zoom, and the size of its screenshots (1024×768).

``SEQVIZ_UPDATE_SCREENSHOT=1`` writes the screenshots into ``docs/screenshots/`` (the README
shows them); otherwise they go to a temporary folder and are only checked.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.e2e import launch_browser, open_app, require_browser, streamlit_server, wait_for_run

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parent.parent
SIZES = {  # name: (CSS width, CSS height, device pixel ratio)
    "desktop-1400x1000": (1400, 1000, 1.0),
    "laptop-1024x768-zoom125": (819, 614, 1.25),
    "phone-390x844": (390, 844, 1.0),
}
QUERY = "?epochs=60"  # the reference question in every mode, trained briefly
# A lecture's link: the answer, then the contrast.
PRESENT_HIDES = "intro,presets,form,glossary,continue,downloads"

# What a person sees, measured in the page: the answer's place in the document, each chart
# text's box against its chart's, each table's scrolled width, and the page's own widths.
MEASURE = """() => {
  const scroller = (el) => {
    for (let e = el; e && e !== document.body; e = e.parentElement) {
      const s = getComputedStyle(e);
      if (/(auto|scroll)/.test(s.overflowY) && e.scrollHeight > e.clientHeight) return e;
    }
    return document.scrollingElement;
  };
  const answer = document.querySelector('.st-key-answer_stateless');
  let top = null, bottom = null;
  if (answer) {
    const sc = scroller(answer), r = answer.getBoundingClientRect();
    const origin = sc === document.scrollingElement ? 0 : sc.getBoundingClientRect().top;
    top = r.top - origin + sc.scrollTop;
    bottom = r.bottom - origin + sc.scrollTop;
  }
  const clipped = [];
  document.querySelectorAll('[data-testid="stPlotlyChart"]').forEach((chart) => {
    const svg = chart.querySelector('svg.main-svg');
    if (!svg) return;
    const box = svg.getBoundingClientRect();
    const title = (chart.querySelector('.gtitle') || {}).textContent || '';
    chart.querySelectorAll('.gtitle, .gtitle-subtitle, .legend, .g-xtitle, .g-ytitle, .annotation-text')
      .forEach((el) => {
        const r = el.getBoundingClientRect();
        if (!r.width) return;
        const inside = r.left >= box.left - 1 && r.right <= box.right + 1
          && r.top >= box.top - 1 && r.bottom <= box.bottom + 1;
        if (!inside) clipped.push([title.slice(0, 50), el.getAttribute('class'), r.left - box.left,
          box.right - r.right]);
      });
  });
  // Plotly's toolbar (shown on hover, always laid out) must not cover a title.
  const covered = [];
  const meets = (a, b) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
  document.querySelectorAll('[data-testid="stPlotlyChart"]').forEach((chart) => {
    const bar = chart.querySelector('.modebar');
    if (!bar) return;
    const barBox = bar.getBoundingClientRect();
    chart.querySelectorAll('.gtitle, .gtitle-subtitle').forEach((el) => {
      if (meets(barBox, el.getBoundingClientRect())) covered.push(el.textContent.slice(0, 50));
    });
  });
  const tables = [...document.querySelectorAll('[data-testid="stDataFrame"] .dvn-scroller')]
    .filter((s) => s.scrollWidth > s.clientWidth + 1).map((s) => [s.scrollWidth, s.clientWidth]);
  const main = document.querySelector('[data-testid="stMain"]');
  const de = document.documentElement;
  const sideways = [[de.scrollWidth, de.clientWidth], [main.scrollWidth, main.clientWidth]]
    .filter(([scroll, client]) => scroll > client);
  const charts = document.querySelectorAll('[data-testid="stPlotlyChart"]').length;
  const bars = document.querySelectorAll('[data-testid="stPlotlyChart"] .modebar').length;
  return {top, bottom, height: window.innerHeight, clipped, covered, bars, tables, sideways, charts};
}"""

CHART_TEXT_SIZES = """() => [...document.querySelectorAll('[data-testid="stPlotlyChart"] svg text')]
  .filter((t) => t.textContent.trim() && t.getBoundingClientRect().width > 0)
  .map((t) => parseFloat(getComputedStyle(t).fontSize))"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    require_browser()
    log = tmp_path_factory.mktemp("server") / "streamlit.log"
    with streamlit_server(log=log) as base_url, launch_browser() as browser:
        yield base_url, browser
    assert "Traceback" not in log.read_text(errors="replace"), log.read_text(errors="replace")[-3000:]


def screenshot_path(name: str, tmp_path: Path) -> Path:
    if os.environ.get("SEQVIZ_UPDATE_SCREENSHOT"):
        folder = ROOT / "docs" / "screenshots"
        folder.mkdir(parents=True, exist_ok=True)
        return folder / f"{name}.png"
    return tmp_path / f"{name}.png"


def to_top(page) -> None:
    page.evaluate("document.querySelector('[data-testid=\"stMain\"]').scrollTo(0, 0)")
    page.wait_for_timeout(300)


def train(page) -> None:
    page.get_by_role("button", name="Train", exact=True).click()
    wait_for_run(page)
    page.wait_for_timeout(500)  # the last charts' layout


@pytest.mark.parametrize("size", list(SIZES))
def test_after_train_the_answer_is_in_the_first_screen_and_nothing_is_clipped(server, size, tmp_path):
    base_url, browser = server
    width, height, ratio = SIZES[size]
    context = browser.new_context(viewport={"width": width, "height": height}, device_scale_factor=ratio)
    page = context.new_page()
    try:
        open_app(page, base_url, QUERY)
        train(page)
        seen = page.evaluate(MEASURE)
        assert seen["charts"] >= 10
        assert seen["top"] is not None and seen["top"] >= 0 and seen["bottom"] <= seen["height"], seen
        assert seen["clipped"] == [], seen["clipped"]
        assert seen["bars"] == seen["charts"] and seen["covered"] == [], seen["covered"]
        assert seen["tables"] == [], seen["tables"]
        assert seen["sideways"] == [], seen["sideways"]
        to_top(page)
        target = screenshot_path(size, tmp_path)
        page.screenshot(path=str(target))
        assert target.stat().st_size > 30_000
        print(f"\n{size}: the answer at {seen['top']:.0f}–{seen['bottom']:.0f} px of {seen['height']} px")
    finally:
        context.close()


def test_a_test_sequence_s_tables_fit_a_phone(server):
    """The Echo preset has the widest tables (test predictions, after reset)."""
    base_url, browser = server
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        open_app(page, base_url, QUERY)
        page.get_by_role("button", name="Echo 2 back: learned or memorised?").click()
        wait_for_run(page)
        page.get_by_text("Learned or memorised: the test sequence").wait_for(timeout=60000)
        seen = page.evaluate(MEASURE)
        assert seen["clipped"] == [] and seen["tables"] == [] and seen["sideways"] == [], seen
    finally:
        context.close()


def test_presentation_mode_has_18_px_chart_text_and_hides_what_the_link_hides(server, tmp_path):
    base_url, browser = server
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        page.goto(f"{base_url}/{QUERY}&present=1&hide={PRESENT_HIDES}")
        page.locator(".st-key-answer_stateless").wait_for(timeout=120000)  # no form: no Train button
        wait_for_run(page)
        page.wait_for_timeout(500)
        assert page.get_by_role("button", name="Train", exact=True).count() == 0
        assert page.get_by_role("textbox", name="Sequence", exact=True).count() == 0
        assert page.get_by_text("Code and data").count() == 0
        assert page.get_by_text("Glossary").count() == 0
        assert page.get_by_text("Continue training").count() == 0
        sizes = page.evaluate(CHART_TEXT_SIZES)
        assert len(sizes) > 100 and min(sizes) >= 18, sorted(sizes)[:5]
        normal = browser.new_page(viewport={"width": 1400, "height": 1000})
        open_app(normal, base_url, QUERY)
        assert min(normal.evaluate(CHART_TEXT_SIZES)) < 18  # the normal page is not presentation mode
        normal.close()
        seen = page.evaluate(MEASURE)
        assert seen["top"] is not None and seen["bottom"] <= seen["height"], seen
        assert seen["sideways"] == [], seen["sideways"]
        to_top(page)
        target = screenshot_path("presentation-1400x1000", tmp_path)
        page.screenshot(path=str(target))
        assert target.stat().st_size > 30_000
    finally:
        page.close()


@pytest.mark.parametrize("query", [QUERY, QUERY + "&present=1"], ids=["normal", "presentation"])
def test_axe_finds_no_serious_or_critical_violation_before_or_after_train(server, query):
    from axe_playwright_python.sync_playwright import Axe

    base_url, browser = server
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    axe = Axe()
    try:
        open_app(page, base_url, query)
        page.wait_for_timeout(1000)
        found = {}
        for stage in ("before Train", "after Train"):
            if stage == "after Train":
                train(page)
            violations = axe.run(page).response["violations"]
            found[stage] = [
                (v["id"], v["impact"], [n["html"][:120] for n in v["nodes"][:3]])
                for v in violations
                if v["impact"] in ("serious", "critical")
            ]
            ids = [v["id"] for v in violations]
            print(f"\n{query} {stage}: {len(violations)} violation(s) of any impact: {ids}")
        assert found == {"before Train": [], "after Train": []}, found
    finally:
        page.close()
