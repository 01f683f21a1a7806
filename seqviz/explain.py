"""What happened in a run: facts computed from the run's own numbers (``seqviz.facts``), and
one plain sentence per fact.

Sentences are plain text (tokens quoted as typed); the CLI prints them and the app shows
them without interpreting any markup. Callers choose facts by type, never by parsing text.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

from seqviz.facts import (
    Contrast,
    ContrastLook,
    Diverged,
    Fact,
    Fix,
    FloorGap,
    LookAlike,
    LossLines,
    Memorises,
    NotConfident,
    NotYetLearned,
    PaddingOnly,
    PredictionLook,
    Score,
    SharedBatch,
    StateMatters,
    Stopped,
    TellsApart,
    Unscored,
    Verdict,
)
from seqviz.floor import ambiguous_positions
from seqviz.modes import SHUFFLED, ZEROS, window_keys
from seqviz.regression import TOLERANCE, relative_error
from seqviz.results import ModeResult, Prediction, Run, TestResult
from seqviz.sequence import Dataset
from seqviz.verdicts import PREDICTED, scored_positions

_BELOW_FLOOR = "which is why the loss cannot fall below its floor."  # a hedge's or mean's reason
WIDEST_NUMERIC_WINDOW = 32  # a long CSV is searched for a fixing window up to this width only
REACHED = 0.02  # a final loss within this of the floor counts as having reached it

# What positions that look alike share, for the four compared modes (for any layout: seen()).
SEEN_BY_MODE = {"stateless": "input", "window": "window", "stateful": "stream", "sequence": "prefix"}


def seen(mode: ModeResult) -> str:
    """What reaches the model at a position, in the layout's own terms (the feed's keys)."""
    layout = mode.layout
    if layout is None:
        return SEEN_BY_MODE.get(mode.mode, "input")
    if layout.stateful and not layout.shuffle:
        return "stream"
    if layout.timesteps == "all":
        return "prefix"
    if layout.timesteps == 1:
        return "input"
    return "window" if layout.stride == 1 else "chunk"


def smallest_window(
    inputs: list[Hashable],
    targets: list[Hashable],
    widest: int | None = None,
    sequence_ids: Sequence[int] | None = None,
    pad: Hashable = None,
) -> int | None:
    """The smallest window w (up to ``widest``) for which no two positions with different
    targets look alike. With ``sequence_ids`` (per position), each sequence's windows start
    zero-padded at its own first position, as the window layout feeds them; ``pad`` is what a
    padded step reads as (``Dataset.padding_key``: numbers pad with a real-looking zero)."""
    ids = list(sequence_ids) if sequence_ids is not None else [0] * len(inputs)
    lines = [[p for p, k in enumerate(ids) if k == line] for line in sorted(set(ids))]
    for w in range(1, min(len(inputs), widest or len(inputs)) + 1):
        keys: list[Hashable] = [None] * len(inputs)
        for positions in lines:
            for p, key in zip(positions, window_keys([inputs[p] for p in positions], w, pad)):
                keys[p] = key
        if not ambiguous_positions(keys, targets):
            return w
    return None


def _line_windows(items: Sequence[Any], w: int, sequence_ids: Sequence[int] | None) -> list[tuple[Any, ...]]:
    """Per position its window of ``w`` items, zero-padded (None) at its own sequence's start."""
    ids = list(sequence_ids) if sequence_ids is not None else [0] * len(items)
    out: list[tuple[Any, ...]] = [()] * len(items)
    for line in sorted(set(ids)):
        positions = [p for p, k in enumerate(ids) if k == line]
        for p, key in zip(positions, window_keys([items[p] for p in positions], w)):
            out[p] = key
    return out


PADDING_PAIRS_KEPT = 20  # the pairs a fact lists; it counts them all


def padding_only_pairs(
    inputs: list[Hashable], targets: list[Hashable], w: int, sequence_ids: Sequence[int] | None = None
) -> tuple[list[list[int]], int]:
    """Pairs of positions [p, q] (p < q) with different targets whose windows of ``w`` differ only
    where one of them is padding: they hold the same inputs wherever both hold one. A window tells
    such positions apart only by where their sequence starts, not by anything they read.

    Returns the first ``PADDING_PAIRS_KEPT`` pairs (by the padded position, then the other) and how
    many there are in all. Padding is always a window's prefix, so each pair is found once, from
    its more-padded member."""
    keys = _line_windows(inputs, w, sequence_ids)
    by_suffix: dict[tuple[Any, ...], list[int]] = {}
    padded = sorted({key.count(None) for key in keys if None in key})
    for q, key in enumerate(keys):
        for pad in padded:
            by_suffix.setdefault(key[pad:], []).append(q)
    kept: list[list[int]] = []
    count = 0
    for p, key in enumerate(keys):
        pad = key.count(None)
        if not pad:
            continue
        for q in by_suffix.get(key[pad:], []):
            if keys[q] != key and targets[q] != targets[p]:
                count += 1
                if len(kept) < PADDING_PAIRS_KEPT:
                    kept.append([min(p, q), max(p, q)])
    return kept, count


