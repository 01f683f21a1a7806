"""Fast training: the math of ``model.fit`` for a recurrent stack → Dense, without ``fit``'s
overhead.

``model.fit`` spends ~50 ms per epoch on bookkeeping, far more than a tiny network's arithmetic.
Two backends compute the same thing: per batch the forward pass, the loss from logits (as
Keras computes it, ``seqviz.losses``), the gradient and Keras's Adam update; stateful feeds
carry each sample's final states (every layer's) into the same index of the next batch, and
every epoch starts from zero state.

- ``numpy`` (``seqviz.network``): hand-written backpropagation through any cell's backward
  step; nothing to trace, so it wins for small models, the ones seqviz is about. The same
  arithmetic runs as one compiled loop over epochs and batches (``seqviz.kernel``, numba) where
  it supports the run, which is every layout and output seqviz has and the cells it has code for
  (``kernel.KERNEL_CELLS``); the NumPy path is the reference it is tested against, and the
  fallback for another cell or without numba.
- ``tensorflow``: one ``tf.function`` per cell and depth, with ``GradientTape`` (traced once
  per process: every shape is dynamic), that runs many epochs per call in a
  ``tf.while_loop``; it wins once the matrices are big enough for TensorFlow's kernels.

The driver regains control between chunks of epochs to report progress, take weight
snapshots and honour a stop request. TensorFlow is imported only by its backend.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from seqviz import network
from seqviz.adam import BETA_1, BETA_2, EPSILON, adam_update
from seqviz.cells import CELLS, Cell
from seqviz.cells.base import States
from seqviz.losses import OUTPUTS
from seqviz.modes import Feed
from seqviz.weights import Weights

if TYPE_CHECKING:
    from seqviz.kernel import KernelBackend

# Called after each chunk with (epochs done, loss of the last epoch); return True to stop.
ProgressCallback = Callable[[int, float], "bool | None"]

MAX_CHUNK = 25  # epochs per call, so progress and stop requests stay responsive
NUMPY_MAX_UNITS = 64  # the "auto" backend's switch from NumPy to TensorFlow (benchmarks/bench_fit.py)
BACKENDS = ("auto", "numpy", "tensorflow")

_graph_lock = threading.Lock()
_graphs: dict[tuple[str, int, tuple[int, ...]], Any] = {}  # by cell, layers and weight ranks


@dataclass
class Training:
    """What a training produced: the loss of every epoch and weights at the snapshot epochs."""

    losses: list[float]
    weights: Weights
    snapshots: list[tuple[int, float, Weights]] = field(default_factory=list)
    stopped: bool = False
    seconds: float = 0.0
    backend: str = "numpy"
    # The states (per layer) the last training batch left, as a stateful Keras layer keeps them
    # after fit; None where the backend does not report them (the TensorFlow graph).
    final_states: list[States] | None = None
    compiled: bool = False  # the NumPy backend's arithmetic ran as seqviz.kernel's compiled loop


def snapshot_epochs(epochs: int, count: int) -> list[int]:
    """Up to ``count`` evenly spaced epochs in 1..epochs, the first and the last included."""
    if count <= 1:
        return [epochs]
    return sorted({int(round(e)) for e in np.linspace(1, epochs, min(count, epochs))})


def _chunk_ends(epochs: int, snapshots: list[int]) -> list[int]:
    ends = set(snapshots) | set(range(MAX_CHUNK, epochs, MAX_CHUNK)) | {epochs}
    return sorted(ends)


def _build_graph(cell: type[Cell], layers: int, ranks: tuple[int, ...]) -> Any:
    """One ``tf.function`` that trains ``epochs`` epochs of a ``cell`` stack → Dense."""
    import tensorflow as tf

    mat = tf.TensorSpec([None, None], tf.float32)
    params_spec = tuple(tf.TensorSpec([None] * rank, tf.float32) for rank in ranks)
    cube = tf.TensorSpec([None, None, None], tf.float32)

    def network(params: Any, x: Any, states: Any) -> Any:
        """x (B, T, D) → logits (B, T, V) and each layer's final states."""
        inputs, finals = x, []
        for layer in range(layers):
            kernel, recurrent_kernel, bias = params[3 * layer : 3 * layer + 3]
            input_bias, recurrent_bias = cell.split_bias(bias)
            projected = tf.einsum("btd,dg->tbg", inputs, kernel) + input_bias

            def step(
                carry: Any,
                z_x: Any,
                recurrent_kernel: Any = recurrent_kernel,
                recurrent_bias: Any = recurrent_bias,
            ) -> Any:
                inner = tf.matmul(carry[0], recurrent_kernel)
                if recurrent_bias is not None:
                    inner = inner + recurrent_bias
                return tuple(cell.tf_step(z_x, inner, carry, recurrent_kernel))

            sequences = tf.scan(step, projected, initializer=states[layer])
            finals.append(tuple(tf.stop_gradient(s[-1]) for s in sequences))
            inputs = tf.transpose(sequences[0], [1, 0, 2])
        logits = tf.einsum("btu,uv->btv", inputs, params[-2]) + params[-1]
        return logits, tuple(finals)

    @tf.function(  # type: ignore[untyped-decorator]  # TensorFlow publishes no types
        autograph=False,  # the loops are explicit tf.while_loops; skipping autograph halves tracing
        input_signature=[
            params_spec,
            params_spec,
            params_spec,
            tf.TensorSpec([], tf.float32),
            cube,
            cube,
            mat,
            tf.TensorSpec([], tf.int32),
            tf.TensorSpec([], tf.bool),
            tf.TensorSpec([], tf.string),
            tf.TensorSpec([], tf.float32),
            tf.TensorSpec([], tf.int32),
        ],
    )
    def train_epochs(
        params: Any,
        m: Any,
        v: Any,
        iterations: Any,
        x: Any,
        y: Any,
        mask: Any,
        batch_size: Any,
        stateful: Any,
        output: Any,
        lr: Any,
        n_epochs: Any,
    ) -> Any:
        units = tf.shape(params[1])[0]
        n_batches = tf.shape(x)[0] // batch_size
        zero = tf.zeros(tf.stack([batch_size, units]))
        zeros = tuple(tuple(zero for _ in cell.state_names) for _ in range(layers))
        losses_by_output = {name: o.tf_per_step for name, o in OUTPUTS.items()}

        def batch_loss(logits: Any, yb: Any, mb: Any) -> Any:
            branches = [
                (tf.equal(output, name), (lambda f=f: f(logits, yb))) for name, f in losses_by_output.items()
            ]
            per_step = tf.case(branches, exclusive=True)
            return tf.reduce_sum(per_step * mb) / tf.reduce_sum(mb)

        def train_batch(
            b: Any, params: Any, m: Any, v: Any, iterations: Any, states: Any, loss_sum: Any
        ) -> Any:
            rows = tf.range(b * batch_size, (b + 1) * batch_size)
            xb, yb, mb = tf.gather(x, rows), tf.gather(y, rows), tf.gather(mask, rows)
            start = tf.nest.map_structure(lambda s, z: tf.where(stateful, s, z), states, zeros)
            with tf.GradientTape() as tape:
                tape.watch(params)
                logits, finals = network(params, xb, start)
                loss = batch_loss(logits, yb, mb)
            grads = tape.gradient(loss, params)
            # Keras 3's Adam, step for step.
            step = iterations + 1.0
            alpha = lr * tf.sqrt(1.0 - BETA_2**step) / (1.0 - BETA_1**step)
            m = tuple(mi + (gi - mi) * (1.0 - BETA_1) for mi, gi in zip(m, grads))
            v = tuple(vi + (gi * gi - vi) * (1.0 - BETA_2) for vi, gi in zip(v, grads))
            params = tuple(p - alpha * mi / (tf.sqrt(vi) + EPSILON) for p, mi, vi in zip(params, m, v))
            return b + 1, params, m, v, step, finals, loss_sum + loss

        def train_epoch(e: Any, params: Any, m: Any, v: Any, iterations: Any, losses: Any) -> Any:
            # Every epoch starts from zero state: the reset after each epoch in the question.
            _, params, m, v, iterations, _, loss_sum = tf.while_loop(
                lambda b, *_: b < n_batches,
                train_batch,
                (0, params, m, v, iterations, zeros, 0.0),
            )
            losses = losses.write(e, loss_sum / tf.cast(n_batches, tf.float32))
            return e + 1, params, m, v, iterations, losses

        losses = tf.TensorArray(tf.float32, size=n_epochs)
        _, params, m, v, iterations, losses = tf.while_loop(
            lambda e, *_: e < n_epochs, train_epoch, (0, params, m, v, iterations, losses)
        )
        return params, m, v, iterations, losses.stack()

    return train_epochs


