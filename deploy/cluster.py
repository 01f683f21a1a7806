"""Several seqviz replicas behind HAProxy on this machine, without containers (``make cluster``).

    .venv/bin/python deploy/cluster.py --replicas 3 --port 8500

Starts ``--replicas`` servers (``streamlit run serve.py``) on 127.0.0.1, ports PORT+1 to
PORT+REPLICAS, and haproxy (on PATH, or Debian's /usr/sbin/haproxy) with ``deploy/haproxy.cfg``
listening on PORT. Replica k is named ``seqviz<k>``, the value of the ``SEQVIZ_REPLICA`` cookie
that keeps a browser on it. Prints the load balancer's URL once a page loads through it, then
runs until SIGINT or SIGTERM: SIGINT (Ctrl-C) stops the replicas at once, SIGTERM lets them drain
(see ``serve.py``) first; haproxy stops last. A second signal kills what is left.

``tests/test_cluster.py`` and ``benchmarks/bench_cluster.py`` start their clusters with
``local_cluster`` from here, so they run what ``make cluster`` runs.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from seqviz.shutdown import drain_seconds  # noqa: E402

HAPROXY_CFG = ROOT / "deploy" / "haproxy.cfg"
MAX_REPLICAS = 8  # server lines in haproxy.cfg
COOKIE = "SEQVIZ_REPLICA"
STOP_WAIT = 10.0  # seconds past a replica's drain bound before it is killed


def find_haproxy() -> str | None:
    """haproxy on PATH, or Debian's, which is not on a normal user's PATH."""
    found = shutil.which("haproxy")
    if found:
        return found
    return "/usr/sbin/haproxy" if Path("/usr/sbin/haproxy").exists() else None


@dataclass
class Process:
    """One process of the cluster: a replica ``seqviz<k>`` or ``haproxy``."""

    name: str
    port: int
    popen: subprocess.Popen

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def alive(self) -> bool:
        return self.popen.poll() is None

    def signal(self, signum: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signum)


@dataclass
class Cluster:
    url: str  # the load balancer's
    replicas: list[Process]
    haproxy: Process
    stop_signal: int = signal.SIGTERM  # what the replicas get on leaving; may be changed before

    def replica(self, name: str) -> Process:
        return next(r for r in self.replicas if r.name == name)


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def _wait_until(check, processes: list[Process], what: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        for p in processes:
            if not p.alive():
                raise RuntimeError(f"{p.name} exited with status {p.popen.returncode} before {what}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not within {timeout:.0f} s")
        time.sleep(0.2)


def _prefix_lines(stream: IO[bytes], name: str) -> None:
    for line in iter(stream.readline, b""):
        sys.stdout.write(f"{name:>8} | {line.decode(errors='replace')}")
        sys.stdout.flush()


def _start(name: str, port: int, argv: list[str], env: Mapping[str, str], log_dir: Path | None) -> Process:
    out: IO | int = subprocess.PIPE
    if log_dir is not None:
        out = open(log_dir / f"{name}.log", "wb")  # noqa: SIM115 (the child keeps it open)
    popen = subprocess.Popen(
        argv, cwd=ROOT, env=dict(env), stdout=out, stderr=subprocess.STDOUT, start_new_session=True
    )
    if log_dir is None:
        threading.Thread(target=_prefix_lines, args=(popen.stdout, name), daemon=True).start()
    else:
        out.close()
    return Process(name, port, popen)


def haproxy_env(bind: str, servers: list[str]) -> dict[str, str]:
    """The variables haproxy.cfg reads: where to listen and each replica's host:port."""
    if not 1 <= len(servers) <= MAX_REPLICAS:
        raise ValueError(f"haproxy.cfg has room for 1 to {MAX_REPLICAS} replicas, not {len(servers)}")
    return {"SEQVIZ_LB_BIND": bind, **{f"SEQVIZ_SERVER_{k}": s for k, s in enumerate(servers, start=1)}}


def stop_all(replicas: list[Process], haproxy: Process | None, signum: int, bound: float) -> None:
    """Replicas first (``signum``: SIGTERM drains within ``bound`` s, SIGINT stops at once),
    then haproxy; whatever has not exited in time is killed."""
    for r in replicas:
        r.signal(signum)
    deadline = time.monotonic() + (bound + STOP_WAIT if signum == signal.SIGTERM else STOP_WAIT)
    for r in replicas:
        try:
            r.popen.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            r.signal(signal.SIGKILL)
            r.popen.wait()
    if haproxy is not None:
        haproxy.signal(signal.SIGTERM)
        try:
            haproxy.popen.wait(5)
        except subprocess.TimeoutExpired:
            haproxy.signal(signal.SIGKILL)
            haproxy.popen.wait()