def _errors(mode: ModeResult) -> tuple[float | None, float | None]:
    """A regression mode's relative errors (MSE over the training targets' variance), train and
    test (the test on its positions new to the mode; None without a test or without any)."""
    train = [float(p.target) for p in mode.predictions]

    def error(predictions: list[Any]) -> float:
        return relative_error([p.predicted for p in predictions], [p.target for p in predictions], train)

    new = [] if mode.test is None else scored_positions(mode.test)
    return error(mode.predictions), error(new) if new else None


def shared_batch(mode: ModeResult) -> SharedBatch | None:
    """The first batch of several samples (stateful: the first whose samples carry a state in from
    the previous batch), with where each sample's first step takes its state from (the feed's own
    wiring); None when every batch holds one sample."""
    found = []
    padding = {c.sample for c in mode.feed.cells if c.sequence is None}
    for b, batch in enumerate(mode.feed.batches):
        samples = [s for s in batch if s not in padding]  # a lane's padding row is no sample
        if len(samples) < 2:
            continue
        first = {c.sample: c.source for c in mode.feed.cells if c.step == 0 and c.sample in samples}
        if any(first[s].kind == "previous_step" or first[s].sample in samples for s in samples):
            return None  # a state passed between samples of one batch: no such sentence to say
        starts = [first[s].kind for s in samples]
        found.append(SharedBatch(mode.mode, b, list(samples), starts, mode.stateful))
    carried = [f for f in found if "previous_batch" in f.starts]
    chosen = carried or found
    return chosen[0] if chosen else None


def _fix_fact(name: str, mode: ModeResult, dataset: Dataset) -> Fix:
    """The layouts that tell every look-alike position apart, and where a window does so only by
    the padding before a sequence's start."""
    widest = WIDEST_NUMERIC_WINDOW if dataset.regression else None
    w = smallest_window(
        dataset.input_keys, dataset.target_keys, widest, dataset.sequence_ids, dataset.padding_key
    )
    return Fix(name, w, name == "window", _sequence_shape(dataset), **_padding(dataset, w))


def _padding(dataset: Dataset, w: int | None) -> dict[str, Any]:
    """``PaddingOnly``'s fields for a window of ``w`` (none without a window)."""
    if w is None:
        return {}
    pairs, count = padding_only_pairs(dataset.input_keys, dataset.target_keys, w, dataset.sequence_ids)
    if not pairs:
        return {}
    typed = _line_windows([str(x) for x, _ in dataset.pairs], w, dataset.sequence_ids)
    return {
        "padding_only": pairs,
        "padding_windows": [list(typed[p]) for p in pairs[0]],
        "padding_count": count,
    }


def _sequence_shape(dataset: Dataset) -> list[int] | None:
    """X as the 'sequence' layout feeds this data (one sample per sequence, every step), when no
    two positions with different targets have seen the same inputs since their sequence's start.
    Asked only of a mode that cannot fit, so that layout is then a fix. There is no shortcut for a
    mode that already feeds whole sequences: a window as long as a sequence still pads its start,
    and a number pads with a real-looking zero. None otherwise."""
    lines = dataset.lines
    longest = max(len(line) for line in lines)
    inputs, prefixes = dataset.input_keys, {}
    for line in lines:
        for j, p in enumerate(line):
            prefixes[p] = tuple(inputs[q] for q in line[: j + 1])
    keys = [prefixes[p] for p in range(len(inputs))]
    if ambiguous_positions(keys, dataset.target_keys):
        return None
    return [dataset.sequence_count, longest, dataset.input_dim]


def _start(mode: ModeResult, positions: list[int]) -> str:
    """Where the samples holding ``positions`` take their first state from in training (the
    feed's own wiring): "zeros" for every one, "shuffled" if any comes from a shuffled order,
    else "carried"."""
    at = {c.position: c.sample for c in mode.feed.cells if c.position is not None}
    first = {c.sample: c.source.kind for c in mode.feed.cells if c.step == 0}
    kinds = {first[at[p]] for p in positions}
    if kinds == {ZEROS}:
        return "zeros"
    return "shuffled" if SHUFFLED in kinds else "carried"


def diverged_at(losses: Sequence[float]) -> int | None:
    """The first epoch (from 1) whose loss is not a finite number, if any."""
    return next((e + 1 for e, loss in enumerate(losses) if not math.isfinite(loss)), None)