def prepare(units: int, cell: str = "lstm", layers: int = 1, backend: str = "auto") -> None:
    """Import TensorFlow and build its training function now if ``units`` will need them, so a
    run's own time is spent training (the app starts its time budget after this)."""
    if choose_backend_for_units(units, backend) == "tensorflow":
        kind = CELLS[cell]
        ranks = (2, 2, kind.bias(1).ndim) * layers + (2, 1)
        _graph(kind, layers, ranks)
    else:
        warm_up_kernel()


def warm_up_kernel() -> None:
    """Compile the NumPy backend's loop, or load it from numba's cache (``seqviz.kernel``)."""
    try:
        from seqviz.kernel import warm_up
    except ImportError:  # numba missing: the NumPy path trains
        return
    warm_up()


def _graph(cell: type[Cell], layers: int, ranks: tuple[int, ...]) -> Any:
    key = (cell.name, layers, ranks)
    with _graph_lock:
        if key not in _graphs:
            _graphs[key] = _build_graph(cell, layers, ranks)
        return _graphs[key]


class _NumpyBackend:
    def __init__(self, feed: Feed, weights: Weights, learning_rate: float, output: str):
        self.feed, self.learning_rate, self.output = feed, learning_rate, OUTPUTS[output]
        self.cell, self.layers = weights.cell, len(weights.layers)
        self.params = [np.array(a, np.float32) for a in weights.as_list()]
        self.m = [np.zeros_like(p) for p in self.params]
        self.v = [np.zeros_like(p) for p in self.params]
        self.step, self.epoch = 0, 0
        self.states: list[States] = []
        self.x, self.y = feed.x.astype(np.float32), feed.y.astype(np.float32)
        self.mask = feed.loss_mask.astype(np.float32)

    def run(self, epochs: int) -> list[float]:
        feed, b = self.feed, self.feed.batch_size
        cell = CELLS[self.cell]
        units = self.params[1].shape[0]
        zeros = [network.zero_states(cell, b, units) for _ in range(self.layers)]
        losses = []
        for _ in range(epochs):
            order = feed.epoch_order(self.epoch)
            self.epoch += 1
            if not feed.carries_across_epochs or not self.states:
                self.states = zeros
            total = 0.0
            for first in range(0, feed.samples, b):
                rows = order[first : first + b]
                weights = self.weights(copy=False)
                x = self.x[rows]
                start = self._start_states(rows, first, zeros)
                mask = None if feed.step_mask is None else feed.step_mask[rows]
                traces, logits = network.forward(weights, x, start, mask)
                loss, d_logits = self.output.loss_and_gradient(logits, self.y[rows], self.mask[rows])
                grads = network.backward(weights, x, traces, d_logits)
                self.states = [trace.final for trace in traces]
                self.step += 1
                adam_update(self.params, grads, self.m, self.v, self.step, self.learning_rate)
                total += loss * len(rows)  # Keras's epoch loss: batch losses weighted by batch size
            losses.append(total / feed.samples)
        return losses

    def _start_states(self, rows: np.ndarray, first: int, zeros: list[States]) -> list[States]:
        """The states a batch starts from: zeros, or (stateful) those the last batch left, with
        zeros in the rows where a new sequence starts (the "sequence" reset)."""
        if self.feed.resets_before(first):  # the plan's rule (resets are whole batches)
            return [tuple(z[: len(rows)] for z in layer) for layer in zeros]
        return self.states

    def weights(self, copy: bool = True) -> Weights:
        return Weights.from_list([p.copy() if copy else p for p in self.params], self.cell)


