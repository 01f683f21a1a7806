"""The typed result of a run: dataclasses from the whole run down to one step's state.

Code reads attributes; JSON exists only at the edges (``to_json``/``from_json``, the CLI's
``--json``, the downloads). The JSON contract is documented in ``docs/run-json.md`` and
checked against real output by ``docs/run.schema.json``.

Per-step values are keyed by the cell's own names (``seqviz.cells``): an LSTM step holds
``h0 c0 i f g o c h``, a GRU step ``h0 z r hh h``, a SimpleRNN step ``h0 h``, where ``h0``
(``c0``) is the state entering the step and ``h`` (``c``) the state it leaves. Top-level
values are the last recurrent layer's; a stacked run also lists every layer's.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from seqviz.config import RunConfig
from seqviz.facts import Fact, fact_from_json
from seqviz.jsonout import finite

Vector = list[float]
Values = dict[str, Vector]  # a cell's names (h0, c0, i, …, h) → one value per unit


@dataclass(frozen=True)
class Source:
    """Where the state entering a (sample, step) comes from."""

    kind: str  # "zeros" | "previous_step" | "previous_batch"
    sample: int | None = None
    step: int | None = None
    position: int | None = None  # the position predicted at the source, if any

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "sample": self.sample, "step": self.step, "position": self.position}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Source:
        return cls(d["kind"], d.get("sample"), d.get("step"), d.get("position"))


def position_mark(right: bool, tie: bool) -> str:
    """The one place a position's mark is chosen: "tie" where the data forces a hedge (never
    right), ✓ right, ✗ wrong."""
    return "tie" if tie else "✓" if right else "✗"


def as_text(value: str | float) -> str:
    """A token as it is; a number as a short label (``2.5``, ``-0.125``, ``1e-05``)."""
    return value if isinstance(value, str) else f"{value:.6g}"


@dataclass(frozen=True)
class LayoutView:
    """The layout a mode was fed with, as its result records it (``seqviz.layout.Layout``, with
    ``"all"`` for whole-sequence samples, and whether padding is masked)."""

    timesteps: int | str  # steps per sample, or "all"
    stride: int
    stateful: bool
    batch_size: int
    arrange: str  # "lanes" | "rows"
    shuffle: bool
    reset: str  # "epoch" | "never" | "sequence"
    return_sequences: bool
    masked: bool

    @property
    def sliding(self) -> bool:
        """Sliding windows: several steps per sample, stride 1."""
        return isinstance(self.timesteps, int) and self.timesteps > 1 and self.stride == 1

    def to_json(self) -> dict[str, Any]:
        return dict(vars(self))

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> LayoutView | None:
        return cls(**{k: d[k] for k in _fields(cls)}) if d else None


@dataclass(frozen=True)
class Prediction:
    """The trained model's output at one position."""

    position: int
    input: str
    target: str | float  # a token; a number for the linear output (regression)
    predicted: str | float  # the best token; the number predicted, in the target's units
    probability: float  # of the predicted token; the linear output: the model's own output (scaled)
    correct: bool  # the predicted token is the target (numbers: within seqviz.regression's
    # tolerance), and the position is no tie
    probabilities: Vector  # one per vocabulary entry; the linear output: [the model's output]
    tie: bool = False  # looks alike to a position with another target: the best output hedges

    def right_if(self, token: str) -> bool:
        """Whether ``token`` on top here (at any epoch) counts as right: it is the target and this
        is no tie (at a tie the top token is float rounding, so ``correct`` is never true)."""
        return token == self.target and not self.tie

    @property
    def mark(self) -> str:
        return position_mark(self.correct, self.tie)

    @property
    def target_text(self) -> str:
        return as_text(self.target)

    @property
    def predicted_text(self) -> str:
        return as_text(self.predicted)

    def to_json(self) -> dict[str, Any]:
        return dict(vars(self))

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Prediction:
        return cls(**{k: d[k] for k in _fields(cls) if k in d})


