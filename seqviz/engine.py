"""A whole run: validate a configuration, train every requested mode from the same initial
weights, replay each step's state, and collect everything into a typed :class:`Run`."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from seqviz import __version__, regression
from seqviz.cells.base import States
from seqviz.config import RunConfig
from seqviz.floor import ambiguous_positions, identical_groups, loss_floor
from seqviz.limits import Limits
from seqviz.modes import PREVIOUS_BATCH, PREVIOUS_EPOCH, SHUFFLED, ZEROS, Feed
from seqviz.predict import PredictionFeed, predict_pass
from seqviz.replay import Replay, replay, step_names
from seqviz.results import (
    FeedCell,
    FeedView,
    InnerStep,
    LayoutView,
    ModeResult,
    Prediction,
    Run,
    Snapshot,
    Source,
    StepState,
    TestResult,
    Values,
)
from seqviz.sequence import Dataset
from seqviz.trainer import Training, train
from seqviz.verdicts import scored_positions, verdict
from seqviz.weights import Weights, initial_weights

# (mode, epochs done, loss) after each chunk of epochs; return True to stop the whole run.
RunProgress = Callable[[str, int, float], "bool | None"]

CARRIED_IN = (PREVIOUS_BATCH, PREVIOUS_EPOCH, SHUFFLED)  # a state from another sample: the gradient stops
DECIMALS = 6  # states and probabilities in the JSON; losses keep full float32 precision


@dataclass
class RunResult:
    """``run`` is the typed result (``run.to_json()`` is the CLI's ``--json``); the rest
    serves exports."""

    run: Run
    dataset: Dataset
    feeds: dict[str, Feed] = field(default_factory=dict)
    weights: dict[str, Weights] = field(default_factory=dict)
    tests: dict[str, PredictionFeed] = field(default_factory=dict)  # the test sequence, per mode
    final_states: dict[str, list[States] | None] = field(default_factory=dict)  # where training ended

    @property
    def stopped(self) -> bool:
        return self.run.stopped

    def retest(self, mode: str, reset_at: int | None) -> TestResult:
        """``mode``'s test pass again from its trained weights, the state reset to zeros before
        ``reset_at`` (None: no reset), starting where the stored test pass starts (the state
        training ended in when the feed carries it, else zeros); nothing is retrained."""
        feed = self.tests[mode]
        start = self.final_states[mode] if feed.carried else None
        return predict_test(feed, self.run.config, self.weights[mode], start, reset_at)


def _rounded(a: np.ndarray) -> list[Any]:
    rounded: list[Any] = np.round(np.asarray(a, dtype=np.float64), DECIMALS).tolist()
    return rounded


def _position_cells(feed: Feed) -> dict[int, tuple[int, int]]:
    return {int(p): (s, t) for (s, t), p in np.ndenumerate(feed.positions) if p >= 0}


Rounded = list[dict[str, list[Any]]]  # per layer, per name: (samples, timesteps, units) as lists


def _rounded_replay(r: Replay, names: tuple[str, ...]) -> Rounded:
    """Every layer's values rounded once, whole (rounding each step's vector on its own cost
    most of a long run's time)."""
    return [{name: _rounded(arrays[name]) for name in names} for arrays in r.layers]


def _at(a: np.ndarray, order: list[tuple[int, int]]) -> list[Any]:
    """``a`` (samples, timesteps, …) at each (sample, step) of ``order``, rounded, as lists."""
    samples, steps = zip(*order) if order else ((), ())
    return _rounded(a[list(samples), list(steps)])


def _values(r: Rounded, layer: int, names: tuple[str, ...], s: int, t: int) -> Values:
    arrays = r[layer]
    return {name: arrays[name][s][t] for name in names}


def _step_values(r: Rounded, names: tuple[str, ...], s: int, t: int) -> tuple[Values, list[Values] | None]:
    """The last layer's values at (s, t), and every layer's when the model is stacked."""
    last = _values(r, len(r) - 1, names, s, t)
    if len(r) == 1:
        return last, None
    return last, [_values(r, k, names, s, t) for k in range(len(r))]


def _source(feed: Feed, s: int, t: int, training: bool = False) -> Source:
    kind, origin = feed.training_source(s, t) if training else feed.source(s, t)
    if origin is None:
        return Source(kind)
    position = int(feed.positions[origin])
    return Source(kind, origin[0], origin[1], position if position >= 0 else None)


def _token_grid(
    feed: Feed, dataset: Dataset, array: np.ndarray, mask: np.ndarray | None = None
) -> list[list[str | None]]:
    """A (samples, timesteps) grid of the one-hot tokens in ``array``; null where all-zero/masked."""
    itos = dataset.vocabulary.itos
    grid = []
    for s in range(array.shape[0]):
        row = []
        for t in range(array.shape[1]):
            visible = array[s, t].any() and (mask is None or mask[s, t] > 0)
            row.append(itos[int(array[s, t].argmax())] if visible else None)
        grid.append(row)
    return grid


def _numeric_grid(feed: Feed, dataset: Dataset, positions: np.ndarray, side: int) -> list[list[str | None]]:
    """A (samples, timesteps) grid of the numbers at each cell (``side`` 0: the input's
    features, 1: the target), as labelled in ``dataset.pairs``; null where nothing is."""
    return [[None if p < 0 else dataset.pairs[int(p)][side] for p in row] for row in positions]


def describe_feed(feed: Feed, dataset: Dataset) -> FeedView:
    """X and Y as tokens, the batches, and one cell per (sample, step) with where its state comes
    from in training (``Feed.training_source``: a shuffled or never-reset stateful layer differs
    from the replay's row order)."""
    b = feed.batch_size
    cells = []
    for s in range(feed.samples):
        for t in range(feed.timesteps):
            source = _source(feed, s, t, training=True)
            cells.append(
                FeedCell(
                    sample=s,
                    step=t,
                    batch=s // b,
                    index_in_batch=s % b,
                    position=int(feed.positions[s, t]) if feed.positions[s, t] >= 0 else None,
                    source=source,
                    # Zeros enter where state could otherwise flow in: a sample's first step.
                    reset=t == 0 and source.kind == ZEROS,
                    gradient_cut=t == 0 and feed.stateful and source.kind in CARRIED_IN,
                    sequence=None
                    if not feed.sample_sequence or feed.sample_sequence[s] < 0
                    else feed.sample_sequence[s],
                    masked=bool(feed.step_mask is not None and feed.step_mask[s, t] == 0),
                )
            )
    numbers = dataset.numeric is not None
    x_grid = describe_feed_inputs(feed, dataset)
    if numbers:
        y_grid = _numeric_grid(feed, dataset, feed.positions, 1)
    else:
        y_grid = _token_grid(feed, dataset, feed.y, feed.loss_mask)
    y = feed.y if feed.return_sequences else feed.y[:, -1, :]
    return FeedView(
        description=feed.description,
        x_tokens=x_grid,
        y_tokens=y_grid if feed.return_sequences else [row[-1] for row in y_grid],
        x=_rounded(feed.x) if numbers else feed.x.astype(int).tolist(),
        y=_rounded(y) if numbers else y.astype(int).tolist(),
        batches=[list(range(k, min(k + b, feed.samples))) for k in range(0, feed.samples, b)],
        cells=cells,
    )


def _mode_run(
    feed: Feed,
    dataset: Dataset,
    config: RunConfig,
    weights: Weights,
    progress: RunProgress | None,
    test: PredictionFeed | None = None,
) -> tuple[ModeResult, Training]:
    targets = dataset.target_keys
    training = train(
        feed,
        weights,
        epochs=config.epochs,
        learning_rate=config.learning_rate,
        output=config.output,
        snapshots=config.snapshots,
        progress=None if progress is None else (lambda e, loss: progress(feed.mode, e, loss)),
    )
    cells = _position_cells(feed)
    order = [cells[p] for p in range(len(targets))]
    final = replay(feed, training.weights, config.output)
    cell = weights.cell_type
    names = step_names(cell)

    states = []
    x_tokens = describe_feed_inputs(feed, dataset)
    ties = ambiguous_positions(feed.keys, targets)
    predictions = _predictions(dataset, [final.probabilities[s, t] for s, t in order], set(ties))
    rounded = _rounded_replay(final, names)
    for p, (s, t) in enumerate(order):
        inner = None
        if feed.timesteps > 1 and not feed.return_sequences:
            inner = [_inner_step(rounded, names, feed, x_tokens, s, k) for k in range(feed.timesteps)]
        values, layers = _step_values(rounded, names, s, t)
        states.append(StepState(p, s, t, s // feed.batch_size, values, _source(feed, s, t), layers, inner))

    snapshots = []
    for epoch, loss, snap_weights in training.snapshots:
        r = replay(feed, snap_weights, config.output)
        snapshots.append(
            Snapshot(
                epoch=epoch,
                loss=loss,
                probabilities=_at(r.probabilities, order),
                states={name: _at(r.last[name], order) for name in cell.state_names},
            )
        )

    floor = loss_floor(feed.keys, targets, dataset.output_dim, config.output)
    reach = feed.reach_keys or feed.keys
    reach_floor = loss_floor(reach, targets, dataset.output_dim, config.output)
    beyond = sorted(set(ambiguous_positions(reach, targets)) - set(ambiguous_positions(feed.keys, targets)))
    result = ModeResult(
        mode=feed.mode,
        cell=config.cell,
        description=feed.description,
        x_shape=feed.x_shape,
        y_shape=feed.y_shape,
        batch_size=feed.batch_size,
        stateful=feed.stateful,
        return_sequences=feed.return_sequences,
        epochs=len(training.losses),
        stopped=training.stopped,
        loss=[float(a) for a in training.losses],
        final_loss=float(training.losses[-1]),
        loss_floor=floor,
        ambiguous_positions=ambiguous_positions(feed.keys, targets),
        identical_groups=identical_groups(feed.keys),
        accuracy=sum(p.correct for p in predictions) / len(predictions),
        ties=ties,
        predictions=predictions,
        states=states,
        snapshots=snapshots,
        feed=describe_feed(feed, dataset),
        trainer=training.backend,
        train_seconds=training.seconds,
        layout=_layout_view(feed),
        reach_floor=reach_floor,
        beyond_reach=beyond,
        beyond_groups=[
            [p for p in g if p in beyond] for g in identical_groups(reach) if set(g) & set(beyond)
        ],
    )
    if test is not None:
        result.test = _test_pass(test, config, training)
    result.fitted = _fitted(result, dataset)
    result.verdict = (
        verdict(result) if dataset.numeric is None else _regression_verdict(result, dataset, test)
    )
    return result, training


def describe_feed_inputs(feed: Feed, dataset: Dataset) -> list[list[str | None]]:
    """X as labels per (sample, step): tokens, or the numbers as given."""
    if dataset.numeric is None:
        return _token_grid(feed, dataset, feed.x)
    inputs = feed.input_positions if feed.input_positions is not None else feed.positions
    return _numeric_grid(feed, dataset, inputs, 0)


def _fitted(result: ModeResult, dataset: Dataset) -> bool:
    """Training fits its data: tokens, every position right but the ties; numbers, the mean
    squared error within ``regression.TOLERANCE`` of the targets' variance (the set's rule, which
    the regression verdict and its sentence state), on the scaled values the model sees."""
    if not np.isfinite(result.final_loss):
        return False
    if dataset.numeric is None:
        return all(p.correct or p.tie for p in result.predictions)
    return regression.predicted([p.probabilities[0] for p in result.predictions], dataset.numeric.y)


def _regression_verdict(result: ModeResult, dataset: Dataset, test: PredictionFeed | None) -> str | None:
    """The three verdicts for numbers, on the scaled values the model sees (``seqviz.regression``),
    the test scored on its positions new to the mode."""
    assert dataset.numeric is not None
    if not np.isfinite(result.final_loss) and not regression.cannot_fit(result.loss_floor, dataset.numeric.y):
        return None  # diverged: nothing is drawn from these weights
    outputs = [p.probabilities[0] for p in result.predictions]
    checked = None
    if test is not None and result.test is not None and test.dataset.numeric is not None:
        new = [p.position for p in scored_positions(result.test)]
        y = test.dataset.numeric.y
        checked = ([result.test.predictions[p].probabilities[0] for p in new], [y[p] for p in new])
    return regression.verdict(result.loss_floor, dataset.numeric.y, outputs, checked)


def _predictions(dataset: Dataset, outputs: list[np.ndarray], ties: set[int]) -> list[Prediction]:
    """Per position, the output's best token; a tie (a forced hedge) is never counted right."""
    if dataset.numeric is not None:
        return _number_predictions(dataset, outputs, ties)
    itos, targets = dataset.vocabulary.itos, dataset.targets
    out = []
    for p, probs in enumerate(outputs):
        predicted = int(np.argmax(probs))
        out.append(
            Prediction(
                position=p,
                input=dataset.pairs[p][0],
                target=itos[targets[p]],
                predicted=itos[predicted],
                probability=round(float(probs[predicted]), DECIMALS),
                correct=predicted == targets[p] and p not in ties and bool(np.isfinite(probs).all()),
                probabilities=_rounded(probs),
                tie=p in ties,
            )
        )
    return out


def _number_predictions(dataset: Dataset, outputs: list[np.ndarray], ties: set[int]) -> list[Prediction]:
    """Per position, the number predicted and the target, in the target's own units
    (``probabilities`` holds the model's output, in the scaled units it was trained on); a
    position is right within ``seqviz.regression``'s tolerance, and a tie never is."""
    numeric = dataset.numeric
    assert numeric is not None
    variance = regression.spread(numeric.y)
    values = numeric.scaling.unscale(np.array([float(o[0]) for o in outputs]))
    out = []
    for p, (output, value) in enumerate(zip(outputs, values)):
        model = float(output[0])
        out.append(
            Prediction(
                position=p,
                input=dataset.pairs[p][0],
                target=numeric.raw_targets[p],
                predicted=round(float(value), DECIMALS),
                probability=round(model, DECIMALS),
                correct=regression.close(model, numeric.y[p], variance)
                and p not in ties
                and bool(np.isfinite(model)),
                probabilities=[round(model, DECIMALS)],
                tie=p in ties,
            )
        )
    return out


def _test_pass(test: PredictionFeed, config: RunConfig, training: Training) -> TestResult:
    """The test sequence predicted as Keras would: its own batch size, from zeros or carrying
    the state training ended in, and again with the state reset before ``reset_at``."""
    # RunConfig.validate refuses a carried state the trainer would not keep, before training.
    assert not test.carried or training.final_states is not None, "carry without the NumPy trainer"
    start = training.final_states if test.carried else None
    return predict_test(test, config, training.weights, start, config.reset_at)


def predict_test(
    test: PredictionFeed,
    config: RunConfig,
    weights: Weights,
    start: list[States] | None,
    reset_at: int | None,
) -> TestResult:
    """The test pass from trained ``weights`` (and the carried ``start`` states), scored; with
    ``reset_at``, the same pass again with the state set to zeros before that position."""
    untouched = predict_pass(test.feed, weights, config.output, start)
    ties = set(ambiguous_positions(test.feed.keys, test.dataset.target_keys))
    predictions = _predictions(test.dataset, list(untouched.probabilities), ties)
    reset = reset_h = was_zero = None
    if reset_at is not None:
        again = predict_pass(test.feed, weights, config.output, start, reset_at)
        reset = _predictions(test.dataset, list(again.probabilities), ties)
        reset_h = [_rounded(v) for v in again.h[-1]]
        was_zero = again.reset_was_zero
    return TestResult(
        tokens=list(test.dataset.tokens),
        accuracy=sum(p.correct for p in predictions) / len(predictions),
        loss=mean_loss(untouched.probabilities, test.dataset, config.output),
        ties=sorted(ties),
        predictions=predictions,
        batch_size=config.predict_batch_size,
        state=config.predict_state,
        carried=test.carried,
        reset_at=reset_at,
        reset_predictions=reset,
        h=[_rounded(v) for v in untouched.h[-1]],
        reset_h=reset_h,
        reset_was_zero=was_zero,
        seen=list(test.seen),
    )


def mean_loss(probabilities: np.ndarray, dataset: Dataset, output: str) -> float:
    """The loss Keras would report on these outputs (positions, V), from probabilities."""
    if dataset.numeric is not None:
        return float(((probabilities[:, 0] - dataset.numeric.y_array) ** 2).mean())
    p = np.clip(probabilities, 1e-7, 1 - 1e-7)
    y = dataset.vocabulary.one_hot(dataset.targets)
    if output == "softmax":
        return float(-(y * np.log(p)).sum(-1).mean())
    return float(-(y * np.log(p) + (1 - y) * np.log(1 - p)).mean())


def _layout_view(feed: Feed) -> LayoutView | None:
    layout = feed.layout
    if layout is None:
        return None
    return LayoutView(
        timesteps="all" if layout.timesteps is None else layout.timesteps,
        stride=layout.stride,
        stateful=layout.stateful,
        batch_size=layout.batch_size,
        arrange=layout.arrange,
        shuffle=layout.shuffle,
        reset=layout.reset,
        return_sequences=layout.return_sequences,
        masked=feed.masked,
    )


def _inner_step(
    r: Rounded, names: tuple[str, ...], feed: Feed, x_tokens: list[list[str | None]], s: int, k: int
) -> InnerStep:
    values, layers = _step_values(r, names, s, k)
    return InnerStep(k, x_tokens[s][k], values, _source(feed, s, k), layers)


def run(
    config: RunConfig,
    progress: RunProgress | None = None,
    limits: Limits = Limits(),
    start: Mapping[str, Weights] | None = None,
) -> RunResult:
    """Train every mode ``config`` asks for and collect the result.

    Args:
        start: per mode, the weights training starts from (a run being continued); a mode
            without an entry starts from ``config.seed``'s initial weights, as every mode does
            when ``start`` is None.
    Raises:
        SeqvizError: the configuration is invalid; nothing is trained.
    """
    from seqviz.explain import attach_facts

    plan = config.plan(limits)  # the dataset, every feed and test feed: built once, read below
    dataset = plan.dataset
    started = time.perf_counter()
    first = initial_weights(
        dataset.input_dim,
        config.units,
        config.seed,
        cell=config.cell,
        layers=config.layers,
        output_dim=dataset.output_dim,
    )
    result = RunResult(
        run=Run(
            version=__version__,
            config=config,
            vocabulary=list(dataset.vocabulary.itos),
            tokens=list(dataset.tokens),
            pairs=[(x, y) for x, y in dataset.pairs],
            runs=[],
            sequence_of=list(dataset.sequence_ids),
            sequences=[list(s) for s in dataset.sequences] or [list(dataset.tokens)],
        ),
        dataset=dataset,
    )
    for mode, feed in plan.feeds.items():
        weights = first if start is None or mode not in start else start[mode]
        test = plan.tests.get(mode)
        mode_result, training = _mode_run(feed, dataset, config, weights, progress, test)
        result.run.runs.append(mode_result)
        result.feeds[mode] = feed
        result.weights[mode] = training.weights
        result.final_states[mode] = training.final_states
        if test is not None:
            result.tests[mode] = test
        if mode_result.stopped:
            result.run.stopped = True
            break
    result.run.total_seconds = time.perf_counter() - started
    attach_facts(result.run, dataset)
    return result


def continue_run(
    parent: RunResult,
    epochs: int,
    progress: RunProgress | None = None,
    limits: Limits = Limits(),
) -> RunResult:
    """``epochs`` more epochs of ``parent``'s run, each mode starting from the weights its
    training ended with. Adam's moments start afresh, as ``fit`` on a newly compiled model with
    those weights would (calling ``fit`` again on the same compiled model keeps them:
    ``tests/test_keras_behaviour.py``); see :func:`joined`."""
    more = replace(parent.run.config, epochs=epochs)
    return joined(parent, run(more, progress=progress, limits=limits, start=parent.weights))


def joined(parent: RunResult, more: RunResult) -> RunResult:
    """``more`` (trained from ``parent``'s final weights) read as one run with ``parent``: its
    losses follow the parent's, its snapshots are numbered by epochs in all, and its
    configuration's ``epochs`` is the total. Predictions, states and facts are those of the
    final weights. ``more`` is changed in place and returned."""
    from seqviz.explain import attach_facts

    done = {m.mode: m for m in parent.run.runs}
    for mode in more.run.runs:
        before = done.get(mode.mode)
        if before is None:
            continue
        offset = before.epochs
        mode.loss = list(before.loss) + list(mode.loss)
        mode.snapshots = list(before.snapshots) + [replace(s, epoch=s.epoch + offset) for s in mode.snapshots]
        mode.epochs = offset + mode.epochs
    config = parent.run.config
    more.run.config = replace(config, epochs=config.epochs + more.run.config.epochs)
    attach_facts(more.run, more.dataset)
    return more
