"""Graceful shutdown of one server process, with no UI code: which trainings are still in
flight, whether the process is draining, and how long it may wait for them.

A replica behind a load balancer gets SIGTERM when it is stopped, scaled down or replaced. It
then drains: it says so on its health check (so the load balancer sends new sessions elsewhere),
lets the trainings it is running or queueing finish, or stop at the bound, and exits. The app
registers its training gates here (``watch``); the launcher (``serve.py``) reads ``busy`` and
``draining``. The two meet in one ``Drain`` per process, ``DRAIN``, because Streamlit runs the
page and the server's signal handling in different places that share nothing else.
"""

from __future__ import annotations

import os
import threading
import time
import weakref
from collections.abc import Mapping
from typing import Protocol, TypeVar

from seqviz.limits import limits_from_env

SLACK_SECONDS = 5.0  # past the time budget: a training stops at its budget, between two chunks
SETTLE_SECONDS = 3.0  # idle this long before stopping: the last page is sent, the balancer has looked


class Gate(Protocol):
    """What a drain reads of a training gate (``seqviz.serving.TrainingGate``)."""

    @property
    def running(self) -> int: ...

    @property
    def waiting(self) -> int: ...


G = TypeVar("G", bound=Gate)


class Drain:
    """The trainings in flight in one process and whether it has begun to drain."""

    def __init__(self) -> None:
        self._gates: weakref.WeakSet = weakref.WeakSet()
        self._began: float | None = None
        self._lock = threading.Lock()

    def watch(self, gate: G) -> G:
        """Count ``gate``'s running and queued trainings as this process's; returns ``gate``."""
        with self._lock:
            self._gates.add(gate)
        return gate

    @property
    def busy(self) -> int:
        """Trainings running or waiting for a slot, over every watched gate."""
        with self._lock:
            gates = list(self._gates)
        return sum(g.running + g.waiting for g in gates)

    @property
    def draining(self) -> bool:
        return self._began is not None

    def begin(self) -> bool:
        """Start draining; False if it had already begun."""
        with self._lock:
            if self._began is not None:
                return False
            self._began = time.monotonic()
            return True

    def wait_idle(self, bound: float, settle: float = SETTLE_SECONDS, poll: float = 0.1) -> bool:
        """Block until nothing has been busy for ``settle`` seconds, or ``bound`` seconds after
        ``begin``, whichever comes first.

        The settle time lets a finished run's page reach its browser before the server stops,
        and lets the load balancer's next health check see the drain.

        Returns:
            True if the process became idle, False if the bound ran out first.
        """
        began = self._began if self._began is not None else time.monotonic()
        idle_since: float | None = None
        while True:
            now = time.monotonic()
            if self.busy:
                idle_since = None
            elif idle_since is None:
                idle_since = now
            if idle_since is not None and now - idle_since >= settle:
                return True
            if now - began >= bound:
                return idle_since is not None
            time.sleep(poll)


DRAIN = Drain()  # this process's drain: the app registers gates, the launcher drains


def watch(gate: G) -> G:
    """Register ``gate`` with this process's drain; returns it (``return watch(TrainingGate(n))``)."""
    return DRAIN.watch(gate)


def drain_seconds(env: Mapping[str, str] | None = None) -> float:
    """How long a draining server waits for its trainings: ``SEQVIZ_DRAIN_SECONDS``, or by
    default the time budget of one run plus a little, by when a running training has stopped
    on its own. Like the limits, a malformed or negative value falls back to the default.
    """
    env = os.environ if env is None else env
    try:
        seconds = float(env.get("SEQVIZ_DRAIN_SECONDS", ""))
    except ValueError:
        seconds = -1.0
    return seconds if seconds >= 0 else limits_from_env(env).time_budget + SLACK_SECONDS
