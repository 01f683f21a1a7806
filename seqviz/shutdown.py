"""Graceful shutdown of one server process, with no UI code: how many page runs are in
flight, whether the process is draining, and how long it may wait for them.

A replica behind a load balancer gets SIGTERM when it is stopped, scaled down or replaced. It
then drains: it says so on its health check (so the load balancer sends new sessions elsewhere),
lets the page runs in flight (a training, queued or running, is part of its page's run) finish,
or stop at the bound, and exits. The app wraps each run of its page in ``DRAIN.page_run()``;
the launcher (``serve.py``) reads ``busy`` and ``draining``. The two meet in one ``Drain`` per
process because Streamlit runs the page and the server's signal handling in different threads
that share nothing else.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from seqviz.limits import limits_from_env

SLACK_SECONDS = 5.0  # past the time budget: a training stops at its budget, between two chunks
SETTLE_SECONDS = 2.0  # idle this long before stopping: the last run's messages reach the browser


class Drain:
    """The page runs in flight in one process and whether it has begun to drain."""

    def __init__(self) -> None:
        self._runs = 0
        self._began: float | None = None
        self._lock = threading.Lock()

    @contextmanager
    def page_run(self) -> Iterator[None]:
        """Count the ``with`` body (one run of the page) as in flight."""
        with self._lock:
            self._runs += 1
        try:
            yield
        finally:
            with self._lock:
                self._runs -= 1

    @property
    def busy(self) -> int:
        """Page runs in flight."""
        return self._runs

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

    def wait_idle(self, bound: float, settle: float = SETTLE_SECONDS, poll: float = 0.05) -> bool:
        """Block until no page run has been in flight for ``settle`` seconds, or ``bound`` seconds
        after ``begin``, whichever comes first.

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


DRAIN = Drain()  # this process's drain: the app counts its page runs, the launcher drains


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
