"""Training off the server's GIL: a pool of worker processes that run ``seqviz.engine.run``.

One Python process serves every session's script under one GIL, so a training in that process
slows every other page. A :class:`WorkerPool` keeps a few processes (one per core by default),
each ``python -m seqviz.workers`` reading jobs from a socket pair; a job is a configuration and
its limits, the answers are pickled messages: progress, then the :class:`~seqviz.engine.RunResult`
or the error. The caller's thread waits for those, so it can still be interrupted (Streamlit's
rerun or a closed tab), and then asks the worker to stop; a worker that does not answer in time
is killed and replaced.

A worker imports NumPy and the engine when it starts, TensorFlow only when a run needs it
(``seqviz.trainer.prepare``), and runs with the same time budget as before: it starts after
``prepare``. Nothing here imports Streamlit.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from seqviz.config import RunConfig
from seqviz.limits import Limits
from seqviz.serving import Deadline

SEND_EVERY = 0.05  # seconds between progress messages from a worker
STOP_GRACE = 1.0  # seconds a worker has to answer a stop request before it is killed
POLL = 0.1  # seconds between the waiting caller's ``on_wait`` calls

# (mode, epochs done, loss), in the caller's thread; the worker decides when to stop.
Progress = Callable[[str, int, float], None]


class WorkerDied(RuntimeError):
    """A worker process ended in the middle of a job (killed, or out of memory)."""


def default_size() -> int:
    """One worker per core this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


@dataclass(eq=False)
class _Worker:
    process: subprocess.Popen[bytes]
    conn: Connection
    busy: bool = False
    heavy: bool = False  # has imported TensorFlow
    runs: int = field(default=0)

    def close(self, kill: bool = False) -> None:
        with contextlib.suppress(OSError):
            self.conn.close()
        if kill:
            self.process.kill()
        try:
            self.process.wait(2)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _spawn() -> _Worker:
    ours, theirs = socket.socketpair()
    root = str(Path(__file__).resolve().parent.parent)
    path = os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH", "")) if p)
    process = subprocess.Popen(
        [sys.executable, "-m", "seqviz.workers", str(theirs.fileno())],
        pass_fds=(theirs.fileno(),),
        env={**os.environ, "PYTHONPATH": path},
        stdin=subprocess.DEVNULL,
    )
    theirs.close()
    return _Worker(process, Connection(ours.detach()))


class WorkerPool:
    """``size`` worker processes; :meth:`run` trains one configuration in an idle one."""

    def __init__(self, size: int | None = None):
        self.size = size or default_size()
        self._condition = threading.Condition()
        self._workers = [_spawn() for _ in range(self.size)]
        self._closed = False

    def _lease(self, heavy: bool, on_wait: Callable[[], None] | None) -> _Worker:
        """An idle worker, one that already has TensorFlow when ``heavy`` (and one without
        otherwise, to keep those for big models); waits, calling ``on_wait``, while all are busy."""
        while True:
            with self._condition:
                if self._closed:
                    raise RuntimeError("the worker pool is closed")
                for k, worker in enumerate(self._workers):
                    if not worker.busy and worker.process.poll() is not None:  # died while idle
                        worker.close()
                        self._workers[k] = _spawn()
                idle = [w for w in self._workers if not w.busy]
                if idle:
                    worker = min(idle, key=lambda w: (w.heavy != heavy, w.runs))
                    worker.busy = True
                    return worker
                self._condition.wait(POLL)
            if on_wait is not None:
                on_wait()

    def _release(self, worker: _Worker, healthy: bool) -> None:
        with self._condition:
            if not healthy:
                worker.close(kill=True)
                index = self._workers.index(worker)
                self._workers[index] = _spawn() if not self._closed else worker
            worker.busy = False
            self._condition.notify_all()

    def run(
        self,
        config: RunConfig,
        limits: Limits,
        progress: Progress | None = None,
        on_wait: Callable[[], None] | None = None,
        on_start: Callable[[], None] | None = None,
        start: Mapping[str, Any] | None = None,
    ) -> Any:
        """Train ``config`` in a worker and return its ``RunResult``.

        Args:
            start: per mode, the weights training starts from (``engine.run``'s ``start``).
            progress: called with each progress message the worker sends.
            on_wait: called at least every ``POLL`` seconds while waiting for a worker or for
                its next message; it may raise (a person who left), which stops the worker's
                training within ``STOP_GRACE`` seconds (or kills the worker) and re-raises.
            on_start: called when the worker starts training, after any TensorFlow import.
        Raises:
            SeqvizError: the configuration is invalid (raised in the worker, re-raised here).
            WorkerDied: the worker ended mid-run; it has been replaced.
        """
        heavy = config.units > _numpy_max_units()
        worker = self._lease(heavy, on_wait)
        healthy = False
        try:
            worker.conn.send(("run", config, limits, None if start is None else dict(start)))
            finished, value = self._wait(worker, progress, on_wait, on_start)
            healthy = True
        except BaseException:
            healthy = _stop(worker)
            raise
        finally:
            self._release(worker, healthy)
        if not finished:
            raise value
        return value

    def _wait(
        self,
        worker: _Worker,
        progress: Progress | None,
        on_wait: Callable[[], None] | None,
        on_start: Callable[[], None] | None,
    ) -> tuple[bool, Any]:
        """(True, the result) or (False, the exception the job raised), once the job is over."""
        waited = time.monotonic()
        while True:
            ready = worker.conn.poll(POLL)
            if time.monotonic() - waited >= POLL:  # also while messages keep arriving
                if worker.process.poll() is not None:
                    raise WorkerDied(f"a training worker exited with status {worker.process.returncode}")
                if on_wait is not None:
                    on_wait()
                waited = time.monotonic()
            if not ready:
                continue
            try:
                message = worker.conn.recv()
            except (EOFError, OSError) as error:
                raise WorkerDied("a training worker ended mid-run") from error
            kind = message[0]
            if kind == "progress" and progress is not None:
                progress(*message[1:])
            elif kind == "started" and on_start is not None:
                on_start()
            elif kind in ("done", "error"):
                worker.heavy, worker.runs = message[2], worker.runs + 1
                return kind == "done", message[1]

    def close(self) -> None:
        with self._condition:
            self._closed = True
            for worker in self._workers:
                worker.close()


