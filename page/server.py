"""What the server shares between sessions and how a page gets its run: the result cache, the
gate that limits concurrent trainings, the worker processes, the training log, and
``obtain_result``, which trains a run (with a progress bar) or takes it from the cache."""

from __future__ import annotations

import logging
import os
import time
from dataclasses import replace
from typing import TYPE_CHECKING, cast

import streamlit as st

from seqviz.cells import CELLS
from seqviz.config import RunConfig
from seqviz.limits import Limits
from seqviz.replay import step_names
from seqviz.serving import ResultCache, TrainingGate
from seqviz.workers import WorkerPool

if TYPE_CHECKING:  # the engine is imported when a run is trained or joined
    from seqviz.engine import RunResult


@st.cache_resource
def result_cache() -> ResultCache:
    # At most 32 runs and ~8 million floats (a few hundred MB as Python objects) in all.
    return ResultCache(max_entries=32, max_weight=8e6)


@st.cache_resource
def training_gate(limit: int) -> TrainingGate:
    return TrainingGate(limit)


@st.cache_resource
def worker_pool() -> WorkerPool:
    """Processes that train runs off this server's GIL, one per core."""
    return WorkerPool()


@st.cache_resource
def server_log() -> logging.Logger:
    """Training events (start, finish, abandon) on stderr; ``SEQVIZ_LOG_LEVEL=INFO`` shows them."""
    log = logging.getLogger("seqviz.app")
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s seqviz %(message)s"))
    log.addHandler(handler)
    log.setLevel(os.environ.get("SEQVIZ_LOG_LEVEL", "WARNING").upper())
    log.propagate = False
    return log


class StoppedRun(Exception):
    """A run that hit the time budget: shown as a message, never cached."""


def obtain_result(config: RunConfig, limits: Limits, chain: tuple[int, ...] = ()) -> RunResult:
    """The run for ``config``: from the server's cache, or trained now in a worker process
    (``seqviz.workers``) with a progress bar. ``chain``: continued training, so many more
    epochs at a time, each from the weights the run before it ended with.

    Pressing Train again or leaving the page makes Streamlit raise inside the progress or
    waiting callback, which stops the worker's training; nothing half-done is cached.
    """
    from seqviz.engine import joined

    parent = obtain_result(config, limits, chain[:-1]) if chain else None
    job = replace(config, epochs=chain[-1]) if chain else config
    status, bar = st.empty(), st.empty()
    modes = config.modes

    def compute() -> tuple[RunResult, float]:
        def queued(position: int) -> None:
            status.info(
                f"Queued: position {position}. The server trains {limits.max_concurrent} run(s) at once."
            )

        gate, log = training_gate(limits.max_concurrent), server_log()
        with gate.slot(on_wait=queued):
            status.caption("Training…")
            started, shown = [time.monotonic()], [0.0]
            log.info("training started running=%d waiting=%d peak=%d", gate.running, gate.waiting, gate.peak)

            def progress(mode: str, epoch: int, loss: float) -> None:
                now = time.monotonic()
                if now - shown[0] > 0.1 or epoch == job.epochs:
                    done = (modes.index(mode) + epoch / job.epochs) / len(modes)
                    bar.progress(min(done, 1.0), text=f"{mode}: epoch {epoch}/{job.epochs} · loss {loss:.4f}")
                    shown[0] = now

            def still_here() -> None:
                status.caption("Training…")  # any page update raises once the person has left

            def begun() -> None:
                # A big model's first run imports TensorFlow in its worker: not part of the budget.
                started[0] = time.monotonic()

            try:
                start = None if parent is None else parent.weights
                result: RunResult = worker_pool().run(
                    job, limits, progress, on_wait=still_here, on_start=begun, start=start
                )
            except BaseException:
                log.info("training abandoned after %.2f s", time.monotonic() - started[0])
                raise
            log.info(
                "training finished after %.2f s stopped=%s",
                time.monotonic() - started[0],
                result.stopped,
            )
        if result.stopped:
            raise StoppedRun(
                f"Training stopped after {limits.time_budget:.0f} s, this server's time budget for one run. "
                "Try fewer epochs, fewer units or a shorter sequence."
            )
        if parent is not None:
            result = joined(parent, result)
        # Weighed by its float count: the step values per layer and position, states per snapshot.
        k, cell = len(result.run.pairs), CELLS[config.cell]
        per_position = config.layers * len(step_names(cell)) + len(cell.state_names) * config.snapshots
        return result, k * config.units * len(modes) * per_position

    def waiting() -> None:
        status.info("Another visitor is training this exact configuration; its result will be shared.")

    try:
        result, _ = result_cache().get_or_compute((config, chain) if chain else config, compute, waiting)
    finally:
        status.empty()
        bar.empty()
    return cast("RunResult", result)  # compute never returns None: a stopped run raises