class _TensorFlowBackend:
    states: list[States] = []  # the graph does not hand its final states back

    def __init__(self, feed: Feed, weights: Weights, learning_rate: float, output: str):
        import tensorflow as tf

        arrays = weights.as_list()
        self.tf, self.cell = tf, weights.cell
        self.graph = _graph(weights.cell_type, len(weights.layers), tuple(a.ndim for a in arrays))
        self.params = tuple(tf.constant(a, tf.float32) for a in arrays)
        self.m = tuple(tf.zeros_like(p) for p in self.params)
        self.v = tuple(tf.zeros_like(p) for p in self.params)
        self.iterations = tf.constant(0.0)
        self.data = (
            tf.constant(feed.x, tf.float32),
            tf.constant(feed.y, tf.float32),
            tf.constant(feed.loss_mask, tf.float32),
            tf.constant(feed.batch_size, tf.int32),
            tf.constant(feed.stateful),
            tf.constant(output),
            tf.constant(learning_rate, tf.float32),
        )

    def run(self, epochs: int) -> list[float]:
        self.params, self.m, self.v, self.iterations, losses = self.graph(
            self.params, self.m, self.v, self.iterations, *self.data, self.tf.constant(epochs, self.tf.int32)
        )
        return [float(a) for a in losses.numpy()]

    def weights(self) -> Weights:
        return Weights.from_list([p.numpy() for p in self.params], self.cell)


