"""Three replicas behind Debian's haproxy with the repository's ``deploy/haproxy.cfg``, started
by ``deploy/cluster.py`` (what ``make cluster`` runs), and nine Chromium sessions through it.

The tests share one cluster and run in order: nine sessions train and download (spread over the
replicas, each kept on one by its cookie), then one replica is killed and its sessions recover on
another, then a replica given SIGTERM drains while a training runs on it.

Which replica served what is read from two sides: the ``SEQVIZ_REPLICA`` cookie each browser
context holds (HAProxy names the replica in it), and each replica's own log of trainings.
"""

from __future__ import annotations

import json
import signal
import time
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlencode

import pytest

from deploy.cluster import COOKIE, Cluster, find_haproxy, local_cluster
from seqviz.config import RunConfig
from seqviz.engine import run
from seqviz.export import states_csv
from tests.e2e import (
    download,
    free_port,
    launch_browser,
    predicted_tokens,
    record_predictions,
    recorded,
    require_browser,
    skip_or_fail,
    train_in_page,
    wait_for_app,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]
SESSIONS = 9
REPLICAS = 3
OPENING = RunConfig(sequence="0 1 0 2", mode="sequence", epochs=300)  # every page's first run
TIMING_FIELDS = ("train_seconds", "total_seconds")


def session_config(k: int, last: str = "c") -> RunConfig:
    """Session ``k``'s own question, the reference one in its own tokens: s3a→s3b, s3a→s3c."""
    return replace(OPENING, sequence=f"s{k}a s{k}b s{k}a s{k}{last}")


def expected(config: RunConfig) -> Any:
    return run(config)


def without_timing(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: without_timing(v) for k, v in value.items() if k not in TIMING_FIELDS}
    if isinstance(value, list):
        return [without_timing(v) for v in value]
    return value


@dataclass
class Session:
    k: int
    context: Any
    page: Any
    config: RunConfig

    @property
    def replica(self) -> str:
        values = [c["value"] for c in self.context.cookies() if c["name"] == COOKIE]
        assert len(values) == 1, f"session {self.k}: cookies {self.context.cookies()}"
        return values[0]

    def shown(self) -> list[str]:
        return predicted_tokens(self.page, self.config.mode)


def trainings_started(cluster: Cluster, log_dir, name: str) -> int:
    return (log_dir / f"{name}.log").read_text(errors="replace").count("training started")


def health(url: str) -> int:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


@pytest.fixture(scope="module")
def log_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("cluster")


@pytest.fixture(scope="module")
def cluster(log_dir):
    require_browser()
    if find_haproxy() is None:
        skip_or_fail("the cluster test needs haproxy (apt-get install haproxy)")
    ports = [free_port() for _ in range(REPLICAS + 1)]
    started = time.monotonic()
    with local_cluster(REPLICAS, ports[0], replica_ports=ports[1:], log_dir=log_dir) as running:
        print(f"\ncluster ready in {time.monotonic() - started:.1f} s")
        yield running
    for r in running.replicas:
        text = (log_dir / f"{r.name}.log").read_text(errors="replace")
        assert "Traceback" not in text, text[-3000:]


@pytest.fixture(scope="module")
def browser(cluster):
    with launch_browser() as b:
        yield b


@pytest.fixture(scope="module")
def sessions(cluster, browser) -> list[Session]:
    """Nine people, each in a browser context (its own cookie jar) of their own, each having
    opened the page (all at once) and trained their own sequence through the form."""
    opened = []
    for k in range(1, SESSIONS + 1):
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        page.goto(f"{cluster.url}/?{urlencode(OPENING.to_query())}", wait_until="commit")
        opened.append(Session(k, context, page, session_config(k)))
    started = time.monotonic()
    for s in opened:
        wait_for_app(s.page)
    print(f"\n{SESSIONS} pages opened in {time.monotonic() - started:.1f} s")
    started = time.monotonic()
    for s in opened:
        train_in_page(s.page, cluster.url, s.config.sequence, s.config.mode)
    print(f"{SESSIONS} sessions trained in {time.monotonic() - started:.1f} s")
    return opened


def test_nine_sessions_train_on_the_replica_their_cookie_names_and_download_whole_files(
    cluster, log_dir, sessions
):
    for s in sessions:
        want = [p["predicted"] for p in expected(s.config).run.to_json()["runs"][0]["predictions"]]
        assert s.shown() == want, f"session {s.k} on {s.replica}"
    on = Counter(s.replica for s in sessions)
    print(f"\nsessions per replica: {dict(sorted(on.items()))}")
    assert set(on) <= {r.name for r in cluster.replicas}
    assert len(on) >= 2, f"all nine sessions on one replica: {on}"
    # Each replica trained the opening configuration once (for its first session; the others
    # shared its cached run) and each of its own sessions' sequences: a session's training ran
    # on the replica its cookie names.
    for r in cluster.replicas:
        assert trainings_started(cluster, log_dir, r.name) == on[r.name] + (on[r.name] > 0), r.name

    for s in sessions:
        oracle = expected(s.config)
        data = json.loads(download(s.page, "run"))
        assert without_timing(data) == without_timing(json.loads(json.dumps(oracle.run.to_json()))), s.k
        csv = download(s.page, "states").decode("utf-8")
        assert csv == states_csv(oracle.run), s.k


