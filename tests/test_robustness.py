"""The app under real use: people who leave mid-run or press Train again, a time budget, three
people at once, and hostile input in the URL and on the command line.

The browser tests share one server (``SEQVIZ_LOG_LEVEL=INFO``, logging to a file) and read its
training events from that log; CPU use is read from ``/proc/<pid>/stat``.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass, fields, replace
from datetime import datetime
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from seqviz.cells import CELLS
from seqviz.config import ALL, OUTPUTS, RunConfig
from seqviz.modes import MODES
from seqviz.sequence import FRAMINGS
from tests.e2e import (
    cpu_seconds,
    launch_browser,
    open_app,
    predicted_tokens,
    process_tree,
    require_browser,
    streamlit_server,
    wait_for_charts,
)

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
# 60 tokens, 128 units, all four modes, 5000 epochs: minutes of training on a small machine
# (the stateful mode alone runs 59 batches per epoch; on 2 cores, with 128 or 64 units, a run is
# still in its second mode after 16 s), so it is always stopped mid-run here.
LONG = RunConfig(
    sequence=" ".join(str(k % 17) for k in range(60)), framing="next", mode="all", units=128, epochs=5000
)
STOP_WITHIN = 2.0  # seconds from leaving (or pressing Train again) to the training stopping
IDLE_SHARE = 0.10  # CPU share of one core that counts as idle, over a 0.5 s window
STARTED = re.compile(r"training started running=(\d+) waiting=(\d+) peak=(\d+)")
KNOWN = tuple(f.name for f in fields(RunConfig))
ESCAPE = re.compile(r"\\(.)")


# --- the server, its log and its CPU -------------------------------------------------------


class ServerLog:
    """The server's log file, read from a mark onwards."""

    def __init__(self, path: Path):
        self.path, self.start = path, 0

    def mark(self) -> None:
        self.start = self.path.stat().st_size

    def text(self) -> str:
        with self.path.open(errors="replace") as fh:
            fh.seek(self.start)
            return fh.read()

    def count(self, needle: str) -> int:
        return self.text().count(needle)

    def wait_for(self, needle: str, timeout: float, count: int = 1) -> float:
        """The monotonic time at which ``needle`` appeared ``count`` times since the mark."""
        deadline = time.monotonic() + timeout
        while self.count(needle) < count:
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"{needle!r} not in the server log after {timeout} s:\n{self.text()[-3000:]}"
                )
            time.sleep(0.02)
        return time.monotonic()


def event_times(log: ServerLog, event: str) -> list[float]:
    """Seconds (epoch time) of each ``event`` line since the log's mark, from the lines' own stamps."""
    stamps = re.findall(rf"^(\S+ \S+) seqviz {event}", log.text(), re.M)
    return [datetime.strptime(t, "%Y-%m-%d %H:%M:%S,%f").timestamp() for t in stamps]


@dataclass
class Server:
    url: str
    pid: int
    log: ServerLog


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU time of the server and its worker processes (all their threads).

    A worker that exits (killed after a stop request it did not answer) takes its CPU time with
    it, so the sum can fall; the readers only compare readings a moment apart.
    """
    return sum(cpu_seconds(p) for p in process_tree(pid))


def cpu_share(pid: int, seconds: float = 0.5) -> float:
    """Cores' worth of CPU the process used over the next ``seconds``."""
    c0, t0 = tree_cpu_seconds(pid), time.monotonic()
    time.sleep(seconds)
    return (tree_cpu_seconds(pid) - c0) / (time.monotonic() - t0)


