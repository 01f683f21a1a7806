"""The app's speed and memory as a person meets them, in a real browser on loopback.

Measures, in one run:
  1. server start → the form painted, for seqviz and for an empty Streamlit app with one form;
  2. Train click → every chart drawn, for the default run of all four modes on a warm server,
     both untrained (a new seed each time) and from the cache, beside the same click on a
     minimal Streamlit app that draws the same charts, precomputed, on a button click (the
     floor any Streamlit page reaches here);
  3. CPU seconds per untrained Train click, in the server process and in its worker processes
     (read from /proc before and after each click);
  4. the server's resident memory after 20 different runs (its workers' beside it).

A warning is printed when the machine was busy with other work during the timed clicks
(load average above the core count): rerun then.

    .venv/bin/python benchmarks/bench_app.py [--repeat 5] [--runs 20] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.e2e import (  # noqa: E402
    launch_browser,
    process_tree,
    rss_mb,
    streamlit_server,
    wait_for_charts,
    wait_for_run,
    workers_rss_mb,
)

# The floor: the same charts, built once per server, drawn on a button click. Two runs' charts
# (two seeds) take turns, so every click redraws every chart, as a new seqviz run does (a chart
# whose figure did not change is not drawn again by the browser).
REFERENCE_APP = """\
import json

import plotly.graph_objects as go
import streamlit as st


@st.cache_resource
def charts():
    with open({specs!r}, encoding="utf-8") as fh:
        return [[go.Figure(spec) for spec in run] for run in json.load(fh)]


clicks = st.session_state.setdefault("clicks", 0)
if st.button("Train", type="primary"):
    st.session_state["clicks"] = clicks = clicks + 1
for k, fig in enumerate(charts()[clicks % 2]):
    st.plotly_chart(fig, width="stretch", key=f"chart_{{k}}")
"""

EMPTY_APP = """\
import streamlit as st

with st.form("input"):
    st.text_input("Sequence", "0 1 0 2")
    st.form_submit_button("Train")