def _stop(worker: _Worker) -> bool:
    """Ask ``worker`` to stop its run and wait for it to finish; False if it did not in time."""
    deadline = time.monotonic() + STOP_GRACE
    try:
        worker.conn.send(("stop",))
        while (left := deadline - time.monotonic()) > 0:
            if worker.conn.poll(left) and worker.conn.recv()[0] in ("done", "error"):
                return True
    except (EOFError, OSError):
        pass
    return False


def _numpy_max_units() -> int:
    from seqviz.trainer import NUMPY_MAX_UNITS

    return int(NUMPY_MAX_UNITS)


# --- the worker process ------------------------------------------------------------------


def _train(conn: Connection, config: RunConfig, limits: Limits, start: dict[str, Any] | None = None) -> None:
    """One job: train, sending progress; stop when asked or over the time budget."""
    from seqviz.engine import run
    from seqviz.trainer import prepare

    stop, sent = [False], [0.0]
    try:
        # A big model's first run imports TensorFlow and traces its graph: not part of the budget.
        prepare(config.units, config.cell, config.layers)
        conn.send(("started",))
        deadline = Deadline(limits.time_budget)

        parent = os.getppid()

        def progress(mode: str, epoch: int, loss: float) -> bool:
            if os.getppid() != parent:  # the server is gone: nobody waits for this run
                return True
            while conn.poll():
                stop[0] = stop[0] or conn.recv()[0] == "stop"
            now = time.monotonic()
            if now - sent[0] > SEND_EVERY or epoch == config.epochs:
                conn.send(("progress", mode, epoch, loss))
                sent[0] = now
            return stop[0] or deadline.expired

        result = run(config, progress=progress, limits=limits, start=start)
        conn.send(("done", result, "tensorflow" in sys.modules))
    except Exception as error:  # the caller re-raises it; a SeqvizError carries the message
        try:
            conn.send(("error", error, "tensorflow" in sys.modules))
        except Exception:  # an exception that does not pickle
            conn.send(("error", RuntimeError(repr(error)), "tensorflow" in sys.modules))


def serve(conn: Connection) -> None:
    """A worker's loop: jobs until the other end closes. A stop that arrives after its job
    finished is ignored."""
    import seqviz.engine  # noqa: F401  (loaded before the first job, not during it)
    from seqviz.trainer import warm_up_kernel

    warm_up_kernel()  # the compiled training loop, from numba's cache: before the first job too

    # The server decides when a worker ends (its socket closes, or it is killed): a SIGTERM or
    # SIGINT sent to the whole process group must not cut a draining server's training short.
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message[0] == "run":
            _train(conn, *message[1:])


if __name__ == "__main__":
    serve(Connection(int(sys.argv[1])))