def mode_facts(mode: ModeResult, run: Run, dataset: Dataset) -> list[Fact]:
    """Everything the explanation says about one mode, as facts."""
    name, k = mode.mode, len(run.pairs)
    floor, final = mode.loss_floor, mode.final_loss
    facts: list[Fact] = [Score(name, mode.correct, k, final, floor)]
    stuck = mode.verdict == "cannot fit"  # the one rule (seqviz.verdicts.verdict, seqviz.regression)
    # Said where it explains something: a mode that cannot fit (is state not kept within the
    # batch?), or a stateful one (each row carries its own state, not the sample beside it).
    shared = shared_batch(mode) if stuck or mode.stateful else None
    if shared is not None:
        facts.append(shared)
    what = seen(mode)
    ambiguous = set(mode.ambiguous_positions)
    for group in mode.identical_groups:
        if ambiguous.intersection(group):
            targets = sorted({run.pairs[p][1] for p in group})
            shared_input = run.pairs[group[0]][0] if what == "input" else None
            window = mode.x_shape[1] if what == "window" else None
            needed = [run.pairs[p][1] for p in group]
            shares = mean = None
            if dataset.regression:
                mean = round(sum(float(t) for t in needed) / len(needed), 4)
            else:
                shares = [round(needed.count(t) / len(needed), 4) for t in targets]
            start = _start(mode, group)
            facts.append(
                LookAlike(name, list(group), what, shared_input, window, targets, shares, mean, start)
            )
    if floor == 0:
        inputs = [x for x, _ in run.pairs]
        repeated = len(set(inputs)) < len(inputs)
        window = mode.x_shape[1] if what == "window" else None
        contiguous = mode.batch_size == 1 or (mode.layout is not None and mode.layout.arrange == "lanes")
        padding = _padding(dataset, window)
        numbers = dataset.regression
        facts.append(
            TellsApart(name, what, window, mode.batch_size, repeated, contiguous, numbers, **padding)
        )
        if mode.beyond_reach:
            facts.append(Memorises(name, mode.beyond_reach, mode.reach_floor, mode.beyond_groups))
    if mode.stopped:
        facts.append(Stopped(name, mode.epochs))
    broke = diverged_at(mode.loss)
    if broke is not None:
        facts.append(Diverged(name, broke, run.config.learning_rate))
    test = mode.test
    if mode.verdict is not None:
        new = None if test is None else scored_positions(test)
        facts.append(
            Verdict(
                name,
                mode.verdict,
                floor,
                mode.correct,
                k,
                len(mode.ties),
                None if test is None else sum(p.correct for p in test.predictions),
                None if test is None else len(test.predictions),
                *_errors(mode) if dataset.regression else (None, None),
                None if new is None else sum(p.correct for p in new),
                None if new is None else len(new),
            )
        )
    elif test is not None and broke is None and not stuck and mode.fitted:
        ties = set(test.ties)
        facts.append(Unscored(name, len(set(test.seen) - ties), len(ties), len(test.predictions), what))
    if test is not None and test.reset_predictions is not None and test.reset_at is not None:
        at = test.reset_at
        changed = [
            a.position
            for a, b in zip(test.predictions, test.reset_predictions)
            if a.position >= at and a.predicted != b.predicted
        ]
        facts.append(StateMatters(name, at, changed, bool(test.reset_was_zero)))
    if floor > 0:
        facts.append(FloorGap(name, floor, final, final - floor <= REACHED))
        facts.append(_fix_fact(name, mode, dataset))
    if broke is not None or stuck:
        return facts
    hedged = len(mode.ties)
    if mode.correct + hedged < k:
        facts.append(NotYetLearned(name, k - mode.correct - hedged, hedged))
    elif floor == 0 and final - floor > REACHED:
        facts.append(NotConfident(name, final - floor))
    return facts


def run_facts(run: Run) -> list[Fact]:
    """Facts about the modes together."""
    if len(run.runs) < 2:
        return []
    learned = [r.mode for r in run.runs if r.accuracy == 1.0 and math.isfinite(r.final_loss)]
    stuck = [r.mode for r in run.runs if r.verdict == "cannot fit"]
    rule = [r.mode for r in run.runs if r.mode in learned and r.verdict == "learned"]
    memorised = [r.mode for r in run.runs if r.mode in learned and r.verdict == "memorised"]
    unscored = [r.mode for r in run.runs if any(isinstance(f, Unscored) for f in r.facts)]
    reasons, windows = [], []
    for r in run.runs:
        if r.mode in stuck:
            batch = any(isinstance(f, SharedBatch) and set(f.starts) == {ZEROS} for f in r.facts)
            width = r.x_shape[1] if seen(r) == "window" or r.mode == "window" else None
            reasons.append("window" if width is not None else "batch" if batch else "layout")
            windows.append(width)
    return (
        [Contrast(stuck, learned, rule, memorised, unscored, reasons, windows)] if stuck and learned else []
    )


def attach_facts(run: Run, dataset: Dataset) -> None:
    for mode in run.runs:
        mode.facts = mode_facts(mode, run, dataset)
    run.facts = run_facts(run)


# --- sentences -------------------------------------------------------------------------------


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _quote(token: str | None) -> str:
    return "(padding)" if token is None else f"'{token}'"


def _names(items: list[Any]) -> str:
    names = [str(x) for x in items]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _score(f: Score) -> str:
    return (
        f"{f.mode}: {f.correct} of {f.total} positions right, "
        f"final loss {f.final_loss:.4f}, floor {f.floor:.4f}."
    )


