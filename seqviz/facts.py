"""Facts a run establishes, as data: what the explanation says before it is put in words.

``seqviz.explain`` computes them from a run's own numbers and renders each one to a
sentence; the CLI and the page pick facts by type, never by parsing a sentence. Each fact
is a frozen dataclass; its JSON is its fields plus ``"kind"``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, ClassVar


@dataclass(frozen=True)
class Fact:
    kind: ClassVar[str] = "fact"

    def to_json(self) -> dict[str, Any]:
        ordered = sorted(fields(self), key=lambda f: f.kw_only is True)  # a mixin's fields last
        return {"kind": self.kind, **{f.name: getattr(self, f.name) for f in ordered}}


@dataclass(frozen=True)
class PaddingOnly:
    """For a fact about a window: the pairs of positions (different targets) it tells apart only
    by the zero padding before a sequence's start, the first pair's two windows (inputs as typed,
    None: padding), and how many such pairs there are (``padding_only`` lists the first 20).
    Keyword-only, so they follow every fact's own fields."""

    padding_only: list[list[int]] = field(default_factory=list, kw_only=True)
    padding_windows: list[list[str | None]] = field(default_factory=list, kw_only=True)
    padding_count: int = field(default=0, kw_only=True)


@dataclass(frozen=True)
class Score(Fact):
    """How many positions the trained model gets right, and its loss beside the floor."""

    kind: ClassVar[str] = "score"
    mode: str
    correct: int
    total: int
    final_loss: float
    floor: float


@dataclass(frozen=True)
class LookAlike(Fact):
    """Positions the model cannot tell apart, yet whose targets differ."""

    kind: ClassVar[str] = "look_alike"
    mode: str
    positions: list[int]
    seen: str  # what they share: "input" | "window" | "chunk" | "stream" | "prefix"
    input: str | None  # the shared input token, when ``seen`` is "input"
    window: int | None  # the window length, when ``seen`` is "window"
    targets: list[str]  # their distinct targets
    # Tokens: per target, the share of these positions that need it, which is also the best single
    # output they can all get (the loss floor's output); None for numbers.
    shares: list[float] | None = None
    mean: float | None = None  # numbers: their targets' mean, the best single output
    # The state their samples start from in training: "zeros" (every one of them), "shuffled"
    # (a stateful layer with shuffle: whichever row preceded it that epoch), or "carried".
    start: str = "zeros"


@dataclass(frozen=True)
class SharedBatch(Fact):
    """The first batch that holds several samples, and where each of them starts its state: never
    from another sample of the same batch (zeros, or its own row of the previous batch)."""

    kind: ClassVar[str] = "shared_batch"
    mode: str
    batch: int
    samples: list[int]
    starts: list[str]  # per sample, the source of the state entering its first step
    stateful: bool = False  # the layout carries each row's state into the next batch


@dataclass(frozen=True)
class TellsApart(PaddingOnly, Fact):
    """How a mode with a zero floor tells every pair of differently-targeted positions apart."""

    kind: ClassVar[str] = "tells_apart"
    mode: str
    by: str  # "input" | "window" | "chunk" | "stream" | "prefix"
    window: int | None
    batch_size: int
    repeated_inputs: bool  # whether any input token occurs at more than one position
    contiguous: bool = True  # stateful: each lane is one contiguous stream (batch size 1, or lanes)
    numbers: bool = False  # the inputs are numbers (regression), not tokens


@dataclass(frozen=True)
class Stopped(Fact):
    kind: ClassVar[str] = "stopped"
    mode: str
    epochs: int


@dataclass(frozen=True)
class Diverged(Fact):
    """The loss stopped being a finite number: the weights, and every prediction from them, mean
    nothing, and no other verdict is drawn from them."""

    kind: ClassVar[str] = "diverged"
    mode: str
    epoch: int  # the first epoch (from 1) whose loss is not finite
    learning_rate: float


@dataclass(frozen=True)
class FloorGap(Fact):
    """Where the loss ended relative to a floor above zero."""

    kind: ClassVar[str] = "floor_gap"
    mode: str
    floor: float
    final_loss: float
    reached: bool  # within ``explain.REACHED`` of the floor


@dataclass(frozen=True)
class Fix(PaddingOnly, Fact):
    """The feeds that would let the model tell the look-alike positions apart."""

    kind: ClassVar[str] = "fix"
    mode: str
    window: int | None  # the smallest sufficient window, if any
    widen: bool  # the mode is already 'window': widen it
    # The 'sequence' layout's X for this data: one sample per sequence, every step of it.
    sequence_shape: list[int] | None = None


@dataclass(frozen=True)
class NotYetLearned(Fact):
    """The floor is zero but some positions are still wrong."""

    kind: ClassVar[str] = "not_yet_learned"
    mode: str
    wrong: int  # positions neither right nor ties
    ties: int = 0  # numbers: positions a floor far under the tolerance still makes look alike


@dataclass(frozen=True)
class NotConfident(Fact):
    """Every position is right but the loss is still well above the floor."""

    kind: ClassVar[str] = "not_confident"
    mode: str
    gap: float