def test_a_killed_replicas_sessions_recover_on_another_and_the_others_are_untouched(
    cluster, log_dir, sessions
):
    victim = Counter(s.replica for s in sessions).most_common(1)[0][0]
    moved = [s for s in sessions if s.replica == victim]
    stayed = [s for s in sessions if s.replica != victim]
    before = {s.k: (s.replica, s.shown()) for s in stayed}
    cluster.replica(victim).signal(signal.SIGKILL)
    cluster.replica(victim).popen.wait(10)
    started = time.monotonic()

    for s in moved:
        s.page.reload()
        wait_for_app(s.page)
        assert s.replica != victim and cluster.replica(s.replica).alive()
        # The page reran its own configuration (from its URL) on the new replica...
        want = [p["predicted"] for p in expected(s.config).run.to_json()["runs"][0]["predictions"]]
        assert s.shown() == want
        # ...and trains a new one there.
        count = trainings_started(cluster, log_dir, s.replica)
        s.config = session_config(s.k, last="d")
        train_in_page(s.page, cluster.url, s.config.sequence, s.config.mode)
        want = [p["predicted"] for p in expected(s.config).run.to_json()["runs"][0]["predictions"]]
        assert s.shown() == want
        assert trainings_started(cluster, log_dir, s.replica) == count + 1
    print(f"\n{len(moved)} session(s) of {victim} recovered in {time.monotonic() - started:.1f} s")

    for s in stayed:
        replica, shown = before[s.k]
        assert (s.replica, s.shown()) == (replica, shown), f"session {s.k} was disturbed"
        # The session still lives in its replica: the files its buttons fetch are there.
        assert json.loads(download(s.page, "run"))["config"]["sequence"] == s.config.sequence


def test_sigterm_drains_a_replica_new_sessions_go_elsewhere_its_training_finishes(
    cluster, log_dir, browser, sessions
):
    live = [r for r in cluster.replicas if r.alive()]
    assert len(live) == 2
    s = next(s for s in sessions if s.replica == live[0].name)
    draining, other = live
    # A training of many seconds (its own URL: a new session, kept on the same replica by the
    # cookie), then SIGTERM while it runs.
    long = RunConfig(
        sequence=" ".join(f"{'abcdefgh'[k % 8]}{k % 3}" for k in range(100)),
        framing="next",
        mode="all",
        units=64,
        # Several seconds even in the compiled loop (~17 s with another test suite on the
        # machine): still running two health checks after SIGTERM, well inside the 60 s budget.
        epochs=2000,
    )
    count = trainings_started(cluster, log_dir, draining.name)
    s.page.goto(f"{cluster.url}/?{urlencode(long.to_query())}", wait_until="commit")
    deadline = time.monotonic() + 30
    while trainings_started(cluster, log_dir, draining.name) == count:
        assert time.monotonic() < deadline, "the long training did not start"
        time.sleep(0.05)
    assert s.replica == draining.name
    record_predictions(s.page, "sequence")
    draining.signal(signal.SIGTERM)
    signalled = time.monotonic()
    time.sleep(0.3)
    assert health(draining.url) == 404  # draining: the load balancer's check sees it at once
    time.sleep(4.5)  # two health checks (inter 2s): HAProxy has marked it NOLB
    assert draining.alive(), "the replica left before its training finished"

    newcomer = browser.new_context()
    page = newcomer.new_page()
    page.goto(f"{cluster.url}/?{urlencode(session_config(99).to_query())}")
    wait_for_app(page)
    assert [c["value"] for c in newcomer.cookies() if c["name"] == COOKIE] == [other.name]
    newcomer.close()

    # The running training finished on the draining replica, and its page got the result over
    # the connection it had: before that connection dropped, not from a rerun elsewhere.
    s.config = long
    want = {
        r["mode"]: [p["predicted"] for p in r["predictions"]] for r in expected(long).run.to_json()["runs"]
    }
    deadline = time.monotonic() + 90
    while ("predicted", want["sequence"]) not in recorded(s.page):
        assert time.monotonic() < deadline, f"no result on the page: {recorded(s.page)}"
        time.sleep(0.2)
    events = recorded(s.page)
    shown = events.index(("predicted", want["sequence"]))
    assert not [e for e in events[:shown] if e[0] == "connection"], events
    draining.popen.wait(30)
    log = (log_dir / f"{draining.name}.log").read_text(errors="replace")
    assert "training finished" in log.split("SIGTERM: draining")[1]
    assert "drained: no page run left" in log
    print(f"\n{draining.name} drained and exited {time.monotonic() - signalled:.1f} s after SIGTERM")
