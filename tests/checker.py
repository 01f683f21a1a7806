"""The second route: every fact a run states, re-derived by a simpler, independent computation.

The engine decides what each position can see from the plan's keys (``seqviz.layout.keys``),
the floor from those keys, which test positions are new from the same keys, and where each
sample's state starts from the feed's wiring. This module knows none of that code. It reads only
the arrays Keras is given (X, the step mask, which position each step predicts) and Keras's own
rules, and runs a *probe*: a plain tanh recurrence with random float64 weights, one sample at a
time, carrying each row's final state into row ``r + batch_size`` when the layer is stateful, as
Keras does. Two positions look alike exactly when the probe reaches them in bitwise-identical
states (identical inputs give identical arithmetic; different ones, with random weights, never
collide). From those groups it recounts the floor, the ties, the look-alike and tells-apart
facts, the gradient's reach, the fixes and which test positions are new; from the run's own
predictions it recounts every score and verdict.

``check_run`` raises ``Contradiction`` naming the fact and what the second route found, and
returns how many facts of each kind it checked.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np

from seqviz.engine import RunResult
from seqviz.explain import (
    REACHED,
    answer,
    contrast_look,
    contrast_pair,
    loss_lines,
    prediction_look,
    sentence,
)
from seqviz.facts import (
    Contrast,
    Diverged,
    Fact,
    Fix,
    FloorGap,
    LookAlike,
    Memorises,
    NotConfident,
    NotYetLearned,
    Score,
    SharedBatch,
    StateMatters,
    Stopped,
    TellsApart,
    Unscored,
    Verdict,
)
from seqviz.modes import Feed
from seqviz.regression import TOLERANCE
from seqviz.results import LayoutView, ModeResult
from seqviz.verdicts import PREDICTED

PROBE_UNITS = 6


class Contradiction(AssertionError):
    """A fact the second route does not find true."""


def _require(ok: bool, fact: Fact | str, why: str) -> None:
    if not ok:
        what = fact if isinstance(fact, str) else f"{fact.kind} {fact.to_json()}"
        raise Contradiction(f"{what}: {why}")


# --- the probe: Keras's state rule on the arrays Keras is given ------------------------------


def reset_rows(feed: Feed, reset: str) -> set[int]:
    """Rows a stateful layer starts from zeros although a row ``b`` before it exists: with the
    "sequence" reset, a real row whose sequence differs from the last real row of its lane."""
    if reset != "sequence":
        return set()
    b, out, last = feed.batch_size, set(), {}
    for r, sequence in enumerate(feed.sample_sequence):
        lane = r % b
        if sequence < 0:
            continue
        if lane in last and last[lane] != sequence:
            out.add(r)
        last[lane] = sequence
    return out


def training_start(feed: Feed, layout: LayoutView | None, row: int) -> str:
    """Where row ``row``'s first state comes from in training, by Keras's rule and the script's
    resets: zeros, the same index of the previous batch, the previous epoch's last batch (never
    reset), or a shuffled predecessor."""
    if layout is None or not layout.stateful:
        return "zeros"
    if layout.shuffle:
        return "shuffled"
    if row < feed.batch_size:
        return "previous_epoch" if layout.reset == "never" else "zeros"
    return "zeros" if row in reset_rows(feed, layout.reset) else "previous_batch"


class Probe:
    """A random float64 tanh recurrence run over a feed's X as Keras would run it."""

    def __init__(self, input_dim: int, seed: int = 12345) -> None:
        rng = np.random.default_rng(seed)
        self.w = rng.normal(0, 0.6, (input_dim, PROBE_UNITS))
        self.u = rng.normal(0, 0.4, (PROBE_UNITS, PROBE_UNITS))
        self.b = rng.normal(0, 0.3, PROBE_UNITS)

    def states(self, feed: Feed, carry: bool, reset: str) -> dict[int, bytes]:
        """Per predicted position, the probe's state after its step (as bytes, for exact grouping).

        Args:
            carry: a stateful feed carries row r's final state into row r + batch size (unless
                reset); False starts every row from zeros (what the gradient reaches).
        """
        b, rows, steps = feed.batch_size, feed.samples, feed.timesteps
        x = feed.x.astype(np.float64)
        mask = np.ones((rows, steps)) if feed.step_mask is None else feed.step_mask
        resets = reset_rows(feed, reset)
        ends: dict[int, np.ndarray] = {}
        out: dict[int, bytes] = {}
        for r in range(rows):
            h = np.zeros(PROBE_UNITS)
            if carry and feed.stateful and r >= b and r not in resets:
                h = ends[r - b]
            for t in range(steps):
                if mask[r, t]:
                    h = np.tanh(x[r, t] @ self.w + h @ self.u + self.b)
                p = int(feed.positions[r, t])
                if p >= 0:
                    out[p] = h.tobytes()
            ends[r] = h
        return out


