"""Driving the real app in Debian's Chromium: a server on a free loopback port, a browser,
and the steps a person takes (type, choose, press Train, read the result).

Shared by the browser tests, the container test and the load benchmarks.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
MODE_LABELS = {
    "all": "Compare all modes",
    "stateless": "stateless:",
    "stateful": "stateful:",
    "sequence": "sequence:",
    "window": "window:",
    "chunks": "chunks:",
    "lanes": "lanes:",
    "rows": "rows:",
    "custom": "custom:",
}


DOWNLOAD_LABELS = {"run": "Download the run (JSON)", "states": "Download the states (CSV)"}


def skip_or_fail(reason: str) -> None:
    """Skip on a user's machine; under CI=true, where .ci/run installs every tool first, fail."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(reason)
    pytest.skip(reason)


def require_browser() -> None:
    """Skip without Chromium or playwright; under CI=true their absence is a failure."""
    missing = []
    if not Path(CHROMIUM).exists():
        missing.append(f"Chromium ({CHROMIUM}; apt-get install chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("the playwright package (pip install -r requirements-dev.txt)")
    if missing:
        skip_or_fail("browser tests need " + " and ".join(missing))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(base_url: str, timeout: float = 60.0, process: subprocess.Popen | None = None) -> float:
    """Seconds until ``/_stcore/health`` answers ok."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the server exited with status {process.returncode}")
        try:
            with urllib.request.urlopen(f"{base_url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return time.monotonic() - started
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"{base_url} not healthy after {timeout} s")


class ServerURL(str):
    """A server's base URL that also knows the server's process (for memory readings)."""

    process: subprocess.Popen


def rss_mb(pid: int) -> float:
    """Resident memory of a process, in MB, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")


def process_tree(pid: int) -> list[int]:
    """``pid`` and every process descended from it (a server's training workers), from /proc."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(parent, []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        found.append(todo.pop())
        todo.extend(children.get(found[-1], []))
    return found


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of one process so far (all its threads); 0 once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def workers_rss_mb(pid: int) -> float:
    """Resident memory of every process ``pid`` started (its training workers), in MB."""
    total = 0.0
    for child in process_tree(pid)[1:]:
        with contextlib.suppress(OSError, RuntimeError):  # a worker that just exited
            total += rss_mb(child)
    return total


@contextlib.contextmanager
def streamlit_server(
    env: dict[str, str] | None = None, log: Path | None = None, app: Path | None = None
) -> Iterator[ServerURL]:
    """``streamlit run app.py`` (or ``app``) headless on a free loopback port; yields its base URL."""
    port = free_port()
    out = open(log, "wb") if log else subprocess.DEVNULL  # noqa: SIM115 (closed in finally)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(app or ROOT / "app.py"),
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--server.headless",
            "true",
        ],
        cwd=ROOT,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", **(env or {})},
        stdout=out,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base_url = ServerURL(f"http://127.0.0.1:{port}")
    base_url.process = process
    try:
        wait_healthy(base_url, process=process)
        yield base_url
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        if log:
            out.close()


@contextlib.contextmanager
def launch_browser():
    """Debian's Chromium, headless; yields a Playwright Browser.

    Playwright starts Chromium with a new, empty user-data directory of its own each time.
    """
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


# Installed once per page: the page's own clock for a Train click. ``click`` is when the button
# was pressed, ``done`` when the script run ended (the app's script state turned notRunning; a
# run so short that the page never showed it running ends with its last change, ``any``),
# ``chart`` the last change inside any Plotly chart (a chart redrawn in place keeps its old SVG
# until Plotly has drawn the new figure, so "every chart has an SVG" is true before the redraw).
CLICK_PROBE_JS = """() => {
  if (window.__clickProbe) return;
  const app = document.querySelector('[data-testid="stApp"]');
  const probe = window.__clickProbe = {click: null, done: null, chart: null, any: null};
  document.addEventListener('click', (event) => {
    const button = event.target.closest && event.target.closest('button');
    if (button && button.innerText.trim() === 'Train') {
      Object.assign(probe, {click: performance.now(), done: null, chart: null, any: null});
    }
  }, true);
  new MutationObserver(() => {
    if (app.getAttribute('data-test-script-state') === 'notRunning') probe.done = performance.now();
  }).observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
  new MutationObserver((records) => {
    probe.any = performance.now();
    for (const record of records) {
      const node = record.target.nodeType === 1 ? record.target : record.target.parentElement;
      if (node && node.closest('[data-testid="stPlotlyChart"]')) { probe.chart = performance.now(); return; }
    }
  }).observe(document.body, {subtree: true, childList: true, attributes: true, characterData: true});
}"""


# The probe and the page's clock, read together (page.evaluate of this expression).
CLICK_PROBE_READ_JS = "[window.__clickProbe, performance.now()]"


def click_settled(probe: dict, now: float, quiet: float = 1.0) -> tuple[float, float] | None:
    """From a read of ``CLICK_PROBE_JS``: once the run has ended (the caller has seen it end) and
    no chart has changed for ``quiet`` seconds, (seconds from the click to the last chart change,
    to the run's end), on the page's clock; None while the page may still change."""
    done = probe["done"] or probe["any"]
    if probe["click"] is None or done is None or now - max(done, probe["chart"] or 0.0) < quiet * 1000:
        return None
    return ((probe["chart"] or done) - probe["click"]) / 1000, (done - probe["click"]) / 1000


def wait_for_run(page, timeout: float = 120.0) -> None:
    """Wait until a script run has started and finished, then for the charts to draw."""
    app = page.locator('[data-testid="stApp"]')
    deadline = time.monotonic() + timeout
    with contextlib.suppress(Exception):
        app.and_(page.locator('[data-test-script-state="running"]')).wait_for(timeout=3000)
    while time.monotonic() < deadline:
        if app.get_attribute("data-test-script-state") == "notRunning":
            break
        time.sleep(0.05)
    else:
        raise TimeoutError("the app's script did not finish")
    wait_for_charts(page, deadline - time.monotonic())


def wait_for_charts(page, timeout: float = 60.0, expected: int | None = None) -> int:
    """Wait until every Plotly chart on the page has drawn (and, given ``expected``, until there
    are that many: charts still arriving are not yet counted); returns how many there are."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        charts = page.locator('[data-testid="stPlotlyChart"]')
        count = charts.count()
        drawn = page.locator('[data-testid="stPlotlyChart"] .main-svg').count()
        if count and drawn >= count and (expected is None or count >= expected):
            return count
        time.sleep(0.1)
    raise TimeoutError("charts did not draw")


def open_app(page, base_url: str, query: str = "") -> None:
    """Load the page and wait for its first run (the default or the URL's configuration)."""
    page.goto(f"{base_url}/{query}")
    wait_for_app(page)


def wait_for_app(page) -> None:
    """After a navigation or reload: wait for the form and the page's first run."""
    page.get_by_role("button", name="Train", exact=True).wait_for(timeout=60000)
    wait_for_run(page)


def download(page, what: str) -> bytes:
    """The file a download button gives (``what``: ``run`` JSON or ``states`` CSV), whole."""
    with page.expect_download(timeout=60_000) as info:
        page.get_by_role("button", name=DOWNLOAD_LABELS[what]).click()
    done = info.value
    failure = done.failure()
    if failure:
        raise RuntimeError(f"download of the {what} failed: {failure}")
    data = Path(done.path()).read_bytes()
    done.delete()
    wait_for_run(page)  # the click reruns the page
    return data


_RECORD_JS = """(selector) => {
  const app = document.querySelector('[data-testid="stApp"]');
  const events = (window.__seqvizEvents = []);
  let text = null, state = app.getAttribute("data-test-connection-state");
  const check = () => {
    const element = document.querySelector(selector);
    const now = element ? element.innerText : null;
    if (now !== text) events.push(["predicted", (text = now)]);
    const connection = app.getAttribute("data-test-connection-state");
    if (connection !== state) events.push(["connection", (state = connection)]);
  };
  new MutationObserver(check).observe(document.documentElement,
    {subtree: true, childList: true, characterData: true, attributes: true});
}"""


def record_predictions(page, mode: str) -> None:
    """Start recording, in the page and in order, each text the mode's predictions show and each
    change of the page's connection to its server (``recorded`` reads them back)."""
    page.evaluate(_RECORD_JS, f".st-key-predicted_{mode}")


def recorded(page) -> list[tuple[str, list[str] | str | None]]:
    """What ``record_predictions`` saw: ("predicted", tokens or None), ("connection", state)."""
    events = page.evaluate("window.__seqvizEvents")
    return [
        (kind, value.strip().removeprefix("predicted:").split() if kind == "predicted" and value else value)
        for kind, value in events
    ]


def predicted_tokens(page, mode: str) -> list[str]:
    text = page.locator(f".st-key-predicted_{mode}").inner_text(timeout=30000).strip()
    return text.removeprefix("predicted:").split()


def train_in_page(
    page, base_url: str, sequence: str, mode: str, framing: str = "pairs", epochs: int | None = None
) -> list[str]:
    """Open the app, type ``sequence``, choose framing and mode, press Train, and return the
    tokens the page shows as predicted for ``mode`` (in ``all``, the ``sequence`` mode's)."""
    if not page.url.startswith(base_url):
        open_app(page, base_url)
    box = page.get_by_role("textbox", name="Sequence", exact=True)
    box.fill(sequence)
    page.get_by_text(f"{framing}:", exact=False).first.click()
    page.locator('[data-testid="stRadio"] label').filter(has_text=MODE_LABELS[mode]).first.click()
    if epochs is not None:
        page.get_by_text("Advanced").click()
        page.get_by_role("spinbutton", name="Epochs").fill(str(epochs))
    page.get_by_role("button", name="Train", exact=True).click()
    wait_for_run(page)
    return predicted_tokens(page, "sequence" if mode == "all" else mode)
