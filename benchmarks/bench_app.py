"""The app's speed and memory as a person meets them, in a real browser on loopback.

Measures, in one run:
  1. server start → the form painted, for seqviz and for an empty Streamlit app with one form;
  2. Train click → every chart drawn, for the default run of all four modes on a warm server,
     both untrained (a new seed each time) and from the cache;
  3. the server's resident memory after 20 different runs.

    .venv/bin/python benchmarks/bench_app.py [--repeat 5] [--runs 20] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.e2e import (  # noqa: E402
    launch_browser,
    rss_mb,
    streamlit_server,
    wait_for_charts,
    wait_for_run,
)

EMPTY_APP = """\
import streamlit as st

with st.form("input"):
    st.text_input("Sequence", "0 1 0 2")
    st.form_submit_button("Train")
"""


def first_paint(browser, app: Path | None) -> float:
    """Seconds from launching the server process to the Train button being visible."""
    started = time.monotonic()
    with streamlit_server(app=app) as url:
        page = browser.new_page()
        page.goto(url)
        page.get_by_role("button", name="Train", exact=True).wait_for(state="visible", timeout=60000)
        elapsed = time.monotonic() - started
        page.close()
    return elapsed


def train_to_charts(page, url: str, seed: int) -> float:
    """Seconds from pressing Train (default configuration, given seed) to every chart drawn."""
    page.get_by_text("Advanced").click()
    page.get_by_role("spinbutton", name="Seed").fill(str(seed))
    page.get_by_text("Advanced").click()
    started = time.monotonic()
    page.get_by_role("button", name="Train", exact=True).click()
    wait_for_run(page)
    elapsed = time.monotonic() - started
    url = page.evaluate("location.href")  # page.url can miss an in-page history update
    assert f"seed={seed}" in url, url
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--json", help="write the numbers here")
    args = parser.parse_args()
    numbers: dict = {}
    with launch_browser() as browser, tempfile.TemporaryDirectory() as scratch:
        empty = Path(scratch) / "empty_app.py"
        empty.write_text(EMPTY_APP)
        paints = {"empty": [], "seqviz": []}
        for _ in range(args.repeat):
            paints["empty"].append(first_paint(browser, empty))
            paints["seqviz"].append(first_paint(browser, None))
        numbers["first_paint_s"] = {k: statistics.median(v) for k, v in paints.items()}
        numbers["first_paint_gap_s"] = numbers["first_paint_s"]["seqviz"] - numbers["first_paint_s"]["empty"]

        with streamlit_server() as url:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(url)
            wait_for_run(page, timeout=180)  # the first visit trains the default: TF imported, graph traced
            rss = [rss_mb(url.process.pid)]
            fresh = [train_to_charts(page, url, seed) for seed in range(1, args.repeat + 1)]
            cached = [train_to_charts(page, url, seed) for seed in range(1, args.repeat + 1)]
            numbers["train_to_charts_s"] = {
                "untrained_median": statistics.median(fresh),
                "untrained_max": max(fresh),
                "cached_median": statistics.median(cached),
            }
            for seed in range(args.repeat + 1, args.runs + 1):
                train_to_charts(page, url, seed)
            rss.append(rss_mb(url.process.pid))
            charts = wait_for_charts(page)
            numbers["memory_mb"] = {"after_first_run": rss[0], f"after_{args.runs}_runs": rss[1]}
            numbers["charts_on_page"] = charts

    print(f"first paint of the form, median of {args.repeat} server starts:")
    print(f"  empty Streamlit app with one form  {numbers['first_paint_s']['empty']:.2f} s")
    print(
        f"  seqviz                             {numbers['first_paint_s']['seqviz']:.2f} s"
        f"  (+{numbers['first_paint_gap_s']:.2f} s; target ≤ +0.7 s)"
    )
    t = numbers["train_to_charts_s"]
    print(
        f"Train click → all {numbers['charts_on_page']} charts drawn, "
        "default run of all four modes, warm server:"
    )
    print(
        f"  trained now (new seed)  median {t['untrained_median']:.2f} s, max {t['untrained_max']:.2f} s"
        "  (target ≤ 3 s)"
    )
    print(f"  from the cache          median {t['cached_median']:.2f} s")
    m = numbers["memory_mb"]
    print(
        f"server RSS: {m['after_first_run']:.0f} MB after the first run, "
        f"{m[f'after_{args.runs}_runs']:.0f} MB after {args.runs} different runs"
    )
    if args.json:
        Path(args.json).write_text(json.dumps(numbers, indent=1))


if __name__ == "__main__":
    main()