def _look_alike(f: LookAlike) -> str:
    what = {
        "input": f"only the input {_quote(f.input)}",
        "window": f"the same last {f.window} inputs",
        "stream": "the same stream of inputs since the last reset",
        "chunk": "the same inputs so far in their chunk",
        "prefix": "the same inputs so far",
    }[f.seen]
    both = "both" if len(f.positions) == 2 else "all"
    differ = f"their targets differ ({', '.join(_quote(t) for t in f.targets)})"
    if f.start == "shuffled":
        text = (
            f"Positions {_names(f.positions)} {both} see {what}; the state carried into their samples comes "
            "from whichever sample preceded them in each epoch's shuffled order, so it changes every epoch "
            f"and cannot tell them apart, but {differ}"
        )
    else:
        start = (
            ", starting from zero state"
            if f.start == "zeros" and f.seen in ("input", "window", "chunk")
            else ""
        )
        text = (
            f"Positions {_names(f.positions)} {both} see {what}{start}, so the network reaches them in the "
            f"same state and must give them the same output, but {differ}"
        )
    if f.mean is not None:
        return f"{text}: the best it can do is their mean, {f.mean:g}, {_BELOW_FLOOR}"
    if not f.shares:
        return text + "."
    if len(set(f.shares)) == 1:
        best = f"{_names([_quote(t) for t in f.targets])} {f.shares[0]:.2g} each"
    else:
        best = _names([f"{_quote(t)} {share:.2g}" for t, share in zip(f.targets, f.shares)])
    return f"{text}: the best it can do is hedge, giving {best}, {_BELOW_FLOOR}"


def _tells_apart(f: TellsApart) -> str:
    token = "input value" if f.numbers else "input token"
    if f.by == "input":
        if f.repeated_inputs:
            return (
                f"Positions that share an {token} share its target here, so the input alone decides "
                "the output and starting from zero state costs nothing."
            )
        return f"Every {token} occurs once, so each position's input alone tells it apart."
    if f.by == "chunk":
        return (
            "Each chunk starts from zero state, and no two positions with different targets have seen "
            "the same inputs so far in their chunk."
        )
    if f.by == "window":
        text = (
            f"Each sample replays its last {f.window} inputs from zero state, and no two positions "
            "with different targets share that window."
        )
        return text + (" " + _padding_text(f) if f.padding_only else "")
    if f.by == "stream":
        carried = (
            "the inputs before it in its lane"
            if f.contiguous
            else f"every {_ordinal(f.batch_size)} input before it (the earlier samples of the same index)"
        )
        if f.batch_size == 1:
            carried = "the inputs before it"
        start = (
            f"After the first batch, each sample starts from the final state that the same index left "
            f"in the previous batch (batch size {f.batch_size}), so the state carries {carried}"
        )
    else:
        start = (
            "Each step starts from the state the previous step left, "
            "so the state carries all the inputs before it"
        )
    if f.repeated_inputs:
        # Carried across batches, the state tells positions apart in the forward pass only: the
        # gradient may stop at a sample's first step (``Memorises`` says so where it matters).
        alike = "and in the forward pass no two" if f.by == "stream" else "and no two"
        return (
            start + f": the same {token.split()[1]} arrives in different states, "
            f"{alike} positions with different targets look alike."
        )
    return start + f"; no {token} repeats here, so each position's own input already tells it apart."


def _floor_gap(f: FloorGap) -> str:
    return f"No weights can bring this mode's loss below {f.floor:.4f}; " + (
        "it got there: the best it can do is hedge between the targets."
        if f.reached
        else f"it is still {f.final_loss - f.floor:.4f} above that."
    )


def _window_text(window: list[str | None]) -> str:
    return "(" + ", ".join("·" if x is None else f"'{x}'" for x in window) + ")"


def _padding_text(f: PaddingOnly) -> str:
    """The sentence for pairs a window tells apart only by the padding at a sequence's start."""
    (p, q), more, windows = f.padding_only[0], f.padding_count - 1, f.padding_windows
    also = f" ({more} more such {'pair' if more == 1 else 'pairs'})" if more else ""
    return (
        f"It tells positions {p} and {q} apart only by the padding (·) from before a sequence's start: "
        f"their windows are {_window_text(windows[0])} and {_window_text(windows[1])}, the same wherever "
        f"both hold an input{also}."
    )


def _fix(f: Fix) -> str:
    if f.sequence_shape is None and f.window is None:
        return (
            "Neither a window nor one sample per sequence tells every look-alike position apart: some have "
            "seen the same inputs since the start of their sequences but need different targets, so every "
            "layout that starts each sequence from zeros keeps the floor above zero."
        )
    text = ""
    if f.sequence_shape is not None:
        count, steps = f.sequence_shape[0], f.sequence_shape[1]
        each = "the sequence as one sample" if count == 1 else f"each of the {count} sequences as one sample"
        text = (
            f"Feed {each} of {'its' if count == 1 else 'up to'} {steps} steps, X {tuple(f.sequence_shape)} "
            "with return_sequences=True ('sequence'), so each step starts from the state the step before "
            "it left"
        )
    if f.window is not None:
        window = (
            f"widen the window to {f.window}"
            if f.widen
            else f"give each sample a window of {f.window} inputs ('window', w = {f.window})"
        )
        if f.padding_only:
            text_of = _padding_text(f)
            window += ", though " + text_of[0].lower() + text_of[1:-1]
        text = f"{text}; or {window}" if text else window[0].upper() + window[1:]
    return text + "."


