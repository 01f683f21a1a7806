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
        return {"kind": self.kind, **{f.name: getattr(self, f.name) for f in fields(self)}}


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


@dataclass(frozen=True)
class TellsApart(Fact):
    """How a mode with a zero floor tells every pair of differently-targeted positions apart."""

    kind: ClassVar[str] = "tells_apart"
    mode: str
    by: str  # "input" | "window" | "chunk" | "stream" | "prefix"
    window: int | None
    batch_size: int
    repeated_inputs: bool  # whether any input token occurs at more than one position
    contiguous: bool = True  # stateful: each lane is one contiguous stream (batch size 1, or lanes)


@dataclass(frozen=True)
class Stopped(Fact):
    kind: ClassVar[str] = "stopped"
    mode: str
    epochs: int


@dataclass(frozen=True)
class FloorGap(Fact):
    """Where the loss ended relative to a floor above zero."""

    kind: ClassVar[str] = "floor_gap"
    mode: str
    floor: float
    final_loss: float
    reached: bool  # within ``explain.REACHED`` of the floor


@dataclass(frozen=True)
class Fix(Fact):
    """The feeds that would let the model tell the look-alike positions apart."""

    kind: ClassVar[str] = "fix"
    mode: str
    window: int | None  # the smallest sufficient window, if any
    widen: bool  # the mode is already 'window': widen it


@dataclass(frozen=True)
class NotYetLearned(Fact):
    """The floor is zero but some positions are still wrong."""

    kind: ClassVar[str] = "not_yet_learned"
    mode: str
    wrong: int


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


@dataclass(frozen=True)
class StateMatters(Fact):
    """The intervention: a reset before one test position changed later predictions (or not)."""

    kind: ClassVar[str] = "state_matters"
    mode: str
    reset_at: int
    changed: list[int]  # later positions whose predicted token changed


@dataclass(frozen=True)
class Contrast(Fact):
    """Across the modes of one run: which cannot learn the data and which did."""

    kind: ClassVar[str] = "contrast"
    stuck: list[str]
    learned: list[str]  # fit every training position
    rule: list[str] = field(default_factory=list)  # of those, verdict "learned": the test is predicted
    memorised: list[str] = field(default_factory=list)  # verdict "memorised": the test is not


FACTS: dict[str, type[Fact]] = {
    cls.kind: cls
    for cls in (
        Score,
        LookAlike,
        TellsApart,
        Stopped,
        FloorGap,
        Fix,
        NotYetLearned,
        NotConfident,
        Memorises,
        Verdict,
        StateMatters,
        Contrast,
    )
}


def fact_from_json(d: dict[str, Any]) -> Fact:
    cls = FACTS[d["kind"]]
    return cls(**{f.name: d[f.name] for f in fields(cls) if f.name in d})  # newer fields have defaults
