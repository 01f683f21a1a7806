"""Server-side plumbing for many users on one process, with no UI code: a bounded cache of
finished runs, and a gate that lets only a few trainings run at once, first come first served.

Both are plain thread-safe objects; the app holds one of each for the whole server.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from typing import Any


class ResultCache:
    """Finished runs by configuration, least recently used dropped first.

    ``get_or_compute`` holds a per-key lock while computing, so one configuration never
    trains twice at once; a computation that raises stores nothing (a stopped or abandoned
    run is never cached).
    """

    def __init__(self, max_entries: int = 32, max_weight: float = 5e7):
        self.max_entries, self.max_weight = max_entries, max_weight
        self._items: OrderedDict[Hashable, tuple[Any, float]] = OrderedDict()
        self._lock = threading.Lock()
        self._key_locks: dict[Hashable, threading.Lock] = {}

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: Hashable) -> Any | None:
        with self._lock:
            if key not in self._items:
                return None
            self._items.move_to_end(key)
            return self._items[key][0]

    def put(self, key: Hashable, value: Any, weight: float = 1.0) -> None:
        with self._lock:
            self._items[key] = (value, weight)
            self._items.move_to_end(key)
            while len(self._items) > self.max_entries or (
                len(self._items) > 1 and sum(w for _, w in self._items.values()) > self.max_weight
            ):
                self._items.popitem(last=False)

    def _key_lock(self, key: Hashable) -> threading.Lock:
        with self._lock:
            return self._key_locks.setdefault(key, threading.Lock())

    def get_or_compute(
        self,
        key: Hashable,
        compute: Callable[[], tuple[Any, float] | None],
        waiting: Callable[[], None] | None = None,
    ) -> tuple[Any | None, bool]:
        """The cached value, or ``compute()``'s, stored unless it returned None.

        Args:
            compute: returns (value, weight) to cache, or None for a result not to keep.
            waiting: called every 0.2 s while another thread computes the same key; it may
                raise to give up waiting.
        Returns:
            (value, whether it came from the cache).
        """
        cached = self.get(key)
        if cached is not None:
            return cached, True
        lock = self._key_lock(key)
        while not lock.acquire(timeout=0.2):
            if waiting is not None:
                waiting()
        try:
            cached = self.get(key)
            if cached is not None:
                return cached, True
            computed = compute()
            if computed is None:
                return None, False
            value, weight = computed
            self.put(key, value, weight)
            return value, False
        finally:
            lock.release()
            with self._lock:
                if not lock.locked():
                    self._key_locks.pop(key, None)


class TrainingGate:
    """At most ``limit`` holders at once; the others queue in arrival order."""

    def __init__(self, limit: int):
        self.limit = max(1, limit)
        self._condition = threading.Condition()
        self._queue: list[int] = []
        self._running = 0
        self.peak = 0  # the most holders seen at once, for load tests
        self._tickets = itertools.count()

    @property
    def running(self) -> int:
        return self._running

    @property
    def waiting(self) -> int:
        return len(self._queue)

    @contextmanager
    def slot(self, on_wait: Callable[[int], None] | None = None, poll: float = 0.25) -> Iterator[None]:
        """Hold one of the slots for the ``with`` body.

        Args:
            on_wait: called with the 1-based queue position while waiting; it may raise
                (a user who left), which gives the place up.
        """
        ticket = next(self._tickets)
        with self._condition:
            self._queue.append(ticket)
        try:
            while True:
                with self._condition:
                    position = self._queue.index(ticket)
                    if position == 0 and self._running < self.limit:
                        self._queue.pop(0)
                        self._running += 1
                        self.peak = max(self.peak, self._running)
                        self._condition.notify_all()
                        break
                    if on_wait is None:
                        self._condition.wait(poll)
                        continue
                if on_wait is not None:
                    on_wait(position + 1)
                    with self._condition:
                        self._condition.wait(poll)
        except BaseException:
            with self._condition:
                if ticket in self._queue:
                    self._queue.remove(ticket)
                    self._condition.notify_all()
            raise
        try:
            yield
        finally:
            with self._condition:
                self._running -= 1
                self._condition.notify_all()


class Deadline:
    """Seconds left of a time budget."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.started = time.monotonic()

    @property
    def expired(self) -> bool:
        return time.monotonic() - self.started > self.seconds