def _reset(mode: ModeResult) -> str:
    return "epoch" if mode.layout is None else mode.layout.reset


def _shuffled(mode: ModeResult) -> bool:
    return mode.layout is not None and mode.layout.shuffle


def groups_of(states: dict[int, bytes]) -> list[list[int]]:
    """Positions in bitwise-identical probe states, every group (singletons too), by first position."""
    by: dict[bytes, list[int]] = defaultdict(list)
    for p in sorted(states):
        by[states[p]].append(p)
    return sorted(by.values())


def ambiguous(groups: list[list[int]], targets: Sequence[Hashable]) -> list[int]:
    return sorted(p for g in groups if len({targets[q] for q in g}) > 1 for p in g)


def floor_of(groups: list[list[int]], targets: Sequence[Any], vocab: int, output: str) -> float:
    """The best loss when each group shares one output: its targets' mean (one-hot or number)."""
    total, n = 0.0, sum(len(g) for g in groups)
    for g in groups:
        ts = [targets[p] for p in g]
        if output == "linear":
            mean = sum(float(t) for t in ts) / len(ts)
            total += sum((float(t) - mean) ** 2 for t in ts) if len(set(ts)) > 1 else 0.0
            continue
        shares = [ts.count(v) / len(ts) for v in range(vocab)]
        if output == "softmax":
            total += len(ts) * -sum(q * math.log(q) for q in shares if q > 0)
        else:
            entropy = [-(q * math.log(q) + (1 - q) * math.log(1 - q)) if 0 < q < 1 else 0.0 for q in shares]
            total += len(ts) * sum(entropy) / vocab
    return total / n


def windows(
    inputs: Sequence[Hashable], lines: list[list[int]], w: int, pad: Hashable
) -> list[tuple[Any, ...]]:
    """Per position the last ``w`` inputs of its own line, padded at the line's start."""
    out: list[tuple[Any, ...]] = [()] * len(inputs)
    for line in lines:
        for j, p in enumerate(line):
            seen = [inputs[q] for q in line[max(0, j - w + 1) : j + 1]]
            out[p] = tuple([pad] * (w - len(seen)) + seen)
    return out


def prefixes(inputs: Sequence[Hashable], lines: list[list[int]]) -> list[tuple[Any, ...]]:
    out: list[tuple[Any, ...]] = [()] * len(inputs)
    for line in lines:
        for j, p in enumerate(line):
            out[p] = tuple(inputs[q] for q in line[: j + 1])
    return out


def unambiguous(keys: Sequence[Hashable], targets: Sequence[Hashable]) -> bool:
    first: dict[Hashable, Hashable] = {}
    return all(first.setdefault(k, t) == t for k, t in zip(keys, targets))


# --- the checks -------------------------------------------------------------------------------


def check_run(result: RunResult) -> Counter[str]:
    """Every fact of every mode and of the run, re-derived; returns the count checked per kind."""
    run, dataset = result.run, result.dataset
    checked: Counter[str] = Counter()
    probe = Probe(dataset.input_dim)
    for mode in run.runs:
        feed = result.feeds[mode.mode]
        checked.update(_check_mode(mode, feed, result, probe))
    for fact in run.facts:
        _check_contrast(fact, run.runs)
        sentence(fact)
        checked[fact.kind] += 1
    checked.update(_check_page(result, probe))
    return checked