def watch_stop(server: Server, since: float, timeout: float = 5.0, window: float = 0.5):
    """Seconds after ``since`` until the log says "training abandoned" and until the server's CPU
    use first stays under IDLE_SHARE for a whole ``window`` (the window's start); None if not seen."""
    samples: list[tuple[float, float]] = []
    abandoned = idle = None
    while time.monotonic() < since + timeout and (abandoned is None or idle is None):
        now = time.monotonic()
        samples.append((now, tree_cpu_seconds(server.pid)))
        if abandoned is None and server.log.count("training abandoned"):
            abandoned = now - since
        earlier = [s for s in samples if s[0] <= now - window]
        if idle is None and earlier:
            t0, c0 = earlier[-1]
            if (samples[-1][1] - c0) / (now - t0) < IDLE_SHARE:
                idle = t0 - since
        time.sleep(0.05)
    return abandoned, idle


def page_query(url: str) -> RunConfig | None:
    query = {k: v[-1] for k, v in parse_qs(urlsplit(url).query, keep_blank_values=True).items()}
    try:
        return RunConfig.from_query(query)
    except ValueError:
        return None


def wait_for_config(page, config: RunConfig, timeout: float = 80.0) -> None:
    """Until the page has finished a run of ``config`` (its URL says so) and drawn every chart.

    The URL is read in the page: Playwright's ``page.url`` can miss an in-page history update.
    """
    app = page.locator('[data-testid="stApp"]')
    deadline = time.monotonic() + timeout
    while (
        page_query(page.evaluate("location.href")) != config
        or app.get_attribute("data-test-script-state") != "notRunning"
    ):
        assert time.monotonic() < deadline, f"no finished run of {config} on {page.evaluate('location.href')}"
        time.sleep(0.05)
    wait_for_charts(page, deadline - time.monotonic())


def url_for(config: RunConfig) -> str:
    return "?" + urlencode(config.to_query())


def expected_predictions(config: RunConfig) -> dict[str, list[str]]:
    return predictions_and_ties(config)[0]


def predictions_and_ties(config: RunConfig) -> tuple[dict[str, list[str]], dict[str, set[int]]]:
    """Each mode's predictions and its tie positions: where the floor forces a hedge between
    targets, the top token is decided by the last bits of float rounding, which differ between
    processes."""
    from seqviz.engine import run

    runs = run(config).run.runs
    return (
        {r.mode: [p.predicted for p in r.predictions] for r in runs},
        {r.mode: {p.position for p in r.predictions if p.tie} for r in runs},
    )


def untied(predicted: dict[str, list[str]], tied: dict[str, set[int]]) -> dict[str, list[str | None]]:
    """``predicted`` with each mode's ties blanked."""
    return {
        mode: [None if i in tied[mode] else t for i, t in enumerate(tokens)]
        for mode, tokens in predicted.items()
    }


