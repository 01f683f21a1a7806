"""Several people on one server at once, each in a real browser session of their own.

Default part, concurrent users: one ``streamlit run app.py`` with the default limit (2 trainings at
once); at 1, 3 and 6 users (separate browser contexts), every user types a different sequence and
all press Train at the same moment. Each page must end on its own run: the JSON its download
button gives equals the CLI's ``--json`` for the same configuration (timing fields aside), the
predictions it shows are that JSON's, and it shows no other user's tokens. Reports p50/p95
seconds from the Train click to every chart drawn, on each page's own clock (the last change
inside any chart; ``tests.e2e.CLICK_PROBE_JS``).

``--server-only``: the same moment without browsers, each user an AppTest session in a thread
of this one process, so the server's part of the wait is told apart from the browsers' drawing
(on a small machine the six browsers compete with the server for its cores).

``--burst``, limits under load: a server with ``SEQVIZ_SHARED=1`` (one training at once); 6
sessions press Train 20 times in all, all starting together, each waiting for its run before the
next click. Checks from the server log that no more than one training ever ran at once, that pages
showed their queue position, and that every run finished with the right predictions.

    .venv/bin/python benchmarks/load_users.py [--users 1 3 6] [--rounds 3 2 2] [--epochs 2000] [--mode all]
    .venv/bin/python benchmarks/load_users.py --users 6 --rounds 1 --epochs 400 --mode sequence
    .venv/bin/python benchmarks/load_users.py --server-only --users 6 --epochs 400 --mode sequence
    .venv/bin/python benchmarks/load_users.py --burst [--sessions 6] [--clicks 20] [--burst-epochs 800]

The default epochs make each run train for about 1-3 s in all four modes (0.5-1 s in the burst).

The CLI's JSONs are computed before the server starts, two at a time, so they never compete
with the timed runs. Exits non-zero if any check fails.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from seqviz.config import RunConfig  # noqa: E402
from seqviz.limits import limits_from_env  # noqa: E402
from tests.e2e import (  # noqa: E402
    CHROMIUM,
    CHROMIUM_ARGS,
    CLICK_PROBE_JS,
    CLICK_PROBE_READ_JS,
    click_settled,
    cpu_seconds,
    process_tree,
    streamlit_server,
)

TIMING_FIELDS = ("train_seconds", "total_seconds")
# Token patterns of 4 to 10 tokens; each user's tokens carry a tag of their own (u07a, u07b…),
# so one user's tokens never appear inside another's.
PATTERNS = (
    "a b c a b d",
    "a b a c",
    "a b c d a b c e",
    "a b c a d c",
    "a b c d e a b c d f",
    "a b b a c",
    "a b c b a d a",
    "a b c d b a c",
)
PAGE_STATE_JS = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  // textContent, not innerText: reading innerText lays the page out, and this runs every 50 ms.
  const alerts = [...document.querySelectorAll('[data-testid="stAlert"]')].map(e => e.textContent);
  return {
    state: app ? app.getAttribute('data-test-script-state') : null,
    url: location.href,
    charts: document.querySelectorAll('[data-testid="stPlotlyChart"]').length,
    drawn: document.querySelectorAll('[data-testid="stPlotlyChart"] .main-svg').length,
    queued: alerts.filter(t => t.includes('Queued: position')),
    errors: [...document.querySelectorAll('[data-testid="stException"]')].map(e => e.textContent),
  };
}"""
STARTED = re.compile(r"training started running=(\d+) waiting=(\d+) peak=(\d+)")
FINISHED = re.compile(r"training finished after ([\d.]+) s")


# --- configurations and the CLI's answers ------------------------------------------------------


def user_config(uid: int, epochs: int, mode: str = "all") -> RunConfig:
    """A configuration no other user has: tokens tagged with ``uid``, seed ``uid``."""
    pattern = PATTERNS[uid % len(PATTERNS)]
    sequence = " ".join(f"u{uid:02d}{token}" for token in pattern.split())
    return RunConfig(sequence=sequence, framing="next", mode=mode, epochs=epochs, seed=uid)


def user_tokens(config: RunConfig) -> set[str]:
    return set(config.sequence.split())