def _not_yet(f: NotYetLearned) -> str:
    wrong = f"{f.wrong} {'position is' if f.wrong == 1 else 'positions are'} still wrong"
    if f.ties:
        return (
            f"Apart from {f.ties} {'tie' if f.ties == 1 else 'ties'} (look-alike positions whose targets "
            f"differ by less than the tolerance), nothing in the data stops this mode from fitting; {wrong}: "
            "train for more epochs or raise the learning rate."
        )
    return (
        f"Nothing in the data stops this mode from learning every position, but {wrong}: "
        "train for more epochs or raise the learning rate."
    )


def _diverged(f: Diverged) -> str:
    return (
        f"Training diverged: the loss stopped being a finite number at epoch {f.epoch}, so these weights and "
        f"every prediction from them mean nothing. Lower the learning rate (now {f.learning_rate:g})."
    )


def _memorises(f: Memorises) -> str:
    groups = f.groups or [f.positions]
    alike = "; ".join(_names(g) for g in groups)
    head = (
        f"Positions {alike} look alike" if len(groups) == 1 else f"Positions {alike} (each group) look alike"
    )
    return (
        f"{head} within their own samples, and backpropagation "
        "stops at each sample's first step: what tells them apart arrives only in the state carried "
        "from an earlier batch, which the gradient never reaches. A low training loss here comes from "
        "fitting this fixed stream (memorising it), not from learning to carry those inputs "
        f"(with only what the gradient reaches, the floor would be {f.reach_floor:.4f})."
    )


def _number_verdict(f: Verdict) -> str:
    share = f"{TOLERANCE:.0%}"
    train = f"{f.train_right} of {f.train_total} training positions within tolerance"
    if f.verdict == "cannot fit":
        return (
            f"Verdict: cannot fit. The floor is {f.floor:.4f}, more than {share} of the training targets' "
            f"variance, so no weights can predict them: {train}."
        )
    fitted = f"its mean squared error is {f.train_error or 0:.1%} of the targets' variance ({train})"
    test = f"its mean squared error is {f.test_error or 0:.1%} of the training targets' variance"
    if f.new_total is not None and f.test_total is not None and f.new_total < f.test_total:
        test += f", on the {f.new_total} of {f.test_total} test positions new to this mode"
    if f.new_right is not None and f.new_total:
        test += f"; {f.new_right} of those {f.new_total} positions within tolerance"
    test += f"; at most {share} counts as predicted"
    if f.verdict == "memorised":
        return (
            f"Verdict: memorised. Training fits its data ({fitted}), but the test part is not predicted "
            f"({test})."
        )
    return f"Verdict: learned. Training fits its data ({fitted}), and so does the test part ({test})."


def _verdict(f: Verdict) -> str:
    if f.train_error is not None:
        return _number_verdict(f)
    ties = (
        f" ({f.ties} of them ties: positions that look alike but need different targets, never counted right)"
    )
    train = f"{f.train_right} of {f.train_total} training positions right" + (ties if f.ties else "")
    if f.verdict == "cannot fit":
        return (
            f"Verdict: cannot fit. The floor is {f.floor:.4f}, above zero, so no weights fit this "
            f"data: {train}."
        )
    scored = f.new_total if f.new_total is not None else f.test_total
    left_out = (f.test_total or 0) - (scored or 0)
    test = f"{f.test_right} of {f.test_total} test positions right"
    if left_out:
        test += (
            f"; scored on the {scored} new to this mode (no training position reached it the same way with "
            f"that target) and no ties, {f.new_right} right"
        )
    test += f"; {PREDICTED:.0%} right counts as predicted"
    if f.verdict == "memorised":
        return (
            f"Verdict: memorised. Training fits its data ({train}), but the test sequence is not predicted "
            f"({test})."
        )
    return (
        f"Verdict: learned the rule. Training fits its data ({train}), and so does the test "
        f"sequence ({test})."
    )


def _shared_batch(f: SharedBatch) -> str:
    head = f"Samples {_names(f.samples)} are in the same batch (batch {f.batch})"
    rule = "state is not passed between the samples of a batch"
    if set(f.starts) == {"zeros"}:
        within = "" if f.stateful else ", only from one timestep to the next inside a sample"
        return f"{head}, yet each starts from zeros: {rule}{within}."
    if not set(f.starts) <= {"zeros", "previous_batch"}:
        return f"{head}, and no sample of it takes its state from another sample of the same batch: {rule}."
    if set(f.starts) == {"previous_batch"}:
        return (
            f"{head}, and each starts from the state its own row left in the previous batch, not from "
            f"the sample beside it: {rule}."
        )
    zeros = [s for s, k in zip(f.samples, f.starts) if k == "zeros"]
    carried = [s for s, k in zip(f.samples, f.starts) if k == "previous_batch"]
    return (
        f"{head}; sample {_names(zeros)} starts from zeros and sample {_names(carried)} from its own row "
        f"of the previous batch, none from another sample of the batch: {rule}."
    )


