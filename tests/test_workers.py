"""The worker pool (``seqviz.workers``): a run trained in a worker process is the run trained
here, a stop request is honoured within a fraction of a second, errors and the time budget
come back as they would in-process, and a worker that dies is replaced."""

import os
import signal
import time

import pytest

from seqviz.config import RunConfig
from seqviz.engine import run
from seqviz.errors import SeqvizError
from seqviz.limits import Limits
from seqviz.workers import STOP_GRACE, WorkerDied, WorkerPool

TIMING = ("train_seconds", "total_seconds")
# Minutes of training: only ever stopped here.
LONG = RunConfig(sequence=" ".join(str(k % 17) for k in range(60)), framing="next", mode="all", epochs=5000)


class Left(Exception):
    """What Streamlit raises in a script whose visitor pressed Train again or left."""


def without_timing(value):
    if isinstance(value, dict):
        return {k: without_timing(v) for k, v in value.items() if k not in TIMING}
    if isinstance(value, list):
        return [without_timing(v) for v in value]
    return value


@pytest.fixture(scope="module")
def pool():
    workers = WorkerPool(2)
    yield workers
    workers.close()


def pids(pool):
    return [w.process.pid for w in pool._workers]


def test_a_run_in_a_worker_is_the_run_in_process(pool):
    config = RunConfig(mode="all", epochs=40, snapshots=4, seed=3)
    seen = []
    pooled = pool.run(config, Limits(), progress=lambda *args: seen.append(args))
    here = run(config)
    assert without_timing(pooled.run.to_json()) == without_timing(here.run.to_json())
    assert pooled.feeds.keys() == here.feeds.keys() and pooled.weights.keys() == here.weights.keys()
    assert seen and seen[-1][0] == "window" and seen[-1][1] == 40  # the last mode's last epoch
    # Nor did the worker need TensorFlow: 20 units train in NumPy (the worker reports its imports).
    assert not any(w.heavy for w in pool._workers)


def test_a_run_continued_in_a_worker_starts_from_the_weights_it_is_given(pool):
    first = run(RunConfig(mode="all", epochs=20, seed=2))
    more = RunConfig(mode="all", epochs=15, seed=2)
    pooled = pool.run(more, Limits(), start=first.weights)
    here = run(more, start=first.weights)
    assert without_timing(pooled.run.to_json()) == without_timing(here.run.to_json())
    fresh = run(more)  # the same options from the seed's weights: another run
    assert pooled.run.runs[0].loss != fresh.run.runs[0].loss


def test_a_stop_request_is_honoured_within_a_fraction_of_a_second(pool):
    before = pids(pool)
    started, stopped, progress = time.monotonic(), [], []

    def on_wait():
        if progress and not stopped:
            stopped.append(time.monotonic())
        if stopped:
            raise Left

    with pytest.raises(Left):
        pool.run(LONG, Limits(), progress=lambda *args: progress.append(args), on_wait=on_wait)
    took = time.monotonic() - stopped[0]
    print(f"\nstop request → run() returned in {took:.2f} s (after {stopped[0] - started:.2f} s of training)")
    assert took < STOP_GRACE
    assert pids(pool) == before  # the worker answered the request: it was neither killed nor replaced
    again = pool.run(RunConfig(epochs=5), Limits())  # and it is free for the next run
    assert not again.stopped


def test_the_time_budget_stops_the_run_in_its_worker(pool):
    started = time.monotonic()
    result = pool.run(LONG, Limits(time_budget=0.5))
    assert result.stopped and result.run.stopped
    assert time.monotonic() - started < 5
    assert len(result.run.runs[-1].loss) < LONG.epochs


def test_a_bad_configuration_raises_the_engines_error_and_keeps_the_worker(pool):
    before = pids(pool)
    with pytest.raises(SeqvizError, match="even number of tokens"):
        pool.run(RunConfig(sequence="0 1 0"), Limits())
    assert pids(pool) == before


def test_a_worker_that_dies_mid_run_is_replaced(pool):
    def kill_worker():
        busy = next(w for w in pool._workers if w.busy)
        os.kill(busy.process.pid, signal.SIGKILL)

    with pytest.raises(WorkerDied):
        pool.run(LONG, Limits(), progress=lambda *args: kill_worker())
    assert len(pool._workers) == 2 and all(w.process.poll() is None for w in pool._workers)
    assert not pool.run(RunConfig(epochs=5), Limits()).stopped


def test_a_worker_that_does_not_answer_a_stop_is_killed_and_replaced(pool):
    before = set(pids(pool))

    def freeze_then_leave():
        busy = next(w for w in pool._workers if w.busy)
        os.kill(busy.process.pid, signal.SIGSTOP)  # it can no longer answer
        raise Left

    started = time.monotonic()
    with pytest.raises(Left):
        pool.run(LONG, Limits(), progress=lambda *args: freeze_then_leave())
    assert time.monotonic() - started < STOP_GRACE + 3
    assert len(set(pids(pool)) - before) == 1  # one new worker in place of the frozen one
    assert not pool.run(RunConfig(epochs=5), Limits()).stopped


def test_a_worker_that_died_while_idle_is_replaced_before_it_is_used(pool):
    for worker in pool._workers:
        worker.process.kill()
        worker.process.wait()
    assert not pool.run(RunConfig(epochs=5), Limits()).stopped
    assert all(w.process.poll() is None for w in pool._workers)