def _check_page(result: RunResult, probe: Probe) -> Counter[str]:
    """The page's 'what to look at' lines: the loss chart, the predictions, the contrast."""
    run, dataset = result.run, result.dataset
    lines = loss_lines(run)
    for m in run.runs:
        fell = len(m.loss) > 1 and math.isfinite(m.loss[-1]) and m.loss[-1] < m.loss[0]
        where = (
            ("reached" if m.final_loss - m.loss_floor <= REACHED else "above")
            if m.loss_floor > 0
            else ("falling" if fell else "flat")
        )
        _require(m.mode in getattr(lines, where), lines, f"{m.mode} is {where}")
    look = prediction_look(run)
    if look.mode is not None:
        m = run.mode(look.mode)
        feed = result.feeds[m.mode]
        group = sorted(look.positions)
        _require(
            group in groups_of(probe.states(feed, True, _reset(m))),
            look,
            "one probe group",
        )
        for probabilities in [[p.probabilities for p in m.predictions]] + [
            s.probabilities for s in m.snapshots
        ]:
            _require(
                len({tuple(probabilities[p]) for p in group}) == 1, look, "the same output at every epoch"
            )
    checked = Counter({lines.kind: 1, look.kind: 1})
    pair = contrast_pair(run)
    seen = contrast_look(run, *pair) if pair else None
    if pair and seen is not None:
        stuck, other = run.mode(pair[0]), run.mode(pair[1])
        in_stuck = groups_of(probe.states(result.feeds[stuck.mode], not _shuffled(stuck), _reset(stuck)))
        in_other = groups_of(probe.states(result.feeds[other.mode], not _shuffled(other), _reset(other)))
        _require(sorted(seen.positions) in in_stuck, seen, "one state in the first mode")
        _require(
            seen.apart_in_other == (not any(set(seen.positions) <= set(g) for g in in_other)), seen, "apart"
        )
        _require(
            seen.targets_differ == (len({dataset.target_keys[p] for p in seen.positions}) > 1),
            seen,
            "targets",
        )
        checked[seen.kind] += 1
    return checked


def _check_mode(mode: ModeResult, feed: Feed, result: RunResult, probe: Probe) -> Counter[str]:
    dataset, config = result.dataset, result.run.config
    reset = _reset(mode)
    targets = dataset.target_keys
    k = len(targets)
    carried = probe.states(feed, carry=not _shuffled(mode), reset=reset)
    groups = groups_of(carried)
    ties = ambiguous(groups, targets)
    reach_groups = groups_of(probe.states(feed, carry=False, reset=reset))
    floor = floor_of(groups, targets, dataset.output_dim, config.output)
    output_of = {p.position: p for p in mode.predictions}
    finite = all(math.isfinite(x) for p in mode.predictions for x in p.probabilities)

    # The run's own numbers the facts stand on.
    _require(sorted(carried) == list(range(k)), "feed", "every position is predicted exactly once")
    _require(mode.ties == ties, "ties", f"probe finds {ties}, the run says {mode.ties}")
    _require(math.isclose(mode.loss_floor, floor, rel_tol=1e-9, abs_tol=1e-12), "floor", f"probe: {floor}")
    for p in mode.predictions:
        right = _right(p, dataset, mode) and p.position not in ties and finite
        _require(
            p.correct == right, "prediction", f"position {p.position}: correct={p.correct}, recount {right}"
        )
    _check_feed_table(mode, feed)
    _require(mode.fitted == _fits(mode, dataset, finite), "fitted", f"the run says {mode.fitted}")

    checked: Counter[str] = Counter()
    for fact in mode.facts:
        _check_fact(fact, mode, feed, result, probe, groups, reach_groups, floor, ties)
        words = sentence(fact)
        _require(bool(words), fact, "renders to a sentence")
        checked[fact.kind] += 1
    _check_answer(mode, output_of)
    return checked