@contextlib.contextmanager
def local_cluster(
    replicas: int = 3,
    port: int = 8500,
    replica_ports: list[int] | None = None,
    env: Mapping[str, str] | None = None,
    log_dir: Path | None = None,
    host: str = "127.0.0.1",
    stop_signal: int = signal.SIGTERM,
    timeout: float = 120.0,
) -> Iterator[Cluster]:
    """``replicas`` servers and haproxy in front of them; yields once a page loads through it.

    Args:
        replica_ports: the replicas' ports (default: port+1, port+2, ...).
        env: added to this process's environment for the replicas (e.g. ``SEQVIZ_SHARED``).
        log_dir: where ``seqviz<k>.log`` and ``haproxy.log`` go; None prints them, prefixed.
        host: the address the load balancer listens on (replicas always listen on 127.0.0.1).
        stop_signal: what the replicas get on leaving: SIGTERM drains, SIGINT stops at once
            (``Cluster.stop_signal`` may change it meanwhile; a failed start uses SIGINT).
    """
    haproxy_bin = find_haproxy()
    if haproxy_bin is None:
        raise FileNotFoundError("haproxy is not installed (apt-get install haproxy)")
    ports = replica_ports or [port + k for k in range(1, replicas + 1)]
    if len(ports) != replicas:
        raise ValueError("one port per replica")
    lb_env = haproxy_env(f"{host}:{port}", [f"127.0.0.1:{p}" for p in ports])
    replica_env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "SEQVIZ_LOG_LEVEL": "INFO", **(env or {})}
    started: list[Process] = []
    haproxy: Process | None = None
    cluster: Cluster | None = None
    try:
        for k, p in enumerate(ports, start=1):
            argv = [sys.executable, "-m", "streamlit", "run", "serve.py", "--server.port", str(p)]
            argv += ["--server.address", "127.0.0.1", "--server.headless", "true"]
            started.append(_start(f"seqviz{k}", p, argv, replica_env, log_dir))
        for r in started:
            _wait_until(lambda r=r: _answers(f"{r.url}/_stcore/health"), [r], f"{r.name} healthy", timeout)
        argv = [haproxy_bin, "-f", str(HAPROXY_CFG), "-db"]
        haproxy = _start("haproxy", port, argv, {**os.environ, **lb_env}, log_dir)
        local = "127.0.0.1" if host in ("0.0.0.0", "") else host
        cluster = Cluster(f"http://{local}:{port}", started, haproxy, stop_signal)
        _wait_until(lambda: _answers(f"{cluster.url}/_stcore/health"), [haproxy], "haproxy ready", timeout)
        yield cluster
    finally:
        signum = cluster.stop_signal if cluster is not None else signal.SIGINT
        stop_all(started, haproxy, signum, drain_seconds(replica_env))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicas", type=int, default=3, help=f"1 to {MAX_REPLICAS}")
    parser.add_argument("--port", type=int, default=8500, help="the load balancer's; replicas take the next")
    parser.add_argument("--host", default="127.0.0.1", help="where the load balancer listens")
    args = parser.parse_args()
    if not 1 <= args.replicas <= MAX_REPLICAS:
        parser.error(f"--replicas must be 1 to {MAX_REPLICAS}")
    received: list[int] = []

    def on_signal(signum: int, _frame) -> None:
        if received:  # a second signal: no more waiting
            raise KeyboardInterrupt
        received.append(signum)

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        with local_cluster(args.replicas, args.port, host=args.host) as cluster:
            names = ", ".join(f"{r.name} {r.url}" for r in cluster.replicas)
            print(f"\nseqviz: {cluster.url}  ({names}; behind haproxy, cookie {COOKIE})", flush=True)
            print("Ctrl-C stops everything; SIGTERM lets the replicas drain first.", flush=True)
            while not received:
                if not cluster.haproxy.alive():
                    print("haproxy exited; stopping", file=sys.stderr)
                    cluster.stop_signal = signal.SIGINT
                    return 1
                time.sleep(0.2)
            cluster.stop_signal = received[0]
            print(f"\nstopping ({signal.Signals(received[0]).name})…", flush=True)
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