@dataclass(frozen=True)
class TestResult:
    """The test sequence, predicted after training as Keras would predict it."""

    tokens: list[str]
    accuracy: float  # right positions / all positions; a tie counts as not right
    loss: float  # the mean loss over the test positions
    ties: list[int]
    predictions: list[Prediction]
    batch_size: int  # model.predict's
    state: str  # "zeros" | "carry"
    carried: bool  # whether a state from training was carried in (stateful layouts only)
    reset_at: int | None = None
    reset_predictions: list[Prediction] | None = None  # the same pass, reset before ``reset_at``
    h: list[Vector] | None = None  # per test position, the last layer's h leaving its step
    reset_h: list[Vector] | None = None  # the same, in the pass reset before ``reset_at``
    # The state the reset set to zeros was all zeros already (it starts a sample, nothing carried in)
    reset_was_zero: bool | None = None
    # Positions that reach the model exactly as a training position with the same target did
    # (``seqviz.novelty``): a memorised training set predicts them as well as a learned rule,
    # so the verdict leaves them out.
    seen: list[int] = field(default_factory=list)

    def changed_by_reset(self) -> list[bool] | None:
        """Per position, whether the pass reset before ``reset_at`` predicts something else
        there (what the state carried); None without a reset."""
        if self.reset_predictions is None:
            return None
        return [
            a.predicted_text != p.predicted_text for p, a in zip(self.predictions, self.reset_predictions)
        ]

    def to_json(self) -> dict[str, Any]:
        out = {k: v for k, v in vars(self).items() if k not in ("predictions", "reset_predictions")}
        out["predictions"] = [p.to_json() for p in self.predictions]
        out["reset_predictions"] = (
            None if self.reset_predictions is None else [p.to_json() for p in self.reset_predictions]
        )
        return out

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> TestResult:
        values = {k: d[k] for k in _fields(cls) if k not in ("predictions", "reset_predictions")}
        reset = d.get("reset_predictions")
        return cls(
            **values,
            predictions=[Prediction.from_json(p) for p in d["predictions"]],
            reset_predictions=None if reset is None else [Prediction.from_json(p) for p in reset],
        )


@dataclass(frozen=True)
class InnerStep:
    """One timestep inside a multi-step sample whose output only the last step gives."""

    step: int
    input: str | None  # None: zero padding
    values: Values
    source: Source
    layers: list[Values] | None = None  # every layer's values, first to last, when stacked

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"step": self.step, "input": self.input, **self.values}
        out["source"] = self.source.to_json()
        if self.layers is not None:
            out["layers"] = self.layers
        return out

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> InnerStep:
        return cls(
            d["step"],
            d["input"],
            _values(d, {"step", "input"}),
            Source.from_json(d["source"]),
            d.get("layers"),
        )


@dataclass(frozen=True)
class StepState:
    """The state at the step that predicts one position."""

    position: int
    sample: int
    step: int
    batch: int
    values: Values  # the last layer's h0 (entering), internals, h (leaving), …
    source: Source
    layers: list[Values] | None = None  # every layer's values, first to last, when stacked
    steps: list[InnerStep] | None = None  # every step of the sample (window-like feeds)

    def value(self, name: str, layer: int | None = None) -> Vector:
        """``name`` at layer ``layer`` (0-based; None: the last layer)."""
        if layer is None or self.layers is None:
            return self.values[name]
        return self.layers[layer][name]

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"position": self.position, "sample": self.sample, "step": self.step}
        out["batch"] = self.batch
        out.update(self.values)
        out["source"] = self.source.to_json()
        if self.layers is not None:
            out["layers"] = self.layers
        if self.steps is not None:
            out["steps"] = [s.to_json() for s in self.steps]
        return out

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> StepState:
        steps = d.get("steps")
        return cls(
            d["position"],
            d["sample"],
            d["step"],
            d["batch"],
            _values(d, {"position", "sample", "step", "batch"}),
            Source.from_json(d["source"]),
            d.get("layers"),
            None if steps is None else [InnerStep.from_json(s) for s in steps],
        )