# Why a test position a mode has seen in training cannot count toward a verdict.
REPEATS = (
    "the model exactly as a training position with the same target did, which a memorised training set "
    "predicts as well as a learned rule"
)
VIEWS = {  # what a mode sees at a position, as the unscored sentence names it
    "input": "the same input",
    "window": "the same window",
    "chunk": "the same inputs so far in its chunk",
    "prefix": "the same inputs since its sequence's start",
    "stream": "the same stream since the last reset",
}


def _unscored(f: Unscored) -> str:
    parts = []
    if f.seen:
        count = "all" if f.seen == f.total else str(f.seen)
        verb = "reaches" if f.seen == 1 and f.total > 1 else "reach"
        parts.append(f"{count} of its {f.total} positions {verb} {REPEATS} ({VIEWS[f.view]})")
    if f.ties:
        verb = "is a tie" if f.ties == 1 else "are ties"
        parts.append(f"{f.ties} {verb} the data forces to hedge, never counted right")
    return (
        "No verdict: this test sequence cannot tell a learned rule from a memorised one for this mode: "
        f"{'; '.join(parts)}. A test sequence built by the same rule that shows this mode something it was "
        "not trained on would tell."
    )


def _state_matters(f: StateMatters) -> str:
    if f.already_zero:
        return (
            f"The state entering test position {f.reset_at} was already all zeros, so resetting it there "
            "changes nothing and shows nothing: reset where a state flows in (inside a sample, or in a "
            "carried stream)."
        )
    if not f.changed:
        return (
            f"Resetting the state to zeros before test position {f.reset_at} changed no later prediction: "
            f"this mode's predictions from position {f.reset_at} on do not depend on the state carried "
            "into it."
        )
    return (
        f"Resetting the state to zeros before test position {f.reset_at} changed the prediction at "
        f"{_names(f.changed)}: the state is what carried the memory there."
    )


def _stuck_reason(mode: str, reason: str, window: int | None) -> str:
    if reason == "batch":
        return f"{mode} cannot learn this sequence (its samples share a batch but never a state)"
    if reason == "window":
        inputs = "input" if window == 1 else "inputs"
        why = f"a window of {window} {inputs} leaves look-alike positions with different targets"
        return f"{mode} cannot ({why})"
    return f"{mode} cannot (its layout leaves look-alike positions with different targets)"


def _contrast(f: Contrast) -> str:
    reasons = f.reasons or ["layout"] * len(f.stuck)
    windows = f.windows or [None] * len(f.stuck)
    stuck = "; ".join(_stuck_reason(m, r, w) for m, r, w in zip(f.stuck, reasons, windows))
    lead = (
        "State flows across the timesteps of one sample, never across the samples of a batch: "
        if "batch" in reasons
        else ""
    )
    learned = f"{_names(f.learned)} {'fits' if len(f.learned) == 1 else 'fit'} every position of it"
    head = f"{lead}{stuck}; {learned}"
    if not f.rule and not f.memorised:
        if f.unscored:
            return (
                head
                + " (whether that is the rule or memory, this test sequence cannot tell: "
                + "it shows them nothing they were not trained on)."
            )
        return head + " (whether that is the rule or memory, a test sequence tells)."
    parts = []
    if f.rule:
        verb = "predicts" if len(f.rule) == 1 else "predict"
        parts.append(f"{_names(f.rule)} also {verb} the test sequence: the rule was learned")
    if f.memorised:
        verb = "does" if len(f.memorised) == 1 else "do"
        parts.append(
            f"{_names(f.memorised)} {verb} not predict it (under {PREDICTED:.0%} of its new positions "
            "right): the training sequence was memorised"
        )
    return head + "; " + "; ".join(parts) + "."


SENTENCES: dict[type[Fact], Callable[[Any], str]] = {
    Score: _score,
    LookAlike: _look_alike,
    TellsApart: _tells_apart,
    SharedBatch: _shared_batch,
    Stopped: lambda f: f"Training was stopped after {f.epochs} epochs.",
    Diverged: _diverged,
    FloorGap: _floor_gap,
    Fix: _fix,
    NotYetLearned: _not_yet,
    NotConfident: lambda f: (
        f"Every position is right, but the loss is still {f.gap:.4f} above its floor: the outputs are "
        "not yet sure of their targets."
    ),
    Memorises: _memorises,
    Verdict: _verdict,
    Unscored: _unscored,
    StateMatters: _state_matters,
    Contrast: _contrast,
}


def sentence(fact: Fact) -> str:
    return SENTENCES[type(fact)](fact)


def explain_run(mode: ModeResult) -> list[str]:
    """One sentence per fact about one mode, the score first."""
    return [sentence(f) for f in mode.facts]


def explain(run: Run) -> list[str]:
    """Sentences for every mode in a run, then the comparison when there is one."""
    lines = [line for mode in run.runs for line in explain_run(mode)]
    return lines + [sentence(f) for f in run.facts]


# --- the answer first ------------------------------------------------------------------------

# The short verdict of the answer line, by the fact that decides it (test verdicts first).
VERDICT_HEADLINES = {
    "cannot fit": "cannot learn this",
    "memorised": "memorised the training data",
    "learned": "learned the rule",
}