ROUNDED = 2e-6  # the JSON keeps 6 decimals: a recount from them is exact only this far from a boundary


def _right(p: Any, dataset: Any, mode: ModeResult) -> bool:
    """A position is right: the top token is its target (tokens), or its squared error is within
    ``TOLERANCE`` of the training targets' variance (numbers, on the scaled values). Read from the
    rounded outputs, so a recount within rounding of the boundary takes the run's word."""
    if dataset.numeric is None:
        probs = p.probabilities
        index = dataset.vocabulary.itos.index(p.predicted)
        _require(probs[index] >= max(probs) - ROUNDED, "prediction", f"position {p.position}: the top token")
        return bool(p.predicted == p.target)
    y = np.asarray(dataset.numeric.y, np.float64)
    variance = float(y.var()) or 1.0
    error, bound = (p.probabilities[0] - y[p.position]) ** 2, TOLERANCE * variance
    if abs(error - bound) < 4 * ROUNDED * (1 + abs(p.probabilities[0] - y[p.position])):
        return bool(p.correct)
    return bool(error <= bound)


def _fits(mode: ModeResult, dataset: Any, finite: bool) -> bool:
    """Training fits its data: every position right but the ties (tokens), or the mean squared
    error within ``TOLERANCE`` of the targets' variance (numbers), and a finite loss."""
    if not finite or not math.isfinite(mode.final_loss):
        return False
    if dataset.numeric is None:
        return all(p.correct or p.tie for p in mode.predictions)
    y = np.asarray(dataset.numeric.y, np.float64)
    out = np.array([p.probabilities[0] for p in mode.predictions])
    error = float(((out - y) ** 2).mean()) / (float(y.var()) or 1.0)
    return mode.fitted if abs(error - TOLERANCE) < 1e-4 else error <= TOLERANCE


def _check_feed_table(mode: ModeResult, feed: Feed) -> None:
    """The feed table's 'state enters from' at each sample's first step is Keras's rule, and
    the batches hold exactly the samples there are."""
    samples = feed.samples
    _require(
        sorted(s for b in mode.feed.batches for s in b) == list(range(samples)),
        "batches",
        "cover the samples",
    )
    _require(
        all(len(b) <= mode.batch_size for b in mode.feed.batches),
        "batches",
        "none larger than the batch size",
    )
    for cell in mode.feed.cells:
        if cell.step == 0:
            want = training_start(feed, mode.layout, cell.sample)
            _require(cell.source.kind == want, "feed table", f"sample {cell.sample} enters from {want}")
            _require(cell.reset == (want == "zeros"), "feed table", f"sample {cell.sample}'s reset mark")


def _check_answer(mode: ModeResult, output_of: dict[int, Any]) -> None:
    """The answer line's mark: ✗ exactly when the stated rule (cannot fit) holds or training
    diverged; ✓ exactly when every position is right."""
    line = answer(mode)
    diverged = not math.isfinite(mode.final_loss)
    want = "✗" if mode.verdict == "cannot fit" or diverged else "✓" if mode.correct == len(output_of) else "…"
    _require(line.mark == want, f"answer {line.text()}", f"mark {want}")
    if "fits every position" in line.headline:
        ties = len(mode.ties)
        _require(mode.correct + ties == len(output_of), f"answer {line.text()}", "right or a tie, each")
        _require(("but its" in line.headline) == (ties > 0), f"answer {line.text()}", f"{ties} ties named")
    if "learned the rule" in line.text() or "memorised the training data" in line.text():
        _require(mode.verdict in ("learned", "memorised"), f"answer {line.text()}", "a test verdict backs it")