def cli_args(config: RunConfig) -> list[str]:
    args = [
        *("--sequence", config.sequence, "--framing", config.framing, "--mode", config.mode),
        *("--window", str(config.window), "--units", str(config.units), "--epochs", str(config.epochs)),
        *("--output", config.output, "--learning-rate", repr(config.learning_rate)),
        *("--seed", str(config.seed), "--snapshots", str(config.snapshots)),
    ]
    if config.batch_size is not None:
        args += ["--batch-size", str(config.batch_size)]
    return args


def cli_jsons(configs: list[RunConfig], scratch: Path, env: dict[str, str]) -> dict[RunConfig, dict]:
    """``python -m seqviz run ... --json PATH`` for each configuration, two processes at a time."""

    def one(k: int, config: RunConfig) -> tuple[RunConfig, dict]:
        path = scratch / f"cli_{k}.json"
        subprocess.run(
            [sys.executable, "-m", "seqviz", "run", *cli_args(config), "--json", str(path)],
            cwd=ROOT,
            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", **env},
            check=True,
            capture_output=True,
            timeout=300,
        )
        return config, json.loads(path.read_text())

    with ThreadPoolExecutor(2) as pool:
        return dict(pool.map(lambda item: one(*item), enumerate(configs)))


def without_timing(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: without_timing(v) for k, v in value.items() if k not in TIMING_FIELDS}
    if isinstance(value, list):
        return [without_timing(v) for v in value]
    return value


def differences(a: Any, b: Any, path: str = "") -> tuple[list[str], float]:
    """Structural mismatches (paths) and the largest difference between two floats that differ."""
    if isinstance(a, dict) and isinstance(b, dict):
        if a.keys() != b.keys():
            return [f"{path}: keys {sorted(a.keys() ^ b.keys())}"], 0.0
        found = [differences(a[k], b[k], f"{path}/{k}") for k in a]
    elif isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{path}: {len(a)} vs {len(b)} items"], 0.0
        found = [differences(x, y, f"{path}[{i}]") for i, (x, y) in enumerate(zip(a, b))]
    elif isinstance(a, float) and isinstance(b, float):
        return [], abs(a - b)
    else:
        return ([] if a == b and type(a) is type(b) else [f"{path}: {a!r} vs {b!r}"]), 0.0
    return [p for paths, _ in found for p in paths], max((d for _, d in found), default=0.0)


def predictions_by_mode(data: dict) -> dict[str, list[str]]:
    return {r["mode"]: [p["predicted"] for p in r["predictions"]] for r in data["runs"]}