@dataclass(frozen=True)
class Answer:
    """One mode's line at the top of the page: its verdict in a few words, and why.

    ``stuck``: no weights fit the data (a loss floor above zero). ``reason`` is the sentence
    of the fact that explains the verdict, never a canned text.
    """

    mode: str
    headline: str
    reason: str
    correct: int
    total: int
    stuck: bool
    diverged: bool = False  # the loss is not a finite number: nothing is drawn from the weights

    @property
    def mark(self) -> str:
        """The one place a mode's ✓/✗ is chosen: ✗ cannot fit or diverged, ✓ every position right,
        … not yet."""
        if self.stuck or self.diverged:
            return "✗"
        return "✓" if self.correct == self.total else "…"

    def text(self) -> str:
        """The line as plain text (the page sets the mode and headline in bold)."""
        score = f"({self.correct} of {self.total} positions right)"
        return f"{self.mark} {self.mode}: {self.headline} {score}. {self.reason}"


def _first(facts: list[Fact], kind: type[Fact]) -> Any:
    return next((f for f in facts if isinstance(f, kind)), None)


def answer(mode: ModeResult) -> Answer:
    """The answer line of ``mode`` from its facts (``mode.facts``, set by :func:`attach_facts`)."""
    facts = mode.facts
    score: Score | None = _first(facts, Score)
    correct, total = (score.correct, score.total) if score else (mode.correct, len(mode.predictions))
    verdict: Verdict | None = _first(facts, Verdict)
    stuck = verdict is not None and verdict.verdict == "cannot fit"
    diverged: Diverged | None = _first(facts, Diverged)
    if diverged is not None and not stuck:
        headline = f"diverged (the loss is not a number from epoch {diverged.epoch})"
    elif verdict is not None:
        headline = VERDICT_HEADLINES.get(verdict.verdict, verdict.verdict)
    elif stuck:
        headline = VERDICT_HEADLINES["cannot fit"]
    elif _first(facts, NotYetLearned) is not None:
        headline = "has not learned it yet"
    else:
        ties = len(mode.ties)  # numbers: a floor under the tolerance can still leave ties
        fits = "fits every position" + (f" but its {ties} {'tie' if ties == 1 else 'ties'}" if ties else "")
        if _first(facts, Memorises) is not None:
            headline = f"{fits}, by memorising this stream"
        elif _first(facts, Unscored) is not None:
            headline = f"{fits}; its test cannot tell learned from memorised"
        else:
            headline = fits
    if _first(facts, Stopped) is not None:
        headline += " (training was stopped)"
    order: tuple[type[Fact], ...] = (LookAlike, Memorises, NotYetLearned, Unscored, TellsApart, NotConfident)
    if diverged is not None and not stuck:
        order = (Diverged,)
    elif verdict is not None and verdict.verdict == "memorised":
        order = (Memorises, Verdict)  # the gradient cut when it explains it, else the test's numbers
    elif verdict is not None and verdict.verdict == "learned":
        order = (Verdict,)
    reason = next((sentence(f) for kind in order for f in facts if isinstance(f, kind)), "")
    shared = _first(facts, SharedBatch)
    if stuck and shared is not None:  # the newcomer's question: is state kept within the batch?
        reason = sentence(shared) + " " + reason
    if not reason and score is not None:
        reason = sentence(score)
    return Answer(mode.mode, headline, reason, correct, total, stuck, diverged is not None)


def verdict_label(mode: ModeResult) -> str:
    """The verdict as a table or metric shows it; without one, why there is none."""
    if mode.verdict is not None:
        return mode.verdict
    if mode.test is None:
        return "no test sequence"
    unscored: Unscored | None = _first(mode.facts, Unscored)
    if unscored is not None:
        if not unscored.ties:
            return "none: test seen in training"
        return "none: every test position is a tie" if not unscored.seen else "none: test seen or ties"
    return "not fitted yet"


# What each verdict means, as a metric's help shows it (tokens, then numbers).
VERDICT_HELP = {
    "cannot fit": "cannot fit: the floor is above zero",
    "memorised": "memorised: fits the training data, not the test sequence",
    "learned": "learned the rule: fits both",
}
NUMBER_VERDICT_HELP = {
    "cannot fit": "cannot fit: even the loss floor is above 10% of the targets' variance",
    "memorised": "memorised: predicts the training part (R² ≥ 0.9), not the test part",
    "learned": "learned: predicts both parts (R² ≥ 0.9 on each)",
}


def verdict_help(mode: ModeResult, numbers: bool) -> str | None:
    """What ``mode``'s verdict means (``numbers``: a regression run's); None without a verdict."""
    return (NUMBER_VERDICT_HELP if numbers else VERDICT_HELP).get(mode.verdict or "")


def seen_caption(seen: list[int], total: int) -> str:
    """Which test positions this mode saw in training (``seqviz.novelty``): the verdict leaves them out."""
    if not seen:
        return "every test position is new to this mode"
    if len(seen) == total:
        return "every test position was seen in training: no verdict"
    run_ = seen == list(range(seen[0], seen[-1] + 1))
    where = f"{seen[0]}–{seen[-1]}" if run_ and len(seen) > 1 else ", ".join(map(str, seen))
    return f"{'position' if len(seen) == 1 else 'positions'} {where} seen in training, not scored"