def start_long_run(server: Server, browser, config: RunConfig = LONG):
    """A new visitor opens a long configuration; returns (context, page) ~2 s into training."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    server.log.mark()
    page.goto(server.url + "/" + url_for(config))
    started = server.log.wait_for("training started", 60)
    page.locator('[data-testid="stProgress"]').first.wait_for(timeout=15_000)
    time.sleep(max(0.0, started + 2.0 - time.monotonic()))
    assert server.log.count("training finished") == 0
    assert cpu_share(server.pid) > 0.5, "the long training should keep at least half a core busy"
    return context, page


@pytest.fixture(scope="module")
def browser():
    require_browser()
    with launch_browser() as b:
        yield b


@pytest.fixture(scope="module")
def server(tmp_path_factory, browser):
    path = tmp_path_factory.mktemp("server") / "streamlit.log"
    with streamlit_server(env={"SEQVIZ_LOG_LEVEL": "INFO"}, log=path) as url:
        # Warm up both backends (72 units > NUMPY_MAX_UNITS: TensorFlow imported, its graph
        # traced), so the stop times measure stopping alone.
        context = browser.new_context()
        for units in (20, 72):
            open_app(context.new_page(), url, url_for(RunConfig(mode="sequence", epochs=5, units=units)))
        context.close()
        yield Server(url, url.process.pid, ServerLog(path))
    assert "Traceback" not in path.read_text(errors="replace"), path.read_text(errors="replace")[-3000:]


# --- abandoned runs ----------------------------------------------------------------------


@pytest.mark.browser
# 128 units train on the TensorFlow backend, 64 on the NumPy one (seqviz.trainer.NUMPY_MAX_UNITS).
@pytest.mark.parametrize("units", [128, 64], ids=["tensorflow", "numpy"])
def test_closing_the_page_stops_its_training_and_frees_the_cpu(server, browser, units):
    context, _ = start_long_run(server, browser, replace(LONG, units=units))
    closed = time.monotonic()
    context.close()
    abandoned, idle = watch_stop(server, closed)
    shown = ["not seen" if t is None else f"{t:.2f} s" for t in (abandoned, idle)]
    print(f"\n{units} units: close tab → 'training abandoned' {shown[0]}, → server CPU idle {shown[1]}")
    assert abandoned is not None and abandoned < STOP_WITHIN
    assert idle is not None and idle < STOP_WITHIN
    assert server.log.count("training finished") == 0


@pytest.mark.browser
def test_train_again_mid_run_abandons_the_old_run_and_shows_the_new_one(server, browser):
    context, page = start_long_run(server, browser)
    short = replace(LONG, sequence="a b a c", framing="pairs", mode="sequence", epochs=60)
    page.get_by_role("textbox", name="Sequence", exact=True).fill(short.sequence)
    radios = page.locator('[data-testid="stRadio"] label')
    radios.filter(has_text=re.compile(r"^pairs:")).first.click()
    radios.filter(has_text=re.compile(r"^sequence:")).first.click()
    page.get_by_text("Advanced", exact=True).click()
    page.get_by_role("spinbutton", name="Epochs").fill(str(short.epochs))
    page.get_by_role("spinbutton", name="Epochs").press("Tab")
    clicked = time.monotonic()
    page.get_by_role("button", name="Train", exact=True).click()
    abandoned = server.log.wait_for("training abandoned", 10) - clicked
    # Streamlit starts the new script run at once and asks the old one to stop; the gap between
    # the new run's start and the old run's end is the server's own share of that time.
    server.log.wait_for("training started", 10, count=2)
    started_new = event_times(server.log, "training started")[1]
    server_side = event_times(server.log, "training abandoned")[0] - started_new
    print(
        f"\nTrain again → 'training abandoned' {abandoned:.2f} s; "
        f"new run's start → old run's end {server_side:.2f} s"
    )
    assert abandoned < STOP_WITHIN

    wait_for_config(page, short)
    assert predicted_tokens(page, "sequence") == expected_predictions(short)["sequence"]
    assert page.get_by_role("textbox", name="Sequence", exact=True).input_value() == short.sequence
    log = server.log.text()
    assert (log.count("training started"), log.count("training finished")) == (2, 1), log

    # The abandoned configuration was not cached: opening it again trains it again.
    server.log.mark()
    page.goto(server.url + "/" + url_for(LONG))
    server.log.wait_for("training started", 30)
    assert page.locator(".st-key-predicted_stateless").count() == 0
    context.close()
    server.log.wait_for("training abandoned", 10)


@pytest.mark.browser
def test_time_budget_stops_a_long_run_with_a_message_and_caches_nothing(browser, tmp_path):
    path = tmp_path / "streamlit.log"
    with streamlit_server(env={"SEQVIZ_LOG_LEVEL": "INFO", "SEQVIZ_TIME_BUDGET": "3"}, log=path) as url:
        log = ServerLog(path)
        for visit in (1, 2):
            context = browser.new_context()
            page = context.new_page()
            page.goto(url + "/" + url_for(LONG))
            error = page.locator('[data-testid="stAlertContentError"]')
            error.wait_for(timeout=90_000)
            assert "time budget" in error.inner_text()
            log.wait_for("stopped=True", 10, count=visit)
            stopped = [
                float(s) for s in re.findall(r"training finished after ([\d.]+) s stopped=True", log.text())
            ]
            print(f"\nvisit {visit}: stopped by the 3 s budget after {stopped[-1]:.2f} s")
            # Checked between chunks of epochs; the first visit's first chunk also traces the graph.
            assert 3.0 <= stopped[-1] < (6.0 if visit == 1 else 4.0)
            # Each visit trains afresh: the stopped run was not cached.
            assert log.count("training started") == visit == len(stopped)
            assert "stopped=False" not in log.text()
            assert page.locator('[class*="st-key-predicted_"]').count() == 0
            context.close()


# --- three people at once ----------------------------------------------------------------


@pytest.mark.browser
def test_three_people_at_once_each_see_their_own_run(server, browser):
    patterns = ("a b c a b d", "a b a c b", "a b c d a b c e")
    configs = [
        # ~2 s of training each (64 units on the NumPy backend, 5,000 epochs, four modes): long
        # enough that the three runs overlap however the pages' loads are staggered.
        RunConfig(
            sequence=" ".join(f"p{k}{t}" for t in pattern.split()),
            framing="next",
            epochs=5000,
            units=64,
            seed=k,
        )
        for k, pattern in enumerate(patterns, start=1)
    ]
    expected, tied = zip(*(predictions_and_ties(c) for c in configs))
    contexts = [browser.new_context(viewport={"width": 1400, "height": 1000}) for _ in configs]
    pages = [c.new_page() for c in contexts]
    server.log.mark()
    for page, config in zip(pages, configs):
        page.goto(server.url + "/" + url_for(config), wait_until="commit")
    for page, config in zip(pages, configs):
        wait_for_config(page, config)
    starts = [tuple(map(int, m.groups())) for m in STARTED.finditer(server.log.text())]
    # All three trained (nothing cached), never more than two at a time, and they overlapped:
    # one started while another was still training.
    assert len(starts) == 3, starts
    assert max(running for running, _, _ in starts) == 2, starts
    tokens = [set(c.sequence.split()) for c in configs]
    for page, config, want, tie, own in zip(pages, configs, expected, tied, tokens):
        shown = {mode: predicted_tokens(page, mode) for mode in want}
        assert untied(shown, tie) == untied(want, tie)
        assert (
            sum(len(t) for t in tie.values()) < sum(len(p) for p in want.values()) / 2
        )  # most positions compared
        assert page.get_by_role("textbox", name="Sequence", exact=True).input_value() == config.sequence
        body = page.locator('[data-testid="stMain"]').inner_text()
        assert own & set(re.findall(r"p\d[a-e]", body))
        assert not (set().union(*tokens) - own) & set(re.findall(r"p\d[a-e]", body))
    for context in contexts:
        context.close()


# --- hostile input -------------------------------------------------------------------------


def app_at(query: dict) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    for key, value in query.items():
        at.query_params[key] = value
    return at.run()


def unescaped(elements) -> str:
    """The text of markdown elements as a person reads it (backslash escapes removed)."""
    return "\n".join(ESCAPE.sub(r"\1", e.value) for e in elements)


INT_RANGES = {"units": (1, 256), "epochs": (1, 5000), "snapshots": (1, 200), "seed": (0, 2**31 - 1)}
CHOICES = {
    "framing": FRAMINGS,
    "mode": (ALL, *MODES),
    "output": OUTPUTS,
    "cell": tuple(CELLS),
    "arrange": ("lanes", "rows"),
    "reset": ("epoch", "never", "sequence"),
}
INT_RANGES["layers"] = (1, 3)
BOOLS = ("stateful", "shuffle", "return_sequences")


def clearly_invalid(key: str, value: str) -> bool:
    """A URL value that no reading of ``key`` could accept under the default limits (a partial
    oracle, written from the documented options rather than from the app's parser)."""
    if key in CHOICES:
        return value not in CHOICES[key]
    if key in INT_RANGES or key == "window":
        try:
            number = int(value)
        except ValueError:
            return True
        low, high = INT_RANGES.get(key, (1, number))
        return not low <= number <= high
    if key in BOOLS:
        return value.strip().lower() not in ("1", "true", "yes", "on", "0", "false", "no", "off")
    if key == "timesteps":
        text = value.strip().lower()
        return text != "all" and not (text.isdigit() and int(text) >= 1)
    if key in ("batch_size", "stride"):
        if value.strip().lower() in ("", "none", "auto"):
            return False
        try:
            return int(value) < 1
        except ValueError:
            return True
    if key == "learning_rate":
        try:
            rate = float(value)
        except ValueError:
            return True
        return not 0 < rate <= 10  # NaN fails this too
    return False


HOSTILE = (
    "<script>alert(1)</script>",
    "**x**",
    "$x$",
    "`x`",
    "[x](https://example.com)",
    '<img src=x onerror="alert(1)">',
    "# x",
    "NaN",
    "inf",
    "-1e309",
    "1e309",
    "9" * 400,
    "-1",
    "0",
    "",
    " ",
    "None",
    "\x00",
    "１２",
    "0x10",
)
values = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(max_size=30),
    st.integers(1, 8).map(str),
    st.integers(min_value=10**4).map(str),
    st.integers(max_value=-1).map(str),
    st.floats().map(repr),
    st.builds(lambda c, n: c * n, st.sampled_from(["x ", "<", "$", "*", "9"]), st.integers(1_000, 12_000)),
)
sequences = st.one_of(
    st.lists(st.sampled_from(HOSTILE[:7]) | st.text(min_size=1, max_size=6), min_size=1, max_size=10).map(
        " ".join
    ),
    values,
)
keys = st.sampled_from(KNOWN) | st.text(min_size=1, max_size=12).filter(
    # Streamlit keeps "embed" and "embed_options" for itself and never shows them to the app.
    lambda k: k not in KNOWN and k.lower() not in ("embed", "embed_options")
)
small = st.integers(1, 5).map(str)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    query=st.dictionaries(keys, values, max_size=5),
    sequence=st.none() | sequences,
    epochs=st.one_of(small, small, small, values),
)
def test_any_url_shows_a_run_or_a_notice_never_an_exception(query, sequence, epochs):
    if sequence is not None:
        query["sequence"] = sequence
    query["epochs"] = epochs
    at = app_at(query)
    assert not at.exception, at.exception
    notices = unescaped(at.warning)
    # Every bad part falls back to its default, so something always trains.
    predicted = [t.value for t in at.text if t.value.startswith("predicted:")]
    assert predicted, (notices, [e.value for e in at.error])
    for key, value in query.items():
        if key not in KNOWN:
            assert "Unknown parameter" in notices, key
        elif clearly_invalid(key, value):
            assert key in notices or key.replace("_", " ") in notices, (key, value, notices)
    shown = at.text_area(key="w_sequence").value
    if shown != query.get("sequence", RunConfig.sequence):
        assert shown == RunConfig.sequence and "The default sequence is shown instead" in notices
    vocabulary = set(re.split(r"[\s,]+", shown))
    for line in predicted:
        assert set(line.removeprefix("predicted:").split()) <= vocabulary, (line, shown)
    # Notices quote what the URL held; none of it may turn into markup.
    for element in at.warning:
        assert not re.search(r"(?<!\\)(\*\*|\$|<|\[|`)", element.value), element.value