def _check_fact(
    fact: Fact,
    mode: ModeResult,
    feed: Feed,
    result: RunResult,
    probe: Probe,
    groups: list[list[int]],
    reach_groups: list[list[int]],
    floor: float,
    ties: list[int],
) -> None:
    dataset, pairs = result.dataset, result.run.pairs
    targets, k = dataset.target_keys, len(dataset.target_keys)
    layout = mode.layout
    if isinstance(fact, Score):
        _require(
            fact.correct == sum(p.correct for p in mode.predictions) and fact.total == k, fact, "recount"
        )
        _require(_same(fact.final_loss, mode.loss[-1]) and _same(fact.floor, floor), fact, "loss and floor")
    elif isinstance(fact, LookAlike):
        _require(sorted(fact.positions) in groups, fact, "exactly one probe group (not several merged)")
        _require(len({targets[p] for p in fact.positions}) > 1, fact, "targets differ")
        _require(fact.targets == sorted({pairs[p][1] for p in fact.positions}), fact, "targets listed")
        if fact.shares is not None:
            needed = [pairs[p][1] for p in fact.positions]
            _require(
                fact.shares == [round(needed.count(t) / len(needed), 4) for t in fact.targets], fact, "shares"
            )
        starts = {training_start(feed, layout, _sample_of(mode, p)) for p in fact.positions}
        want = "zeros" if starts == {"zeros"} else "shuffled" if "shuffled" in starts else "carried"
        _require(fact.start == want, fact, f"their samples start from {starts}")
        if fact.seen == "input":
            _require(
                mode.x_shape[1] == 1 and len({pairs[p][0] for p in fact.positions}) == 1, fact, "one input"
            )
            _require(fact.input == pairs[fact.positions[0]][0], fact, "the input named")
        if fact.seen == "window":
            _require(
                fact.window == mode.x_shape[1] and layout is not None and layout.stride == 1,
                fact,
                "a sliding window",
            )
        if fact.seen == "stream":
            _require(mode.stateful and not _shuffled(mode), fact, "a carried stream")
        if fact.start == "zeros" and fact.seen in ("input", "window", "chunk"):
            for p in fact.positions:  # the replay's own entering state, where the step is the first
                state = mode.states[p]
                if state.step == 0:
                    _require(not any(state.values["h0"]), fact, f"position {p} enters from zeros")
    elif isinstance(fact, SharedBatch):
        b = mode.batch_size
        rows = list(range(fact.batch * b, min((fact.batch + 1) * b, feed.samples)))
        real = [r for r in rows if not feed.sample_sequence or feed.sample_sequence[r] >= 0]
        _require(fact.samples == real and len(real) >= 2, fact, f"batch {fact.batch} holds {real}")
        _require(fact.starts == [training_start(feed, layout, r) for r in real], fact, "each sample's start")
    elif isinstance(fact, TellsApart):
        _require(not ties and floor == 0, fact, "no probe group holds different targets")
        inputs = [x for x, _ in pairs]
        _require(fact.repeated_inputs == (len(set(inputs)) < len(inputs)), fact, "repeated inputs")
    elif isinstance(fact, Memorises):
        beyond = sorted(set(ambiguous(reach_groups, targets)) - set(ties))
        _require(sorted(fact.positions) == beyond, fact, f"the gradient's reach leaves {beyond} alike")
        for g in fact.groups:
            _require(any(set(g) <= set(r) for r in reach_groups), fact, f"{g} is one reach group")
            _require(len({targets[p] for p in g}) > 1 or len(g) == 1, fact, f"{g} needs different targets")
    elif isinstance(fact, FloorGap):
        _require(floor > 0 and fact.reached == (mode.final_loss - floor <= REACHED), fact, "gap")
    elif isinstance(fact, Fix):
        _check_fix(fact, mode, dataset)
    elif isinstance(fact, NotYetLearned):
        wrong = k - mode.correct - len(ties)
        _require(mode.verdict != "cannot fit" and fact.wrong == wrong > 0, fact, f"{wrong} wrong")
        _require(math.isfinite(mode.final_loss), fact, "a finite loss (more epochs cannot mend a nan)")
    elif isinstance(fact, NotConfident):
        _require(mode.correct == k and floor == 0 and mode.final_loss - floor > REACHED, fact, "gap")
    elif isinstance(fact, Diverged):
        first = next(e + 1 for e, x in enumerate(mode.loss) if not math.isfinite(x))
        _require(fact.epoch == first, fact, f"first non-finite loss at epoch {first}")
    elif isinstance(fact, Stopped):
        _require(mode.stopped, fact, "stopped")
    elif isinstance(fact, (Verdict, Unscored)):
        _check_verdict(fact, mode, result, probe, floor)
    elif isinstance(fact, StateMatters):
        _check_state_matters(fact, mode, result)
    else:
        raise Contradiction(f"{fact.kind}: the checker does not know this fact kind")