@dataclass(frozen=True)
class Snapshot:
    """The model at one epoch of training: its outputs and the states it leaves."""

    epoch: int  # 1-based: the weights after this many epochs
    loss: float
    probabilities: list[Vector]  # per position
    states: dict[str, list[Vector]]  # the cell's state names (h, and c for an LSTM) → per position

    def to_json(self) -> dict[str, Any]:
        return {"epoch": self.epoch, "loss": self.loss, "probabilities": self.probabilities, **self.states}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Snapshot:
        states = {k: v for k, v in d.items() if k not in {"epoch", "loss", "probabilities"}}
        return cls(d["epoch"], d["loss"], d["probabilities"], states)


@dataclass(frozen=True)
class FeedCell:
    """One (sample, timestep) of the training array X, for the state-flow diagram."""

    sample: int
    step: int
    batch: int
    index_in_batch: int
    position: int | None  # the position predicted here, or None
    source: Source
    reset: bool  # zeros enter here where state could otherwise flow in
    gradient_cut: bool = False  # state flows in from the previous batch, but backpropagation stops here
    sequence: int | None = None  # the sequence this sample belongs to (None: a lane's padding)
    masked: bool = False  # padding: masked, it carries the state through and trains nothing

    def to_json(self) -> dict[str, Any]:
        out = dict(vars(self))
        out["source"] = self.source.to_json()
        return out

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> FeedCell:
        values = {k: d[k] for k in _fields(cls) if k in d}
        values["source"] = Source.from_json(d["source"])
        return cls(**values)


@dataclass(frozen=True)
class FeedView:
    """X and Y as the model sees them, as tokens and as numbers, and every cell's wiring."""

    description: str
    x_tokens: list[list[str | None]]  # (samples, timesteps); None is zero padding
    y_tokens: list[Any]  # (samples, timesteps) with return_sequences, else (samples,)
    x: list[Any]  # the one-hot array X
    y: list[Any]  # the array Y as Keras takes it
    batches: list[list[int]]  # the samples of each batch
    cells: list[FeedCell]

    def to_json(self) -> dict[str, Any]:
        out = dict(vars(self))
        out["cells"] = [c.to_json() for c in self.cells]
        return out

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> FeedView:
        values = {k: d[k] for k in _fields(cls)}
        values["cells"] = [FeedCell.from_json(c) for c in d["cells"]]
        return cls(**values)


