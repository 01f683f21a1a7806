"""Numbers in a real browser (Chromium): upload the example CSV, pick the columns, train, see
predictions against targets as lines; a malformed CSV shows an error and the page keeps working."""

import time

import pytest

from tests.e2e import MODE_LABELS, launch_browser, open_app, require_browser, streamlit_server, wait_for_run
from tests.test_browser import ROOT

pytestmark = pytest.mark.browser
EXAMPLE = ROOT / "seqviz" / "data" / "demand.csv"
LINES = "Predicted and target values"


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    require_browser()
    log = tmp_path_factory.mktemp("server") / "streamlit.log"
    with streamlit_server(log=log) as base_url, launch_browser() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.base_url = base_url
        yield page
    assert "Traceback" not in log.read_text(errors="replace"), log.read_text(errors="replace")[-3000:]


def _upload(page, path) -> None:
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(path))
    wait_for_run(page)


def test_upload_the_example_pick_columns_train_and_see_lines(page):
    open_app(page, page.base_url, "?epochs=5")
    _upload(page, EXAMPLE)
    page.get_by_text("CSV columns: hour, temperature, demand").wait_for(timeout=30000)
    page.get_by_text("Numbers: a CSV time series").click()
    page.get_by_role("textbox", name="Target column").fill("demand")
    page.get_by_role("textbox", name="Feature columns").fill("temperature,demand")
    page.get_by_role("spinbutton", name="Test rows").fill("24")
    page.locator('[data-testid="stRadio"] label').filter(has_text=MODE_LABELS["chunks"]).first.click()
    page.get_by_text("Advanced").click()
    page.get_by_role("spinbutton", name="Epochs").fill("40")
    page.get_by_role("spinbutton", name="Window").fill("12")
    started = time.monotonic()
    page.get_by_role("button", name="Train", exact=True).click()
    wait_for_run(page)
    print(f"\nTrain click to charts, the 96-row example, 40 epochs: {time.monotonic() - started:.2f} s")
    chart = page.locator('[data-testid="stPlotlyChart"]').filter(has_text=LINES)
    chart.first.wait_for(timeout=30000)
    # Four lines: target and prediction, train and test, each an SVG path with many points.
    paths = chart.first.locator("g.scatterlayer path.js-line")
    assert paths.count() == 4
    assert all(len(paths.nth(k).get_attribute("d") or "") > 200 for k in range(4))
    assert page.get_by_text("Learned or memorised: the test rows").count() == 1
    url = page.evaluate("location.href")
    assert "output=linear" in url and "target=demand" in url and "csv=" not in url


def test_a_malformed_csv_shows_an_error_and_the_page_keeps_working(page, tmp_path):
    if page.locator('[data-testid="stPlotlyChart"]').filter(has_text=LINES).count() == 0:
        test_upload_the_example_pick_columns_train_and_see_lines(page)
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"when,value\n1,2\n3,oops\n")
    _upload(page, bad)
    alert = page.locator('[data-testid="stAlert"]').filter(has_text="bad.csv")
    alert.first.wait_for(timeout=30000)
    assert "which is not a number" in alert.first.inner_text()
    # The form still holds the good CSV: Train works and draws the lines again.
    page.get_by_role("button", name="Train", exact=True).click()
    wait_for_run(page)
    assert page.locator('[data-testid="stPlotlyChart"]').filter(has_text=LINES).count() == 1
    binary = tmp_path / "image.csv"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe")
    _upload(page, binary)
    page.locator('[data-testid="stAlert"]').filter(has_text="not UTF-8 text").first.wait_for(timeout=30000)