def test_markup_in_tokens_is_shown_literally_in_tables_charts_and_explanation():
    script, bold, math = "<script>alert(1)</script>", "**x**", "$x$"
    at = app_at({"sequence": f"{script} {bold} {script} {math}", "epochs": "5"})
    assert not at.exception and not at.error and not at.warning
    # Tables (built once opened, as a click on their expanders does): the cells hold the tokens as typed.
    for mode in ("stateless", "stateful", "sequence", "window"):
        at.session_state[f"open_table_{mode}"] = at.session_state[f"open_tokens_{mode}"] = True
    at.run()
    assert len(at.dataframe) == 4 * 3  # each mode's predictions, X and Y
    cells = {str(v) for df in at.dataframe for v in df.value.to_numpy().ravel()}
    assert {script, bold, math} <= cells
    # Charts: Plotly would read <…> as HTML and $…$ as LaTeX; the labels carry entities instead.
    specs = [chart.proto.spec for chart in at.get("plotly_chart")]
    labels = json.dumps([json.loads(s) for s in specs])
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in labels and "&#36;x&#36;" in labels and bold in labels
    assert script not in labels and math not in labels
    # The explanation: every markup character escaped, so it reads as typed.
    explanation = [m.value for m in at.markdown if "alert" in m.value]
    assert explanation, "the explanation should quote the ambiguous input"
    for text in explanation:
        assert "\\<script\\>alert\\(1\\)\\</script\\>" in text
        assert script not in text and bold not in text and math not in text
    assert r"\*\*x\*\*" in " ".join(m.value for m in at.markdown)
    assert any(f"'{script}'" in line for line in unescaped(at.markdown).splitlines())


