"""One replica against two behind HAProxy: 12 people pressing Train over and over, in one run.

Both setups run ``serve.py`` replicas under the limits of a shared server (``SEQVIZ_SHARED=1``:
one training at a time per replica), started by ``deploy/cluster.py`` as ``make cluster`` does:

1. 1 replica: the browsers talk to it directly;
2. 2 replicas: the browsers talk to HAProxy (``deploy/haproxy.cfg``), which keeps each one on a
   replica by its cookie.

Each of the ``--users`` people has a browser context of their own (Debian's Chromium, as in
``load_users.py``); for ``--seconds`` they type a configuration no one else has (mode all,
``--epochs`` epochs), press Train and wait for every chart, again and again. Reports runs per
minute (finished runs over the time from the first click to the last chart) and p50/p95 seconds
from the Train click to every chart drawn, the sessions per replica, and each replica's memory.

    .venv/bin/python benchmarks/bench_cluster.py [--users 12] [--seconds 60] [--epochs 300]

The machine's cores are shared by the browsers and the servers, as on one small host.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from load_users import Session, fill_form, open_session, percentile, train, user_config  # noqa: E402

from deploy.cluster import COOKIE, local_cluster  # noqa: E402
from tests.e2e import CHROMIUM, CHROMIUM_ARGS, free_port, rss_mb  # noqa: E402

SHARED = {"SEQVIZ_SHARED": "1"}


@dataclass
class Result:
    setup: str
    runs: int
    minutes: float
    seconds: list[float]
    per_replica: dict[str, int]
    rss: dict[str, float]

    @property
    def per_minute(self) -> float:
        return self.runs / self.minutes


async def keep_training(session: Session, uids, epochs: int, until: float) -> None:
    while time.monotonic() < until:
        config = user_config(next(uids), epochs)
        await fill_form(session.page, config)
        await train(session, config, timeout=600)


async def load(browser, url: str, users: int, seconds: float, epochs: int, uids) -> tuple[list, float]:
    sessions = await asyncio.gather(*(open_session(browser, url, f"user {k}") for k in range(users)))
    started = time.monotonic()
    await asyncio.gather(*(keep_training(s, uids, epochs, started + seconds) for s in sessions))
    return sessions, time.monotonic() - started


async def measure(args: argparse.Namespace, replicas: int, log_dir: Path, uids) -> Result:
    from playwright.async_api import async_playwright

    ports = [free_port() for _ in range(replicas + 1)]
    with local_cluster(replicas, ports[0], replica_ports=ports[1:], env=SHARED, log_dir=log_dir) as cluster:
        url = cluster.url if replicas > 1 else cluster.replicas[0].url
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            try:
                sessions, elapsed = await load(browser, url, args.users, args.seconds, args.epochs, uids)
                cookies = [await s.context.cookies() for s in sessions]
                for s in sessions:
                    await s.context.close()
            finally:
                await browser.close()
        rss = {r.name: rss_mb(r.popen.pid) for r in cluster.replicas}
        first = cluster.replicas[0].name  # with one replica, no cookie
        names = [next((c["value"] for c in jar if c["name"] == COOKIE), first) for jar in cookies]
    seconds = [t for s in sessions for t in s.seconds]
    setup = "1 replica" if replicas == 1 else f"{replicas} replicas + haproxy"
    return Result(setup, len(seconds), elapsed / 60, seconds, dict(Counter(names)), rss)


async def main_async(args: argparse.Namespace) -> list[Result]:
    uids = itertools.count(1)
    results = []
    with tempfile.TemporaryDirectory(prefix="seqviz_cluster_") as scratch:
        for replicas in (1, 2):
            log_dir = Path(args.log_dir or scratch) / f"r{replicas}"
            log_dir.mkdir(parents=True, exist_ok=True)
            print(f"{replicas} replica(s): {args.users} users for {args.seconds:.0f} s…", flush=True)
            results.append(await measure(args, replicas, log_dir, uids))
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=12)
    parser.add_argument("--seconds", type=float, default=60, help="how long the users keep training")
    parser.add_argument("--epochs", type=int, default=300)
    parser.add_argument("--log-dir", help="keep the replicas' and haproxy's logs here")
    parser.add_argument("--time-limit", type=float, default=900, help="seconds before giving up")
    args = parser.parse_args()
    try:
        results = asyncio.run(asyncio.wait_for(main_async(args), args.time_limit))
    except TimeoutError:
        print(f"FAILED: not finished within {args.time_limit:.0f} s")
        return 1
    print()
    print(
        f"{args.users} users pressing Train again and again for {args.seconds:.0f} s; mode all, "
        f"{args.epochs} epochs, a new configuration each time; SEQVIZ_SHARED=1 (one training at a "
        "time per replica)."
    )
    print(f"{'setup':<24} {'runs':>5} {'runs/min':>9} {'p50 s':>6} {'p95 s':>6}  sessions / RSS per replica")
    for r in results:
        spread = ", ".join(f"{n}: {r.per_replica.get(n, 0)} / {mb:.0f} MB" for n, mb in r.rss.items())
        print(
            f"{r.setup:<24} {r.runs:>5} {r.per_minute:>9.1f} {percentile(r.seconds, 0.5):>6.2f}"
            f" {percentile(r.seconds, 0.95):>6.2f}  {spread}"
        )
    ok = all(r.runs for r in results) and len(results[1].per_replica) == 2
    print("OK" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