@dataclass(frozen=True)
class Memorises(Fact):
    """Positions told apart only by state carried across a gradient cut: the model can fit them
    on this fixed stream, but the gradient never teaches it to carry what tells them apart."""

    kind: ClassVar[str] = "memorises"
    mode: str
    positions: list[int]
    reach_floor: float  # the floor if only what the gradient reaches could be used
    # The positions in groups that look alike within their own samples (one group per shared
    # view), each group with different targets.
    groups: list[list[int]] = field(default_factory=list)


@dataclass(frozen=True)
class Verdict(Fact):
    """Cannot fit, memorised, or learned: from the floor, the training and the test predictions."""

    kind: ClassVar[str] = "verdict"
    mode: str
    verdict: str  # "cannot fit" | "memorised" | "learned"
    floor: float
    train_right: int  # training positions right (ties never count)
    train_total: int
    ties: int  # training positions the floor forces to hedge
    test_right: int | None  # test positions right, when there is a test sequence
    test_total: int | None
    # Numbers (regression): each part's mean squared error over its targets' variance (1 - R²).
    train_error: float | None = None
    test_error: float | None = None
    # Tokens: the test positions the verdict is scored on (neither ties nor a repeat of the
    # training data, ``seqviz.novelty``), and how many of them are right.
    new_right: int | None = None
    new_total: int | None = None


@dataclass(frozen=True)
class Unscored(Fact):
    """Training fits, but every test position reaches the model exactly as a training position with
    the same target did (``seqviz.novelty``), or is a tie: a memorised training set predicts such a
    test as well as a learned rule, so there is no verdict."""

    kind: ClassVar[str] = "unscored"
    mode: str
    seen: int  # test positions that reach the model as a training position with their target did
    ties: int  # test positions the data forces to hedge
    total: int
    view: str = "prefix"  # what the mode sees at a position (``LookAlike.seen``'s values)


@dataclass(frozen=True)
class StateMatters(Fact):
    """The intervention: a reset before one test position changed later predictions (or not)."""

    kind: ClassVar[str] = "state_matters"
    mode: str
    reset_at: int
    changed: list[int]  # later positions whose predicted token changed
    # The state entering ``reset_at`` in the untouched pass was already all zeros (it starts a
    # sample and nothing is carried in, or the trained cell left exact zeros): the reset changed
    # nothing, so it shows nothing.
    already_zero: bool = False


@dataclass(frozen=True)
class Contrast(Fact):
    """Across the modes of one run: which cannot learn the data and which did."""

    kind: ClassVar[str] = "contrast"
    stuck: list[str]
    learned: list[str]  # fit every training position
    rule: list[str] = field(default_factory=list)  # of those, verdict "learned": the test is predicted
    memorised: list[str] = field(default_factory=list)  # verdict "memorised": the test is not
    # Fit, with a test sequence, but no verdict: the test showed those modes nothing new.
    unscored: list[str] = field(default_factory=list)
    # Per stuck mode, why: "batch" (samples of one step share a batch but never a state: its
    # SharedBatch fact), "window" (a window too narrow: ``windows`` gives its width), "layout".
    reasons: list[str] = field(default_factory=list)
    windows: list[int | None] = field(default_factory=list)


# --- the page's guides: what a section tells the reader to look at, backed by the run --------


@dataclass(frozen=True)
class LossLines(Fact):
    """What the loss chart shows, per mode: a floor above zero reached or still above, and
    whether a zero-floor line fell (its last loss below its first)."""

    kind: ClassVar[str] = "loss_lines"
    reached: list[str]  # floor above zero, the loss within ``explain.REACHED`` of it
    above: list[str]  # floor above zero, the loss still further above it
    falling: list[str]  # floor zero, the loss fell over training
    flat: list[str]  # floor zero, the loss did not fall (or is not a number)


@dataclass(frozen=True)
class PredictionLook(Fact):
    """What the prediction chart shows: the first look-alike group of a mode (the same output at
    every one of its positions), or none."""

    kind: ClassVar[str] = "prediction_look"
    numbers: bool  # a line chart of values, not a heatmap of probabilities
    mode: str | None  # the first mode with positions it cannot tell apart
    positions: list[int]


@dataclass(frozen=True)
class ContrastLook(Fact):
    """The contrast's two state heatmaps: positions that share one state in the first mode, whether
    their targets differ, and whether the second mode tells them apart (not one shared state)."""

    kind: ClassVar[str] = "contrast_look"
    stuck: str
    other: str
    positions: list[int]
    targets_differ: bool
    apart_in_other: bool


FACTS: dict[str, type[Fact]] = {
    cls.kind: cls
    for cls in (
        Score,
        LookAlike,
        SharedBatch,
        TellsApart,
        Stopped,
        Diverged,
        FloorGap,
        Fix,
        NotYetLearned,
        NotConfident,
        Memorises,
        Unscored,
        Verdict,
        StateMatters,
        Contrast,
        LossLines,
        PredictionLook,
        ContrastLook,
    )
}


def fact_from_json(d: dict[str, Any]) -> Fact:
    cls = FACTS[d["kind"]]
    return cls(**{f.name: d[f.name] for f in fields(cls) if f.name in d})  # newer fields have defaults