@dataclass
class ModeResult:
    """One feeding mode, trained and replayed."""

    mode: str
    description: str
    x_shape: list[int]
    y_shape: list[int]
    batch_size: int
    stateful: bool
    return_sequences: bool
    epochs: int  # epochs actually trained
    stopped: bool
    loss: list[float]  # per epoch
    final_loss: float
    loss_floor: float  # the lowest loss this mode can reach on this data
    ambiguous_positions: list[int]
    identical_groups: list[list[int]]
    accuracy: float
    predictions: list[Prediction]
    states: list[StepState]  # per position
    snapshots: list[Snapshot]
    feed: FeedView
    trainer: str  # "numpy" | "tensorflow"
    train_seconds: float
    facts: list[Fact] = field(default_factory=list)  # what the explanation says, as data
    layout: LayoutView | None = None  # the layout's options (seqviz.layout.Layout)
    reach_floor: float = 0.0  # the floor if the model could use only what the gradient reaches
    beyond_reach: list[int] = field(default_factory=list)  # told apart only by state from a cut-off batch
    # ``beyond_reach`` in groups: the positions each look-alike view (what the gradient reaches) holds
    beyond_groups: list[list[int]] = field(default_factory=list)
    ties: list[int] = field(default_factory=list)  # positions the floor forces to hedge
    test: TestResult | None = None  # the prediction phase, when a test sequence was given
    verdict: str | None = None  # "cannot fit" | "memorised" | "learned" | None
    fitted: bool = False  # training fits its data (tokens: all right but ties; numbers: MSE rule)
    cell: str = ""  # the recurrent cell's registry key (seqviz.cells.CELLS); "" in older JSON

    @property
    def correct(self) -> int:
        return sum(p.correct for p in self.predictions)

    def to_json(self) -> dict[str, Any]:
        out = {
            k: (({} if v is None else v.to_json()) if k == "layout" else v)
            for k, v in vars(self).items()
            if k not in _NESTED_MODE
        }
        out["predictions"] = [p.to_json() for p in self.predictions]
        out["states"] = [s.to_json() for s in self.states]
        out["snapshots"] = [s.to_json() for s in self.snapshots]
        out["feed"] = self.feed.to_json()
        out["facts"] = [f.to_json() for f in self.facts]
        out["test"] = None if self.test is None else self.test.to_json()
        return out

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> ModeResult:
        values = {k: d[k] for k in _fields(cls) if k not in _NESTED_MODE and k != "layout" and k in d}
        return cls(
            **values,
            predictions=[Prediction.from_json(p) for p in d["predictions"]],
            states=[StepState.from_json(s) for s in d["states"]],
            snapshots=[Snapshot.from_json(s) for s in d["snapshots"]],
            feed=FeedView.from_json(d["feed"]),
            facts=[fact_from_json(f) for f in d.get("facts", [])],
            test=None if d.get("test") is None else TestResult.from_json(d["test"]),
            layout=LayoutView.from_json(d.get("layout") or {}),
        )


@dataclass
class Run:
    """A whole run: its configuration, its data, and every mode's result."""

    version: str
    config: RunConfig
    vocabulary: list[str]
    tokens: list[str]
    pairs: list[tuple[str, str]]  # (input, target) per position
    runs: list[ModeResult]
    stopped: bool = False
    total_seconds: float = 0.0
    facts: list[Fact] = field(default_factory=list)  # about the modes together
    sequence_of: list[int] = field(default_factory=list)  # per pair: its sequence (0 for one line)
    sequences: list[list[str]] = field(default_factory=list)  # each sequence's tokens

    def mode(self, name: str) -> ModeResult:
        return next(r for r in self.runs if r.mode == name)

    def to_json(self) -> dict[str, Any]:
        """The run as strict JSON data: a NaN or infinite number (a diverged loss) is None."""
        data: dict[str, Any] = finite(self._json())
        return data

    def _json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "config": self.config.as_dict(),
            "vocabulary": self.vocabulary,
            "tokens": self.tokens,
            "pairs": [
                {"input": x, "target": y, "sequence": k} for (x, y), k in zip(self.pairs, self.sequence_of)
            ],
            "sequences": self.sequences,
            "runs": [r.to_json() for r in self.runs],
            "stopped": self.stopped,
            "total_seconds": self.total_seconds,
            "facts": [f.to_json() for f in self.facts],
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Run:
        return cls(
            version=d["version"],
            config=RunConfig(**d["config"]),
            vocabulary=list(d["vocabulary"]),
            tokens=list(d["tokens"]),
            pairs=[(p["input"], p["target"]) for p in d["pairs"]],
            runs=[ModeResult.from_json(r) for r in d["runs"]],
            stopped=d["stopped"],
            total_seconds=d["total_seconds"],
            facts=[fact_from_json(f) for f in d.get("facts", [])],
            sequence_of=[p.get("sequence", 0) for p in d["pairs"]],
            sequences=d.get("sequences", [list(d["tokens"])]),
        )


_NESTED_MODE = {"predictions", "states", "snapshots", "feed", "facts", "test"}


def _fields(cls: type) -> list[str]:
    return [f.name for f in dataclasses.fields(cls)]


def _values(d: dict[str, Any], skip: set[str]) -> Values:
    """The per-unit vectors of a step's JSON: every key but the bookkeeping ones."""
    return {k: v for k, v in d.items() if k not in skip and k not in {"source", "layers", "steps"}}
