"""The players' cost per step, in a real browser on loopback: how long Chromium takes to show
one frame of each played figure (Plotly.animate, timed in the page), and what each step asks
of the server (websocket messages sent, script runs), beside one step of the page's server-side
epoch slider, which reruns the script.

    .venv/bin/python benchmarks/bench_player.py [--epochs 100] [--snapshots 30]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.e2e import launch_browser, open_app, streamlit_server, wait_for_run  # noqa: E402

# Every frame of a chart in turn, each timed until Plotly has drawn it.
_TIME_FRAMES_JS = """async ([el, redraw]) => {
  const names = el._transitionData._frames.map(f => f.name);
  const times = [];
  for (const name of names) {
    const started = performance.now();
    const now = {mode: "immediate", frame: {duration: 0, redraw}, transition: {duration: 0}};
    await Plotly.animate(el, [name], now);
    times.push(performance.now() - started);
  }
  return times;
}"""

_WATCH_JS = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  const seen = (window.__benchScript = []);
  let state = app.getAttribute("data-test-script-state");
  new MutationObserver(() => {
    const now = app.getAttribute("data-test-script-state");
    if (now !== state) seen.push((state = now));
  }).observe(app, {attributes: true});
}"""


def _frames(page, key: str, redraw: bool) -> list[float]:
    chart = page.locator(f".st-key-{key}")
    chart.scroll_into_view_if_needed()
    chart.locator(".main-svg").first.wait_for(timeout=30000)
    return page.evaluate(_TIME_FRAMES_JS, [chart.locator(".js-plotly-plot").element_handle(), redraw])


def _report(name: str, times: list[float]) -> None:
    print(
        f"{name:<28} {len(times):>4} frames  median {statistics.median(times):6.1f} ms"
        f"  max {max(times):6.1f} ms"
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--snapshots", type=int, default=30)
    args = parser.parse_args()
    with streamlit_server() as base_url, launch_browser() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        sent: list[object] = []
        page.on("websocket", lambda ws: ws.on("framesent", lambda payload: sent.append(payload)))
        open_app(page, base_url, f"?epochs={args.epochs}&snapshots={args.snapshots}&open=walkthrough")
        page.evaluate(_WATCH_JS)
        before = len(sent)
        _report("step player (stateless)", _frames(page, "play_time_stateless", True))
        _report("training player", _frames(page, "play_training", False))
        _report("position A slider", _frames(page, "reach", True))
        script_runs = page.evaluate("window.__benchScript").count("running")
        messages = len(sent) - before
        print(f"while playing every frame: {script_runs} script runs, {messages} websocket messages sent")
        failed = script_runs != 0 or messages != 0
        for mode in ("stateful", "sequence", "window"):
            choice = page.locator(".st-key-play_mode")
            choice.scroll_into_view_if_needed()
            choice.get_by_role("radio", name=mode, exact=True).click()
            wait_for_run(page)
            _report(f"step player ({mode})", _frames(page, f"play_time_{mode}", True))
        slider = page.get_by_role("slider", name="Epoch (weights snapshot)")
        slider.scroll_into_view_if_needed()
        slider.focus()
        took = []
        for _ in range(3):
            started = time.monotonic()
            slider.press("ArrowLeft")
            wait_for_run(page)
            took.append(time.monotonic() - started)
        print(
            "server-side epoch slider, one step (script rerun, charts redrawn): "
            + ", ".join(f"{t * 1000:.0f}" for t in took)
            + " ms"
        )
    load = os.getloadavg()[0]
    if load > (os.cpu_count() or 1):
        print(f"warning: load average {load:.1f} on {os.cpu_count()} cores: the machine was busy; rerun")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