def scored_label(test: TestResult, prediction: Prediction) -> str:
    """Whether the verdict scores a test position, as its table says: not one the mode saw in
    training, not a tie (``seqviz.verdicts.scored_positions``)."""
    if prediction.position in test.seen:
        return "no, seen"  # short: a phone shows the whole table (tests/test_teaching_browser.py)
    return "tie" if prediction.tie else "yes"


def contrast_pair(run: Run) -> tuple[str, str] | None:
    """The two modes whose states tell the lesson side by side: one that cannot learn the data
    beside one that fits it (``sequence`` when it does), else the first two modes."""
    names = [m.mode for m in run.runs]
    if len(names) < 2:
        return None
    contrast: Contrast | None = _first(run.facts, Contrast)
    if contrast is not None:
        learned = "sequence" if "sequence" in contrast.learned else contrast.learned[0]
        return contrast.stuck[0], learned
    return names[0], names[1]


# --- the page's guides ---------------------------------------------------------------------------


def loss_lines(run: Run) -> LossLines:
    """What the loss chart shows, from each mode's floor and losses."""
    reached: list[str] = []
    above: list[str] = []
    falling: list[str] = []
    flat: list[str] = []
    for m in run.runs:
        if m.loss_floor > 0:
            (reached if m.final_loss - m.loss_floor <= REACHED else above).append(m.mode)
        elif len(m.loss) > 1 and math.isfinite(m.loss[-1]) and m.loss[-1] < m.loss[0]:
            falling.append(m.mode)
        else:
            flat.append(m.mode)
    return LossLines(reached, above, falling, flat)


def _verb(modes: list[str], one: str, many: str) -> str:
    return f"{_names(modes)} {one if len(modes) == 1 else many}"


def _loss_lines(f: LossLines) -> str:
    def whose(modes: list[str], verb: str = "is") -> str:
        plural = {"is": "are", "was": "were"}[verb]
        return (
            f"{_names(modes)}'s loss {verb}" if len(modes) == 1 else f"the losses of {_names(modes)} {plural}"
        )

    parts = []
    if f.reached:
        parts.append(f"{whose(f.reached)} at the dashed floor, which is above zero: no training goes lower")
    if f.above:
        parts.append(
            f"{whose(f.above)} still above the dashed floor, which is above zero: no training goes below it"
        )
    if f.falling:
        parts.append(
            f"{whose(f.falling, 'was')} lower at the last epoch than at the first, with a floor of zero"
        )
    if f.flat:
        parts.append(
            f"{whose(f.flat, 'was')} no lower at the last epoch than at the first, with a floor of zero"
        )
    return "; ".join(parts) + "."


def prediction_look(run: Run) -> PredictionLook:
    numbers = bool(run.runs) and isinstance(run.runs[0].predictions[0].target, float)
    for m in run.runs:
        fact = next((f for f in m.facts if isinstance(f, LookAlike) and f.start != "shuffled"), None)
        if fact is not None:
            return PredictionLook(numbers, m.mode, list(fact.positions))
    return PredictionLook(numbers, None, [])


def _prediction_look(f: PredictionLook) -> str:
    marks = "the predicted values beside the targets" if f.numbers else "the ✗ marks and the outlined targets"
    if f.mode is None:
        return f"{marks}: no mode here has positions it cannot tell apart."
    same = "the same value" if f.numbers else "the same probabilities"
    return f"{marks}: {f.mode} cannot tell positions {_names(f.positions)} apart, so it gives them {same}."


def contrast_look(run: Run, stuck_name: str, other_name: str) -> ContrastLook | None:
    """The first group of positions sharing one state in ``stuck_name`` (one whose targets differ,
    if any), and whether ``other_name`` tells them apart; None when every state differs."""
    stuck, other = run.mode(stuck_name), run.mode(other_name)
    groups = [g for g in stuck.identical_groups if len(g) > 1]
    if not groups:
        return None
    ambiguous = set(stuck.ambiguous_positions)
    group = next((g for g in groups if ambiguous & set(g)), groups[0])
    targets_differ = len({run.pairs[p][1] for p in group}) > 1
    apart = not any(set(group) <= set(g) for g in other.identical_groups)
    return ContrastLook(stuck.mode, other.mode, list(group), targets_differ, apart)


def _contrast_look(f: ContrastLook) -> str:
    shown = ", ".join(map(str, f.positions[:8]))
    need = "inputs that need different targets" if f.targets_differ else "inputs with the same target"
    then = (
        f"for {f.other} the same columns differ"
        if f.apart_in_other
        else f"for {f.other} they are the same state too"
    )
    same = f"for {f.stuck} their columns are identical, one state for {need}"
    return f"positions {shown} (marked ≡A): {same}; {then}."


SENTENCES.update({LossLines: _loss_lines, PredictionLook: _prediction_look, ContrastLook: _contrast_look})