def test_hostile_notices_are_not_markup():
    at = app_at({"units": "**5**", "[x](https://example.com)": "1", "epochs": "3", "mode": "$x$"})
    assert not at.exception
    raw = " ".join(w.value for w in at.warning)
    assert r"\*\*5\*\*" in raw and r"\[x\]\(https://example\.com\)" in raw and r"\$x\$" in raw
    assert "'**5**'" in unescaped(at.warning)
    # Errors about typed input quote it too.
    at.text_area(key="w_sequence").input("**x** **x**")
    next(b for b in at.button if b.label == "Train").click().run()
    assert not at.exception and len(at.error) == 1
    assert r"\*\*x\*\*" in at.error[0].value and "('**x**')" in unescaped(at.error)


def test_a_huge_sequence_in_the_url_is_refused_before_any_work():
    started = time.perf_counter()
    config, notices = RunConfig.from_query_lenient({"sequence": "x " * 500_000})
    assert time.perf_counter() - started < 0.05 and config.sequence == RunConfig.sequence
    assert notices == [
        "The sequence is 1000000 characters long; the limit is 4000. The default sequence is shown instead."
    ]
    at = app_at({"sequence": "x " * 5_000, "epochs": "5"})
    assert not at.exception and not at.error
    assert "10000 characters long" in unescaped(at.warning)
    assert at.text_area(key="w_sequence").value == RunConfig.sequence
    want = expected_predictions(RunConfig(epochs=5))  # the default sequence, untrained
    assert [t.value for t in at.text] == [f"predicted: {' '.join(want[mode])}" for mode in want]


def _cli(*args: str) -> tuple[subprocess.CompletedProcess, float]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEQVIZ_")}
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    return done, time.monotonic() - started


def test_cli_refuses_a_huge_sequence_at_once_without_importing_tensorflow():
    huge = ["-m", "seqviz", "run", "--sequence", "x " * 5_000]
    done, seconds = _cli(*huge)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.splitlines() == ["seqviz: The sequence is 10000 characters long; the limit is 4000."]
    assert seconds < 2.0
    traced, _ = _cli("-X", "importtime", *huge)
    imported = {line.rsplit("|", 1)[-1].strip() for line in traced.stderr.splitlines() if "|" in line}
    assert "seqviz.cli" in imported and "numpy" in imported
    assert not {m for m in imported if m.split(".")[0] in ("tensorflow", "keras")}
    print(f"\nCLI refused 10,000 characters in {seconds:.2f} s, exit 2, TensorFlow not imported")