def _same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def _sample_of(mode: ModeResult, p: int) -> int:
    return next(c.sample for c in mode.feed.cells if c.position == p)


def _check_fix(fact: Fix, mode: ModeResult, dataset: Any) -> None:
    """The smallest window that tells every look-alike position apart, by brute force over the
    lines; the sequence layout's X where the prefixes do; neither only where the prefixes don't."""
    inputs, targets, lines = dataset.input_keys, dataset.target_keys, dataset.lines
    pad: Hashable = None if dataset.numeric is None else (0.0,) * dataset.input_dim
    widest = 32 if dataset.regression else len(inputs)
    working = [
        w
        for w in range(1, min(len(inputs), widest) + 1)
        if unambiguous(windows(inputs, lines, w, pad), targets)
    ]
    _require(fact.window == (working[0] if working else None), fact, f"windows that work: {working[:3]}")
    prefix_ok = unambiguous(prefixes(inputs, lines), targets)
    longest = max(len(line) for line in lines)
    if fact.sequence_shape is not None:
        _require(prefix_ok, fact, "one sample per sequence tells them apart")
        _require(fact.sequence_shape == [len(lines), longest, dataset.input_dim], fact, "the shape")
    if fact.sequence_shape is None and fact.window is None:
        # "every layout that starts each sequence from zeros keeps the floor above zero"
        _require(not prefix_ok, fact, "the prefixes tell every position apart")


def _check_verdict(
    fact: Verdict | Unscored, mode: ModeResult, result: RunResult, probe: Probe, floor: float
) -> None:
    """The verdict from scratch: cannot fit by the floor; otherwise scored on the test positions
    the probe reaches in a state training never reached with that target."""
    dataset = result.dataset
    numbers = dataset.numeric is not None
    y = np.asarray(dataset.numeric.y, np.float64) if numbers else None
    cannot = floor > TOLERANCE * (float(y.var()) or 1.0) if y is not None else floor > 0
    if isinstance(fact, Verdict) and fact.verdict == "cannot fit":
        _require(cannot, fact, "the floor rule")
        return
    _require(not cannot, fact, "a floor that still allows a fit")
    test, prediction = mode.test, result.tests.get(mode.mode)
    _require(test is not None and prediction is not None, fact, "a test pass")
    assert test is not None and prediction is not None
    train_states = probe.states(result.feeds[mode.mode], carry=True, reset=_reset(mode))
    shown = {(train_states[p], dataset.target_keys[p]) for p in train_states}
    test_states = probe.states(prediction.feed, carry=True, reset=prediction.feed.reset)
    test_targets = prediction.dataset.target_keys
    seen = (
        [] if test.carried else sorted(p for p in test_states if (test_states[p], test_targets[p]) in shown)
    )
    _require(sorted(test.seen) == seen, fact, f"test positions seen in training: {seen}")
    test_groups = groups_of(test_states)
    _require(sorted(test.ties) == ambiguous(test_groups, test_targets), fact, "test ties")
    new = [p for p in test.predictions if p.position not in set(seen) | set(test.ties)]
    if isinstance(fact, Unscored):
        _require(not new and mode.verdict is None, fact, f"{len(new)} new test positions")
        _require(fact.seen == len(set(seen) - set(test.ties)) and fact.ties == len(test.ties), fact, "counts")
        return
    _require(bool(new), fact, "some test position is new")
    _require(mode.fitted, fact, "training fits its data")
    if numbers:
        assert y is not None
        right = sum(p.correct for p in new)
        _require((fact.new_right, fact.new_total) == (right, len(new)), fact, f"{right} of {len(new)} right")
        out = np.array([p.probabilities[0] for p in new])
        want = np.array([prediction.dataset.numeric.y[p.position] for p in new])
        error = float(((out - want) ** 2).mean()) / (float(y.var()) or 1.0)
        verdict = "learned" if error <= TOLERANCE else "memorised"
        if abs(error - TOLERANCE) < 1e-4:
            verdict = fact.verdict  # within the JSON's rounding of the boundary
    else:
        right = sum(p.correct for p in new)
        _require(
            (fact.new_right, fact.new_total) == (right, len(new)), fact, f"{right} of {len(new)} new right"
        )
        verdict = "learned" if right >= PREDICTED * len(new) else "memorised"
    _require(fact.verdict == verdict, fact, f"recounted: {verdict}")


