"""Long uptime: many different trainings against one server process, watching its memory.

One page trains a new configuration each time (a new sequence and seed, so nothing comes from
the cache) and waits until every chart has drawn; the server's resident memory (RSS) is read
after each run. ``--via url`` (the default) loads the configuration's URL, so every run is a
new Streamlit session, as when people come and go (Streamlit keeps a disconnected session for
2 minutes in case it reconnects); ``--via click`` types it into the form and presses Train, all
in one session. Training runs in the server's worker processes (``seqviz.workers``), so their
memory is read too and held to the same target. The app keeps up to 32 finished runs
(``ResultCache(max_entries=32)``), so memory should level off once that cache is full; the
target is under 150 MB of growth from run 20 to the last, for the server and for its workers.

Before the server starts, a few runs of different shapes in this process check that the
compiled training graph is traced once per process, never retraced per shape.

    .venv/bin/python benchmarks/soak.py [--runs 100] [--epochs 100] [--via url|click] [--time-limit 900]
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from seqviz.config import RunConfig  # noqa: E402
from tests.e2e import (  # noqa: E402
    launch_browser,
    open_app,
    predicted_tokens,
    rss_mb,
    streamlit_server,
    wait_for_charts,
    workers_rss_mb,
)

GROWTH_TARGET_MB = 150.0
WORDS = ("red", "green", "blue", "gold", "grey", "pink", "teal", "plum", "sand", "rust", "jade")


def soak_config(k: int, epochs: int) -> RunConfig:
    """Run ``k``'s configuration: 4 to 10 tokens, three to five distinct, seed ``k``.

    Every fifth run has 72 units, which the trainer hands to its TensorFlow backend (above
    ``NUMPY_MAX_UNITS``), so both backends stay in use for the whole soak.
    """
    length = 4 + k % 7
    distinct = 3 + k % 3
    words = [WORDS[(k + j) % len(WORDS)] for j in range(distinct)]
    tokens = [words[j % distinct] if j % 3 else words[0] for j in range(length)]
    units = 72 if k % 5 == 0 else 20
    return RunConfig(
        sequence=" ".join(tokens), framing="next", mode="sequence", units=units, epochs=epochs, seed=k
    )


def tracing_count() -> int:
    """How many times the TensorFlow backend's graph was traced over runs of five shapes."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    from seqviz import trainer
    from seqviz.engine import run

    for k, mode in enumerate(("stateless", "stateful", "sequence", "window", "all")):
        sequence = soak_config(k, 5).sequence
        # More units than NUMPY_MAX_UNITS, so the TensorFlow backend trains.
        run(RunConfig(sequence=sequence, framing="next", mode=mode, epochs=5, units=65 + k))
    # One compiled graph per (cell, depth, weight ranks); these runs share one.
    return sum(graph.experimental_get_tracing_count() for graph in trainer._graphs.values())


def shown_config(page) -> RunConfig | None:
    """The configuration in the page's URL, read in the page (Playwright's ``page.url`` can miss
    an in-page history update)."""
    query = parse_qs(urlsplit(page.evaluate("location.href")).query, keep_blank_values=True)
    try:
        return RunConfig.from_query({name: values[-1] for name, values in query.items()})
    except ValueError:
        return None


def train_by_click(page, config: RunConfig, timeout: float = 120.0) -> None:
    """Type ``config``'s sequence, units, epochs and seed into the form, press Train, and wait
    until the page shows that run with every chart drawn (framing and mode stay as they are)."""
    page.get_by_role("textbox", name="Sequence", exact=True).fill(config.sequence)
    if not page.get_by_role("spinbutton", name="Epochs").is_visible():
        page.get_by_text("Advanced", exact=True).click()
    for name, value in (("LSTM units", config.units), ("Epochs", config.epochs), ("Seed", config.seed)):
        box = page.get_by_role("spinbutton", name=name)
        box.fill(str(value))
        box.press("Tab")  # a number input commits its value when it loses focus
    page.get_by_role("button", name="Train", exact=True).click()
    app = page.locator('[data-testid="stApp"]')
    deadline = time.monotonic() + timeout
    while shown_config(page) != config or app.get_attribute("data-test-script-state") != "notRunning":
        if time.monotonic() > deadline:
            raise TimeoutError(f"no finished run of {config}")
        time.sleep(0.05)
    wait_for_charts(page, deadline - time.monotonic())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--time-limit", type=float, default=900, help="seconds; stops early after this")
    parser.add_argument("--via", choices=("url", "click"), default="url", help="how each run is asked for")
    parser.add_argument("--skip-tracing-check", action="store_true")
    parser.add_argument("--log", help="keep the server's log here")
    args = parser.parse_args()
    ok = True
    if not args.skip_tracing_check:
        traced = tracing_count()
        print(f"training graph traced {traced} time(s) over 5 runs of different shapes (want 1)")
        ok &= traced == 1

    deadline = time.monotonic() + args.time_limit
    rss: list[float] = []
    workers: list[float] = []  # the server's training worker processes together
    with (
        tempfile.TemporaryDirectory(prefix="seqviz_soak_") as scratch,
        streamlit_server(
            env={"SEQVIZ_LOG_LEVEL": "INFO"}, log=Path(args.log or Path(scratch) / "server.log")
        ) as url,
        launch_browser() as browser,
    ):
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        started = time.monotonic()
        for k in range(1, args.runs + 1):
            if time.monotonic() > deadline:
                print(f"time limit reached after {k - 1} runs")
                ok = False
                break
            config = soak_config(k, args.epochs)
            if args.via == "url" or k == 1:
                open_app(page, url, "?" + urlencode(config.to_query()))
            else:
                train_by_click(page, config)
            shown = shown_config(page)
            if shown != config or not predicted_tokens(page, "sequence"):
                print(f"run {k}: the page shows {shown}, not {config}")
                ok = False
                break
            rss.append(rss_mb(url.process.pid))
            workers.append(workers_rss_mb(url.process.pid))
            if k % 10 == 0:
                print(
                    f"  run {k:>3}: {rss[-1]:.0f} MB, workers {workers[-1]:.0f} MB, "
                    f"{time.monotonic() - started:.0f} s",
                    flush=True,
                )
        log = Path(args.log or Path(scratch) / "server.log").read_text(errors="replace")
    finished = len(re.findall(r"training finished after", log))
    print(
        f"{len(rss)} runs via {args.via}, {finished} trainings finished on the server "
        "(each run trained afresh)"
    )
    ok &= finished == len(rss)
    marks = [m for m in (1, 20, 50, 100, len(rss)) if m <= len(rss)]
    print("server RSS after run " + ", ".join(f"{m}: {rss[m - 1]:.0f} MB" for m in dict.fromkeys(marks)))
    print(
        "its workers' RSS after run "
        + ", ".join(f"{m}: {workers[m - 1]:.0f} MB" for m in dict.fromkeys(marks))
    )
    if len(rss) >= 20:
        growth = rss[-1] - rss[19]
        grown = workers[-1] - workers[19]
        print(
            f"growth from run 20 to run {len(rss)}: server {growth:+.0f} MB, workers {grown:+.0f} MB "
            f"(target < {GROWTH_TARGET_MB:.0f} MB each); "
            "the app caches up to 32 runs by design (ResultCache max_entries=32)"
        )
        ok &= growth < GROWTH_TARGET_MB and grown < GROWTH_TARGET_MB
    print("OK" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