def graph_supports(feed: Feed) -> bool:
    """Whether the TensorFlow graph runs this feed: equal batches, no masking, no shuffle, and
    the state reset at every epoch. Other layouts train in NumPy whatever the model's size."""
    plain_reset = not feed.stateful or (feed.reset == "epoch" and not feed.reset_rows)
    return feed.samples % feed.batch_size == 0 and not feed.masked and not feed.shuffle and plain_reset


def choose_backend(weights: Weights, backend: str = "auto", feed: Feed | None = None) -> str:
    """``numpy`` for small models, ``tensorflow`` for big ones, unless one is asked for."""
    chosen = choose_backend_for_units(weights.units, backend)
    if chosen == "tensorflow" and feed is not None and not graph_supports(feed):
        if backend == "tensorflow":
            raise ValueError(
                "the tensorflow backend trains only equal unmasked batches, unshuffled, reset every epoch"
            )
        return "numpy"
    return chosen


def keeps_final_states(units: int, feed: Feed) -> bool:
    """Whether the "auto" backend reports the states training ended in (the NumPy one does, the
    TensorFlow graph does not), so a prediction can carry them on; checked before training."""
    return choose_backend_for_units(units) == "numpy" or not graph_supports(feed)


def choose_backend_for_units(units: int, backend: str = "auto") -> str:
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; choose one of {BACKENDS}")
    if backend != "auto":
        return backend
    return "numpy" if units <= NUMPY_MAX_UNITS else "tensorflow"


def train(
    feed: Feed,
    weights: Weights,
    *,
    epochs: int,
    learning_rate: float,
    output: str,
    snapshots: int = 30,
    progress: ProgressCallback | None = None,
    backend: str = "auto",
    compiled: bool = True,
) -> Training:
    """Train from ``weights`` on ``feed``; the inputs are never modified.

    Args:
        snapshots: how many evenly spaced epochs keep a copy of the weights.
        progress: called after each chunk of epochs; returning True stops training
            (the result then has ``stopped=True`` and only the epochs done).
        backend: ``auto``, ``numpy`` or ``tensorflow`` (the same math; tests hold both to fit).
        compiled: run the NumPy backend's arithmetic as the compiled loop (``seqviz.kernel``)
            where it supports the run; False keeps the reference NumPy path.
    """
    started = time.perf_counter()
    chosen = choose_backend(weights, backend, feed)
    engine: _NumpyBackend | _TensorFlowBackend | KernelBackend
    if chosen == "numpy" and compiled and kernel_supports(feed, output, weights.cell):
        from seqviz.kernel import KernelBackend

        engine = KernelBackend(feed, weights, learning_rate, output)
    elif chosen == "numpy":
        engine = _NumpyBackend(feed, weights, learning_rate, output)
    else:
        engine = _TensorFlowBackend(feed, weights, learning_rate, output)
    wanted = set(snapshot_epochs(epochs, snapshots))
    losses: list[float] = []
    kept: list[tuple[int, float, Weights]] = []
    stopped = False
    done = 0
    for end in _chunk_ends(epochs, sorted(wanted)):
        losses.extend(engine.run(end - done))
        done = end
        if end in wanted:
            kept.append((end, losses[-1], engine.weights()))
        if progress is not None and progress(done, losses[-1]) and done < epochs:
            stopped = True
            break
    final = [tuple(np.array(a) for a in layer) for layer in engine.states] if chosen == "numpy" else None
    training = Training(losses, engine.weights(), kept, stopped, time.perf_counter() - started, chosen, final)
    training.compiled = not isinstance(engine, (_NumpyBackend, _TensorFlowBackend))
    return training


def kernel_supports(feed: Feed, output: str, cell: str) -> bool:
    """Whether the compiled loop trains this run (numba installed, the features it has)."""
    try:
        from seqviz.kernel import supports
    except ImportError:  # numba missing: the NumPy path, same numbers
        return False
    return supports(feed, output, cell)