def _check_state_matters(fact: StateMatters, mode: ModeResult, result: RunResult) -> None:
    """Changed positions recounted; 'already zero' only where the reset falls on a sample's first
    step that starts from zeros (not stateful-carried, nothing carried in from training)."""
    test = mode.test
    assert test is not None and test.reset_predictions is not None
    changed = [
        a.position
        for a, b in zip(test.predictions, test.reset_predictions)
        if a.position >= fact.reset_at and a.predicted != b.predicted
    ]
    _require(fact.changed == changed, fact, f"changed: {changed}")
    feed = result.tests[mode.mode].feed
    hits = [(r, t) for (r, t), q in np.ndenumerate(feed.input_positions) if q == fact.reset_at]

    def starts_zero(r: int, t: int) -> bool:
        return t == 0 and not (feed.stateful and (r >= feed.batch_size or test.carried))

    zero = all(starts_zero(r, t) for r, t in hits)
    if zero:
        _require(fact.already_zero, fact, "the reset falls where every state starts from zeros")
    elif fact.already_zero:
        # Not zero by the layout: the trained cell must have left exact zeros where the state flows
        # in from (the h the run reports leaving that step; a carried-in start is not reported).
        for r, t in hits:
            if starts_zero(r, t):
                continue
            _, origin = feed.source(r, t)
            _require(origin is not None or test.carried, fact, "a state flows in")
            if origin is not None and feed.positions[origin] >= 0 and test.h is not None:
                h = test.h[int(feed.positions[origin])]
                _require(not any(h), fact, f"the h leaving {origin} is {h[:3]}…, not zeros")


def _check_contrast(fact: Fact, runs: list[ModeResult]) -> None:
    _require(isinstance(fact, Contrast), fact, "the only run fact")
    assert isinstance(fact, Contrast)
    stuck = [m.mode for m in runs if m.verdict == "cannot fit"]
    learned = [m.mode for m in runs if m.correct == len(m.predictions) and math.isfinite(m.final_loss)]
    _require(fact.stuck == stuck and fact.learned == learned, fact, f"stuck {stuck}, fit {learned}")
    for name, reason, window in zip(fact.stuck, fact.reasons, fact.windows):
        mode = next(m for m in runs if m.mode == name)
        shares = any(isinstance(f, SharedBatch) and set(f.starts) == {"zeros"} for f in mode.facts)
        sliding = mode.layout is not None and mode.layout.sliding
        windowed = mode.mode == "window" or sliding
        want = "window" if windowed else "batch" if shares else "layout"
        _require(reason == want, fact, f"{name}: {want}")
        if reason == "window":
            _require(window == mode.x_shape[1], fact, f"{name}'s window of {mode.x_shape[1]}")


TALLY: Counter[str] = Counter()  # over a test session: runs, refusals, facts checked per kind
