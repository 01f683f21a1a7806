"""The server's shared cache and training gate under real threads."""

import threading
import time

import pytest

from seqviz.serving import Deadline, ResultCache, TrainingGate


def test_one_configuration_is_computed_once_however_many_ask_at_once():
    cache, calls, results = ResultCache(), [], []

    def compute():
        calls.append(1)
        time.sleep(0.3)
        return "result", 1.0

    threads = [
        threading.Thread(target=lambda: results.append(cache.get_or_compute("key", compute)))
        for _ in range(5)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1
    assert sorted(r[1] for r in results) == [False, True, True, True, True]
    assert {r[0] for r in results} == {"result"}


def test_failed_or_declined_computations_are_not_cached():
    cache = ResultCache()
    with pytest.raises(RuntimeError):
        cache.get_or_compute("k", lambda: (_ for _ in ()).throw(RuntimeError("abandoned")))
    assert cache.get("k") is None
    assert cache.get_or_compute("k", lambda: None) == (None, False)
    assert len(cache) == 0
    assert cache.get_or_compute("k", lambda: ("v", 1.0)) == ("v", False)


def test_cache_drops_least_recently_used_by_count_and_weight():
    cache = ResultCache(max_entries=3, max_weight=10)
    for key in "abc":
        cache.put(key, key, 1)
    cache.get("a")
    cache.put("d", "d", 1)
    assert cache.get("b") is None and cache.get("a") == "a"
    cache.put("heavy", "h", 9.5)
    assert len(cache) == 1 and cache.get("heavy") == "h"


def test_gate_never_admits_more_than_its_limit_and_serves_in_order():
    gate, order, active, peak = TrainingGate(2), [], [0], [0]
    lock = threading.Lock()

    def work(k):
        with gate.slot(poll=0.01):
            with lock:
                active[0] += 1
                peak[0] = max(peak[0], active[0])
                order.append(k)
            time.sleep(0.05)
            with lock:
                active[0] -= 1

    threads = []
    for k in range(8):
        threads.append(threading.Thread(target=work, args=(k,)))
        threads[-1].start()
        time.sleep(0.005)
    for t in threads:
        t.join()
    assert peak[0] == 2 == gate.peak
    assert order == list(range(8))
    assert gate.running == 0 and gate.waiting == 0


def test_a_queued_user_who_leaves_gives_up_the_place():
    gate = TrainingGate(1)
    positions, released = [], threading.Event()

    def holder():
        with gate.slot():
            released.wait(5)

    class Left(Exception):
        pass

    def leaver(position):
        positions.append(position)
        if len(positions) >= 3:
            raise Left

    first = threading.Thread(target=holder)
    first.start()
    time.sleep(0.05)
    with pytest.raises(Left), gate.slot(on_wait=leaver, poll=0.01):
        pass
    assert positions[:3] == [1, 1, 1] and gate.waiting == 0
    released.set()
    first.join()
    with gate.slot():
        assert gate.running == 1


def test_deadline():
    assert not Deadline(10).expired
    assert Deadline(-1).expired