def percentile(values: list[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


# --- one browser session -------------------------------------------------------------------


def config_in_url(url: str) -> RunConfig | None:
    query = {k: v[-1] for k, v in parse_qs(urlsplit(url).query, keep_blank_values=True).items()}
    try:
        return RunConfig.from_query(query) if query else None
    except ValueError:
        return None


@dataclass
class Session:
    """One person: a browser context of their own, a page, and what they saw."""

    name: str
    page: Any = None
    context: Any = None
    queue_positions: list[int] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    # Per Train click: seconds until the page showed its script run finished (on the page's clock;
    # what remains of ``seconds`` is the browser drawing the charts).
    script_seconds: list[float] = field(default_factory=list)
    round_cpu: tuple[float, float] = (0.0, 0.0)  # CPU-s of the server and of the browser in its round
    problems: list[str] = field(default_factory=list)


async def open_session(browser, url: str, name: str) -> Session:
    """A new context on the app's front page, once its first run (cached after warm-up) has drawn."""
    session = Session(name)
    session.context = await browser.new_context(viewport={"width": 1400, "height": 1000})
    session.page = await session.context.new_page()
    await session.page.goto(url)
    await session.page.get_by_role("button", name="Train", exact=True).wait_for(timeout=120_000)
    await wait_until_idle(session, None, timeout=180)
    return session


async def fill_form(page, config: RunConfig) -> None:
    """Type ``config`` into the form without pressing Train (units etc. keep their defaults)."""
    await page.get_by_role("textbox", name="Sequence", exact=True).fill(config.sequence)
    radios = page.locator('[data-testid="stRadio"] label')
    await radios.filter(has_text=re.compile(rf"^{config.framing}:")).first.click()
    mode_label = "Compare all modes" if config.mode == "all" else f"{config.mode}:"
    await radios.filter(has_text=re.compile(rf"^{re.escape(mode_label)}")).first.click()
    epochs = page.get_by_role("spinbutton", name="Epochs")
    if not await epochs.is_visible():
        await page.get_by_text("Advanced", exact=True).click()
    for name, value in (("Epochs", config.epochs), ("Seed", config.seed)):
        box = page.get_by_role("spinbutton", name=name)
        await box.fill(str(value))
        await box.press("Tab")  # a number input commits its value when it loses focus


async def wait_until_idle(session: Session, config: RunConfig | None, timeout: float) -> dict:
    """Poll until the page's script has finished on ``config`` (None: any) and every chart drew.

    Records every queue position the page showed meanwhile.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = await session.page.evaluate(PAGE_STATE_JS)
        finished = state["state"] == "notRunning" and (
            config is None or config_in_url(state["url"]) == config
        )
        for text in state["queued"]:
            match = re.search(r"Queued: position (\d+)", text)
            if match:
                session.queue_positions.append(int(match.group(1)))
        if state["errors"]:
            raise RuntimeError(f"{session.name}: the page shows an exception: {state['errors'][0][:300]}")
        if finished and state["charts"] and state["drawn"] >= state["charts"]:
            return state
        await asyncio.sleep(0.05)
    raise TimeoutError(f"{session.name}: no finished run of {config} after {timeout:.0f} s")


async def shown_predictions(page, modes: tuple[str, ...]) -> dict[str, list[str]]:
    shown = {}
    for mode in modes:
        text = await page.locator(f".st-key-predicted_{mode}").inner_text(timeout=30_000)
        shown[mode] = text.strip().removeprefix("predicted:").split()
    return shown


async def settled(page, timeout: float = 120) -> tuple[float, float]:
    """After a click with the probe in place (``tests.e2e.CLICK_PROBE_JS``) and the run's end:
    wait until no chart has changed for a second; returns seconds from the click to the last
    chart change and to the script run's end, on the page's own clock."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        timings = click_settled(*await page.evaluate(CLICK_PROBE_READ_JS))
        if timings is not None:
            return timings
        await asyncio.sleep(0.2)
    raise TimeoutError("the charts did not settle")


async def train(session: Session, config: RunConfig, timeout: float = 300) -> float:
    """Press Train (the form already holds ``config``); seconds until every chart is drawn, read
    on the page's clock (the last change inside any chart)."""
    await session.page.evaluate(CLICK_PROBE_JS)
    await session.page.get_by_role("button", name="Train", exact=True).click()
    await wait_until_idle(session, config, timeout)
    drawn, script = await settled(session.page)
    session.seconds.append(drawn)
    session.script_seconds.append(script)
    return drawn


async def download_run(session: Session) -> dict:
    """The run JSON from the page's download button (the click reruns the page from the cache)."""
    page = session.page
    async with page.expect_download(timeout=60_000) as info:
        await page.get_by_role("button", name="Download the run (JSON)").click()
    download = await info.value
    data = json.loads(Path(await download.path()).read_text(encoding="utf-8"))
    await download.delete()
    return data


async def check_page(session: Session, config: RunConfig, expected: dict, others: set[str]) -> None:
    """The page shows ``config``'s run and nothing of anyone else's; problems go to the session."""
    page = session.page
    shown = await shown_predictions(page, config.modes)
    if shown != predictions_by_mode(expected):
        session.problems.append(f"predictions {shown} != CLI {predictions_by_mode(expected)}")
    typed = await page.get_by_role("textbox", name="Sequence", exact=True).input_value()
    if typed != config.sequence:
        session.problems.append(f"the Sequence box holds {typed!r}, not {config.sequence!r}")
    body = await page.locator('[data-testid="stMain"]').inner_text()
    foreign = sorted(t for t in others if t in body)
    if foreign:
        session.problems.append(f"the page shows other users' tokens {foreign[:5]}")
    if not any(t in body for t in user_tokens(config)):
        session.problems.append("the page shows none of its own tokens")


# --- part 1: concurrent users --------------------------------------------------------------


def cpu_by_side(server: int | None) -> tuple[float, float]:
    """CPU seconds so far of the server (with its workers) and of the rest of this benchmark's
    processes but itself (the browser)."""
    served = set(process_tree(server)) if server else set()
    ours = set(process_tree(os.getpid())) - {os.getpid()}
    return sum(map(cpu_seconds, served)), sum(map(cpu_seconds, ours - served))


async def concurrent_round(browser, url: str, configs: list[RunConfig], oracle: dict) -> list[Session]:
    sessions = await asyncio.gather(*(open_session(browser, url, f"user {c.seed}") for c in configs))
    await asyncio.gather(*(fill_form(s.page, c) for s, c in zip(sessions, configs)))
    # Everyone presses Train in the same turn of the event loop. CPU seconds are read around it:
    # the server's process tree (its workers too) and everything else this benchmark started
    # (the browser's processes).
    server = url.process.pid if hasattr(url, "process") else None
    before = cpu_by_side(server)
    await asyncio.gather(*(train(s, c) for s, c in zip(sessions, configs)))
    after = cpu_by_side(server)
    for session in sessions:
        session.round_cpu = (after[0] - before[0], after[1] - before[1])
    everyone = set().union(*(user_tokens(c) for c in configs))
    for session, config in zip(sessions, configs):
        await check_page(session, config, oracle[config], everyone - user_tokens(config))
        data = await download_run(session)
        mismatches, largest = differences(without_timing(data), without_timing(oracle[config]))
        if mismatches:
            session.problems.append(f"downloaded JSON differs from the CLI's: {mismatches[:3]}")
        elif largest > 0:
            session.problems.append(f"downloaded JSON floats differ from the CLI's by up to {largest:.3g}")
        await wait_until_idle(session, config, timeout=120)
    for session in sessions:
        await session.context.close()
    return sessions


async def concurrent_users(args: argparse.Namespace, scratch: Path) -> bool:
    plan = [(n, r) for n, r in zip(args.users, args.rounds)]
    uid = iter(range(1, 1000))
    new = lambda: user_config(next(uid), args.epochs, args.mode)
    rounds = [[[new() for _ in range(n)] for _ in range(r)] for n, r in plan]
    configs = [c for level in rounds for one in level for c in one]
    env = {"SEQVIZ_LOG_LEVEL": "INFO", "SEQVIZ_SHARED": ""}
    limits = limits_from_env({**os.environ, **env})
    started = time.monotonic()
    what = f"mode {args.mode}, {args.epochs} epochs"
    print(f"CLI JSONs for {len(configs)} configurations ({what})…", flush=True)
    oracle = cli_jsons(configs, scratch, env)
    print(f"  done in {time.monotonic() - started:.0f} s", flush=True)
    log = scratch / "server.log"
    results: dict[int, list[Session]] = {}
    train_seconds: dict[int, list[float]] = {}
    from playwright.async_api import async_playwright

    with streamlit_server(env=env, log=log) as url:
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            try:
                warm = await open_session(browser, url, "warm-up")  # imports TensorFlow, traces the graph
                await warm.context.close()
                for (n, _), level in zip(plan, rounds):
                    log_start = log.stat().st_size
                    for k, one in enumerate(level):
                        sessions = await concurrent_round(browser, url, one, oracle)
                        results.setdefault(n, []).extend(sessions)
                        times = ", ".join(f"{s.seconds[0]:.2f}" for s in sessions)
                        print(f"  {n} user(s), round {k + 1}: {times} s", flush=True)
                    with log.open(errors="replace") as fh:
                        fh.seek(log_start)
                        train_seconds[n] = [float(m.group(1)) for m in FINISHED.finditer(fh.read())]
            finally:
                await browser.close()
    text = log.read_text(errors="replace")
    running = [int(m.group(1)) for m in STARTED.finditer(text)]
    peaks = [int(m.group(3)) for m in STARTED.finditer(text)]
    finished = text.count("training finished")

    print()
    print(
        f"Train click → every chart drawn; mode {args.mode}, {args.epochs} epochs, sequences of 4–10 tokens, "
        f"each configuration new to the server; server limit {limits.max_concurrent} trainings at once "
        "(the default)."
    )
    print(
        f"{'users':>5}  {'runs':>4}  {'p50 s':>6}  {'p95 s':>6}  {'max s':>6}  {'script max s':>12}"
        f"  {'training p50 s':>14}  queued"
    )
    for n, sessions in results.items():
        seconds = [s.seconds[0] for s in sessions]
        script = max(s.script_seconds[0] for s in sessions)
        queued = sum(bool(s.queue_positions) for s in sessions)
        p50, p95, training = percentile(seconds, 0.5), percentile(seconds, 0.95), train_seconds[n]
        print(
            f"{n:>5}  {len(seconds):>4}  {p50:>6.2f}  {p95:>6.2f}  {max(seconds):>6.2f}  {script:>12.2f}"
            f"  {percentile(training, 0.5):>14.2f}  {queued} saw a queue position"
        )
    for n, sessions in results.items():
        server_cpu, browser_cpu = sessions[0].round_cpu
        print(
            f"{n} user(s), the round of the clicks above: server process and workers {server_cpu:.1f} CPU-s, "
            f"browsers {browser_cpu:.1f} CPU-s, on {os.cpu_count()} cores"
        )
    print(
        "seconds on each page's own clock, from the click to the last change inside any chart; "
        "script max: the slowest click until its page showed the script run finished"
    )
    load = os.getloadavg()[0]
    if load > (os.cpu_count() or 1):
        print(f"WARNING: load average {load:.1f} on {os.cpu_count()} cores at the end: other work competed")
    everyone = [s for sessions in results.values() for s in sessions]
    problems = [f"{s.name}: {p}" for s in everyone for p in s.problems]
    print(
        f"server log: {len(running)} trainings started (1 warm-up), {finished} finished; "
        f"most running at once {max(running)}, gate peak {max(peaks)}"
    )
    print(
        f"{len(everyone) - len({p.split(':')[0] for p in problems})} of {len(everyone)} sessions showed "
        "their own run; downloaded JSON equal to the CLI's (floats exactly, timing fields aside)"
    )
    for problem in problems:
        print(f"  PROBLEM {problem}")
    ok = not problems and max(running) <= limits.max_concurrent and finished == len(configs) + 1
    return ok


# --- part 2: a burst of clicks under the shared-server limits ------------------------------


async def clicking_session(session: Session, configs: list[RunConfig], oracle: dict, others: set) -> None:
    for config in configs:
        await fill_form(session.page, config)
        await train(session, config, timeout=400)
        await check_page(session, config, oracle[config], others - user_tokens(config))


async def burst(args: argparse.Namespace, scratch: Path) -> bool:
    # Sessions take turns for the extra clicks: 20 over 6 sessions is 4, 4, 3, 3, 3, 3.
    counts = [args.clicks // args.sessions + (k < args.clicks % args.sessions) for k in range(args.sessions)]
    uid = iter(range(100, 1000))
    plans = [[user_config(next(uid), args.burst_epochs) for _ in range(c)] for c in counts]
    configs = [c for plan in plans for c in plan]
    env = {"SEQVIZ_SHARED": "1", "SEQVIZ_LOG_LEVEL": "INFO"}
    limits = limits_from_env({**os.environ, **env})
    print(f"CLI JSONs for {len(configs)} configurations (mode all, {args.burst_epochs} epochs)…")
    oracle = cli_jsons(configs, scratch, env)
    log = scratch / "server.log"
    everyone = set().union(*(user_tokens(c) for c in configs))
    from playwright.async_api import async_playwright

    with streamlit_server(env=env, log=log) as url:
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            try:
                warm = await open_session(browser, url, "warm-up")
                await warm.context.close()
                sessions = await asyncio.gather(
                    *(open_session(browser, url, f"session {k + 1}") for k in range(args.sessions))
                )
                started = time.monotonic()
                await asyncio.gather(
                    *(clicking_session(s, plan, oracle, everyone) for s, plan in zip(sessions, plans))
                )
                elapsed = time.monotonic() - started
                for session in sessions:
                    await session.context.close()
            finally:
                await browser.close()
    text = log.read_text(errors="replace")
    starts = list(STARTED.finditer(text))
    running = max(int(m.group(1)) for m in starts)
    peak = max(int(m.group(3)) for m in starts)
    waiting = max(int(m.group(2)) for m in starts)
    finished, abandoned = text.count("training finished"), text.count("training abandoned")
    queued = [s for s in sessions if s.queue_positions]
    right = sum(len(s.seconds) for s in sessions if not s.problems)
    problems = [f"{s.name}: {p}" for s in sessions for p in s.problems]

    print()
    print(
        f"burst: {args.sessions} sessions, {len(configs)} Train clicks (mode all, {args.burst_epochs} "
        f"epochs), SEQVIZ_SHARED=1: limit {limits.max_concurrent} training at once; {elapsed:.1f} s in all"
    )
    print(
        f"server log: {len(starts)} trainings started (1 warm-up), {finished} finished, "
        f"{abandoned} abandoned; running= at most {running}, peak= at most {peak}, waiting= at most {waiting}"
    )
    print(
        f"{len(queued)} of {args.sessions} sessions saw 'Queued: position' "
        f"(positions seen: {sorted({p for s in sessions for p in s.queue_positions})})"
    )
    print(f"{right} of {len(configs)} runs ended on their own page with the CLI's predictions")
    seconds = [t for s in sessions for t in s.seconds]
    p50, p95 = percentile(seconds, 0.5), percentile(seconds, 0.95)
    print(f"Train click → charts: p50 {p50:.2f} s, p95 {p95:.2f} s")
    for problem in problems:
        print(f"  PROBLEM {problem}")
    return (
        not problems
        and running <= limits.max_concurrent
        and peak <= limits.max_concurrent
        and bool(queued)
        and finished == len(configs) + 1
        and abandoned == 0
        and right == len(configs)
    )


# --- part 3: the server's part alone, without browsers ---------------------------------------


async def server_only(args: argparse.Namespace, scratch: Path) -> bool:
    """Each user an AppTest session in a thread of this one process (one GIL, as one server):
    all run the page for a configuration new to the process at the same moment. Measures the
    server's part of a Train click (the script, training through the app's own worker pool,
    the figures, the messages to send) without websockets or any browser drawing."""
    from streamlit.testing.v1 import AppTest

    app = str(ROOT / "app.py")
    warm = AppTest.from_file(app, default_timeout=300)
    warm.query_params["mode"] = args.mode
    warm.run()  # the worker pool, imports, the first run
    uid = iter(range(500, 1000))
    ok = True
    for n in args.users:
        configs = [user_config(next(uid), args.epochs, args.mode) for _ in range(n)]
        oracle = cli_jsons(configs, scratch, {})
        sessions = []
        for config in configs:
            at = AppTest.from_file(app, default_timeout=300)
            for key, value in config.to_query().items():
                at.query_params[key] = value
            sessions.append(at)
        started, seconds = time.monotonic(), {}

        def one(k: int, at: Any, started: float = started, seconds: dict = seconds) -> None:
            at.run()
            seconds[k] = time.monotonic() - started

        threads = [threading.Thread(target=one, args=(k, at)) for k, at in enumerate(sessions)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        right = 0
        for config, at in zip(configs, sessions):
            shown = {m: t.value.removeprefix("predicted: ").split() for m, t in zip(config.modes, at.text)}
            right += not at.exception and shown == predictions_by_mode(oracle[config])
        times = sorted(seconds.values())
        print(
            f"{n} session(s) at once, no browser: slowest {times[-1]:.2f} s, median "
            f"{percentile(times, 0.5):.2f} s; {right} of {n} showed their own run's predictions"
        )
        ok &= right == n
    load = os.getloadavg()[0]
    if load > (os.cpu_count() or 1):
        print(f"WARNING: load average {load:.1f} on {os.cpu_count()} cores at the end: other work competed")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, nargs="+", default=[1, 3, 6])
    parser.add_argument("--rounds", type=int, nargs="+", default=[3, 2, 2])
    parser.add_argument("--epochs", type=int, default=2000)
    parser.add_argument("--mode", default="all", help="the feeding mode every user trains")
    parser.add_argument("--burst", action="store_true", help="the limits-under-load part instead")
    parser.add_argument(
        "--server-only",
        action="store_true",
        help="AppTest sessions in threads, no browser: the server's part",
    )
    parser.add_argument("--sessions", type=int, default=6)
    parser.add_argument("--clicks", type=int, default=20)
    parser.add_argument("--burst-epochs", type=int, default=800)
    parser.add_argument("--time-limit", type=float, default=1200, help="seconds before giving up")
    args = parser.parse_args()
    if len(args.users) != len(args.rounds):
        parser.error("--users and --rounds need the same number of values")
    part = burst if args.burst else server_only if args.server_only else concurrent_users
    with tempfile.TemporaryDirectory(prefix="seqviz_load_") as scratch:
        try:
            ok = asyncio.run(asyncio.wait_for(part(args, Path(scratch)), args.time_limit))
        except TimeoutError:
            print(f"FAILED: not finished within {args.time_limit:.0f} s")
            return 1
    print("OK" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