"""


# Bytes of every chart's figure JSON as Streamlit handed it to the page (the plotly spec).
CHART_BYTES_JS = """() => [...document.querySelectorAll('[data-testid="stPlotlyChart"] .js-plotly-plot')]
  .map(el => JSON.stringify({data: el.data, layout: el.layout}).length).reduce((a, b) => a + b, 0)"""


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
    # The run for this seed has reached the page once its URL says so (the script writes the
    # URL after the result is in hand); a state alone can be the run before it.
    page.wait_for_function(f"location.search.includes('seed={seed}&')", timeout=60000)
    wait_for_run(page)
    wait_for_charts(page)
    return time.monotonic() - started


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of one process (all its threads); 0 once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_split(pid: int) -> tuple[float, float]:
    """CPU seconds so far of the server process and of all its descendants together."""
    return cpu_seconds(pid), sum(cpu_seconds(p) for p in process_tree(pid)[1:])


def reference_specs(path: Path) -> int:
    """The default page's own charts for two runs (seeds 0 and 1), exactly as the page hands them
    to the browser (each Plotly chart's figure JSON, read from a run of ``app.py`` through
    Streamlit's AppTest), written to ``path``; returns how many charts a run has."""
    from streamlit.testing.v1 import AppTest

    runs = []
    for seed in ("0", "1"):
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
        at.query_params["seed"] = seed
        at.run()
        runs.append([json.loads(chart.proto.spec) for chart in at.get("plotly_chart")])
    assert len(runs[0]) == len(runs[1]) and runs[0] != runs[1]
    path.write_text(json.dumps(runs))
    return len(runs[0])


def click_to_charts(page, charts: int) -> float:
    """Seconds from pressing Train on the reference app to its ``charts`` charts drawn."""
    started = time.monotonic()
    page.get_by_role("button", name="Train", exact=True).click()
    wait_for_run(page)
    drawn = wait_for_charts(page, expected=charts)
    elapsed = time.monotonic() - started
    assert drawn == charts, (drawn, charts)
    return elapsed


def busy(cores: int = os.cpu_count() or 1) -> float | None:
    """The 1-minute load average when it is above the core count (other work on the machine)."""
    load = os.getloadavg()[0]
    return load if load > cores else None


def cpu_only(repeat: int) -> None:
    """CPU seconds per untrained Train click (default run, new seeds), server and workers."""
    with launch_browser() as browser, streamlit_server() as url:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(url)
        wait_for_run(page, timeout=600)  # the first visit: workers start (and load the compiled loop)
        train_to_charts(page, url, repeat + 1)  # one untimed click: every lazy import done
        pid = url.process.pid
        cpu, walls, loads = [], [], []
        for seed in range(1, repeat + 1):
            before = cpu_split(pid)
            walls.append(train_to_charts(page, url, seed))
            time.sleep(0.5)
            after = cpu_split(pid)
            cpu.append((after[0] - before[0], after[1] - before[1]))
            loads.append(os.getloadavg()[0])
        page.close()
    server = [c[0] for c in cpu]
    workers = [c[1] for c in cpu]
    each = {name: ", ".join(f"{c:.2f}" for c in values) for name, values in (("s", server), ("w", workers))}
    print(f"CPU per untrained Train click (default run, all four modes), {repeat} new seeds:")
    print(f"  server process   median {statistics.median(server):.3f} s  (each: {each['s']})")
    print(f"  worker processes median {statistics.median(workers):.3f} s  (each: {each['w']})")
    print(
        f"  Train click -> charts median {statistics.median(walls):.2f} s; load average <= {max(loads):.1f}"
    )
    if busy() is not None or max(loads) > (os.cpu_count() or 1):
        print("WARNING: other work competed for the cores; the wall clock is unreliable, CPU less so")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--json", help="write the numbers here")
    parser.add_argument(
        "--cpu-only",
        action="store_true",
        help="only the CPU per untrained Train click (server process and workers), one server",
    )
    args = parser.parse_args()
    if args.cpu_only:
        cpu_only(args.repeat)
        return
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
            pid = url.process.pid
            rss = [rss_mb(pid)]
            fresh, cpu, loads = [], [], []
            for seed in range(1, args.repeat + 1):
                before = cpu_split(pid)
                fresh.append(train_to_charts(page, url, seed))
                time.sleep(0.5)  # the page's last messages and any idle worker bookkeeping
                after = cpu_split(pid)
                cpu.append((after[0] - before[0], after[1] - before[1]))
                loads.append(os.getloadavg()[0])
            cached = [train_to_charts(page, url, seed) for seed in range(1, args.repeat + 1)]
            numbers["train_to_charts_s"] = {
                "untrained_median": statistics.median(fresh),
                "untrained_max": max(fresh),
                "cached_median": statistics.median(cached),
            }
            numbers["cpu_per_train_s"] = {
                "server_median": statistics.median(c[0] for c in cpu),
                "workers_median": statistics.median(c[1] for c in cpu),
            }
            numbers["load_average_max"] = max(loads)
            for seed in range(args.repeat + 1, args.runs + 1):
                train_to_charts(page, url, seed)
            rss.append(rss_mb(pid))
            charts = wait_for_charts(page)
            numbers["memory_mb"] = {
                "after_first_run": rss[0],
                f"after_{args.runs}_runs": rss[1],
                "workers_after": workers_rss_mb(pid),
            }
            numbers["charts_on_page"] = charts
            numbers["chart_json_bytes"] = page.evaluate(CHART_BYTES_JS)
            page.close()

        specs = Path(scratch) / "charts.json"
        reference = Path(scratch) / "reference_app.py"
        reference.write_text(REFERENCE_APP.format(specs=str(specs)))
        floor_charts = reference_specs(specs)
        with streamlit_server(app=reference) as url:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(url)
            page.get_by_role("button", name="Train", exact=True).wait_for(timeout=60000)
            click_to_charts(page, floor_charts)  # warm: the figures are built once per server
            floor = [click_to_charts(page, floor_charts) for _ in range(args.repeat)]
            numbers["reference_click_to_charts_s"] = {
                "median": statistics.median(floor),
                "charts": floor_charts,
            }

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
        "  (target ≤ 1.0 s, and within 1.5× the reference below)"
    )
    print(f"  from the cache          median {t['cached_median']:.2f} s")
    f = numbers["reference_click_to_charts_s"]
    print(
        f"  reference: a minimal Streamlit app drawing the same {f['charts']} charts, precomputed, "
        f"on a button click (every chart redrawn): median {f['median']:.2f} s; "
        f"seqviz is {t['untrained_median'] / f['median']:.2f}× that"
    )
    c = numbers["cpu_per_train_s"]
    print(
        f"CPU per untrained Train click, median of {args.repeat}: server process {c['server_median']:.2f} s, "
        f"worker processes {c['workers_median']:.2f} s"
    )
    print(f"chart JSON on the page after the last run: {numbers['chart_json_bytes'] / 1e3:.0f} kB")
    m = numbers["memory_mb"]
    print(
        f"server RSS: {m['after_first_run']:.0f} MB after the first run, "
        f"{m[f'after_{args.runs}_runs']:.0f} MB after {args.runs} different runs; "
        f"its worker processes {m['workers_after']:.0f} MB"
    )
    if numbers["load_average_max"] > (os.cpu_count() or 1):
        print(
            f"WARNING: load average up to {numbers['load_average_max']:.1f} on {os.cpu_count()} cores "
            "during the timed clicks: other work competed; rerun for clean numbers"
        )
    if args.json:
        Path(args.json).write_text(json.dumps(numbers, indent=1))


if __name__ == "__main__":
    main()
