"""One description of a run: a frozen dataclass with every option, its checks, and its
conversions to and from a URL query string and command-line arguments."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from seqviz.cells import CELLS
from seqviz.errors import SeqvizError
from seqviz.limits import Limits
from seqviz.losses import OUTPUTS as OUTPUT_TYPES
from seqviz.modes import MODES
from seqviz.sequence import FRAMING_HELP, Dataset, make_dataset

MODE_NAMES = tuple(MODES)
ALL = "all"
OUTPUTS = tuple(OUTPUT_TYPES)
CELL_NAMES = tuple(CELLS)


@dataclass(frozen=True)
class RunConfig:
    sequence: str = "0 1 0 2"  # tokens separated by whitespace and/or commas
    framing: str = "pairs"  # how tokens become (input → target) pairs: pairs | next
    mode: str = ALL  # feeding mode: stateless | stateful | sequence | window | all
    window: int = 2  # inputs per sample in 'window' mode
    units: int = 20  # units per recurrent layer
    epochs: int = 300  # passes over the data
    batch_size: int | None = None  # None: the mode's own default (K, 1, 1, K)
    output: str = "sigmoid"  # sigmoid + binary cross-entropy, or softmax + categorical
    learning_rate: float = 0.001  # Adam's learning rate
    seed: int = 0  # initial weights; the same seed gives the same run
    snapshots: int = 30  # weight snapshots over training, first and last included
    cell: str = "lstm"  # the recurrent cell: lstm | gru | simple_rnn (seqviz.cells)
    layers: int = 1  # stacked recurrent layers, return_sequences=True between them

    @property
    def modes(self) -> tuple[str, ...]:
        return MODE_NAMES if self.mode == ALL else (self.mode,)

    def validate(self, limits: Limits = Limits()) -> Dataset:
        """Check every option against the option table, the data and the limits.

        Returns:
            The parsed dataset, so callers never parse twice.
        Raises:
            SeqvizError: naming the first bad option and what would be accepted.
        """
        for option in OPTIONS:
            option.check(getattr(self, option.name), limits)
        dataset = make_dataset(self.sequence, self.framing, limits)
        k = len(dataset.pairs)
        if "window" in self.modes:
            _check_range("window", self.window, 1, k, why=f" (the number of pairs, K = {k})")
        if self.batch_size is not None:
            _check_range("batch size", self.batch_size, 1, k, why=f" (the number of pairs, K = {k})")
            if k % self.batch_size:
                divisors = [d for d in range(1, k + 1) if k % d == 0]
                raise SeqvizError(
                    f"The batch size {self.batch_size} does not divide the {k} samples; "
                    f"choose one of {', '.join(map(str, divisors))}."
                )
        return dataset

    @classmethod
    def default(cls, limits: Limits = Limits()) -> RunConfig:
        """The defaults, each whole-number option lowered to the server's limit where it is lower
        (a server with ``SEQVIZ_MAX_EPOCHS=100`` opens on 100 epochs, not on an error)."""
        values: dict[str, Any] = {}
        for option in OPTIONS:
            high = option.upper(limits)
            value = getattr(cls, option.name)
            if option.kind == "int" and high is not None and value > high:
                values[option.name] = int(high)
        return cls(**values)

    # --- the URL ---------------------------------------------------------------------

    def to_query(self) -> dict[str, str]:
        """Every option as strings; ``batch_size`` is left out when it is the mode's default."""
        out = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is not None:
                out[f.name] = repr(value) if isinstance(value, float) else str(value)
        return out

    @classmethod
    def from_query(cls, query: Mapping[str, Any], limits: Limits = Limits()) -> RunConfig:
        """The strict reading: any unknown key or malformed value raises SeqvizError."""
        config, notices = cls.from_query_lenient(query, limits)
        if notices:
            raise SeqvizError(notices[0])
        return config

    @classmethod
    def from_query_lenient(
        cls, query: Mapping[str, Any], limits: Limits = Limits()
    ) -> tuple[RunConfig, list[str]]:
        """The URL reading: each bad or unknown parameter falls back to its default.

        Returns:
            The configuration and one notice per parameter that was ignored.
        """
        notices: list[str] = []
        values: dict[str, Any] = {}
        names = {f.name for f in fields(cls)}
        for key, raw in query.items():
            if key not in names:
                notices.append(f"Unknown parameter {_short(key)} was ignored.")
                continue
            if isinstance(raw, (list, tuple)):
                raw = raw[-1] if raw else ""
            try:
                values[key] = OPTION_BY_NAME[key].parse(str(raw))
            except (ValueError, OverflowError):
                notices.append(
                    f"Parameter {key}={_short(raw)} is not valid and was ignored; using the default."
                )
        config = replace(cls.default(limits), **values)
        try:
            config.validate(limits)
            return config, notices
        except SeqvizError:
            pass
        # Values that parse but break a rule (a batch size that does not divide K, say) fall
        # back one by one, each checked beside the options already accepted, so a link always
        # opens on something that can run and each notice names the option it is about.
        base = cls.default(limits)
        numeric = {name: getattr(base, name) for name in _NUMERIC_ORDER}
        accepted = replace(config, **numeric)
        try:
            accepted.validate(limits)
        except SeqvizError as error:
            try:  # a sequence shorter than the default window still runs with a window of 1
                replace(accepted, window=1).validate(limits)
                accepted = replace(accepted, window=1)
                notices.append(f"{error} Using a window of 1.")
            except SeqvizError:
                notices.append(f"{error} The default sequence is shown instead.")
                accepted = replace(accepted, sequence=cls.sequence, framing=cls.framing)
        for name in _NUMERIC_ORDER:
            if getattr(config, name) == numeric[name]:
                continue
            trial = replace(accepted, **{name: getattr(config, name)})
            try:
                trial.validate(limits)
                accepted = trial
            except SeqvizError as error:
                notices.append(f"{error} Using the default {name.replace('_', ' ')}.")
        return accepted, notices

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _check_range(name: str, value: Any, low: int, high: int, why: str = "") -> None:
    if not isinstance(value, int) or isinstance(value, bool):
        raise SeqvizError(f"The {name} must be a whole number; got {value!r}.")
    if not low <= value <= high:
        raise SeqvizError(f"The {name} must be between {low} and {high}{why}; got {value}.")


def _short(value: Any, limit: int = 40) -> str:
    text = repr(str(value))
    return text if len(text) <= limit else text[: limit - 1] + "…'"


def _parse_int(raw: str) -> int:
    return int(raw.strip())


def _parse_optional_int(raw: str) -> int | None:
    return None if raw.strip().lower() in {"", "none", "auto"} else int(raw.strip())


def _parse_float(raw: str) -> float:
    value = float(raw.strip())
    if not math.isfinite(value):
        raise ValueError(raw)
    return value


def _parse_choice(choices: tuple[str, ...]) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        if raw not in choices:
            raise ValueError(raw)
        return raw

    return parse


@dataclass(frozen=True)
class Option:
    """One option of a run: the single description that validation, the URL, the CLI and the
    page's form all read, so they cannot disagree (the Playground's ``PROPS``)."""

    name: str  # the RunConfig field and the URL key; the CLI flag is --name-with-dashes
    kind: str  # "text" | "choice" | "int" | "optional_int" | "float"
    label: str  # the form's label
    help: str  # the form's help and the CLI's --help
    choices: Mapping[str, str] | None = None  # value → one-line help, for "choice"
    low: float | None = None  # the smallest accepted value
    high: float | str | None = None  # the largest: a number, or the name of a Limits field

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    def upper(self, limits: Limits) -> float | None:
        return getattr(limits, self.high) if isinstance(self.high, str) else self.high

    def parse(self, raw: str) -> Any:
        """A URL or CLI string as this option's value; ValueError when it is not one."""
        if self.kind == "choice":
            return _parse_choice(tuple(self.choices or ()))(raw)
        parsers: dict[str, Callable[[str], Any]] = {
            "text": str,
            "int": _parse_int,
            "optional_int": _parse_optional_int,
            "float": _parse_float,
        }
        return parsers[self.kind](raw)

    def check(self, value: Any, limits: Limits) -> None:
        """Raise SeqvizError naming this option and what it accepts, if ``value`` is not accepted."""
        if self.kind == "choice":
            if value not in (self.choices or {}):
                raise SeqvizError(
                    f"Unknown {self.label.lower()} {value!r}; choose one of: {', '.join(self.choices or ())}."
                )
        elif self.kind in ("int", "optional_int") and self.low is not None:
            if value is None and self.kind == "optional_int":
                return
            _check_range(self.label.lower(), value, int(self.low), int(self.upper(limits) or 0))
        elif self.kind == "float":
            high = self.upper(limits)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise SeqvizError(f"The {self.label.lower()} must be a finite number; got {value!r}.")
            if self.low is not None and high is not None and not self.low <= value <= high:
                raise SeqvizError(
                    f"The {self.label.lower()} must be between {self.low:g} and {high:g}; got {value}."
                )
        elif self.kind == "text" and not isinstance(value, str):
            raise SeqvizError(f"The {self.label.lower()} must be text.")


MODE_CHOICES = {ALL: "every mode side by side", **{name: spec.help for name, spec in MODES.items()}}

OPTIONS: tuple[Option, ...] = (
    Option("sequence", "text", "Sequence", "Tokens separated by spaces or commas: numbers, words, anything."),
    Option("framing", "choice", "Framing", "How the tokens become (input → target) pairs.", FRAMING_HELP),
    Option("mode", "choice", "Mode", "How the pairs are fed to the network.", MODE_CHOICES),
    Option("cell", "choice", "Cell", "The recurrent layer.", {n: c.summary for n, c in CELLS.items()}),
    Option(
        "layers",
        "int",
        "Layers",
        "Stacked recurrent layers (return_sequences=True between them).",
        low=1,
        high="max_layers",
    ),
    Option("units", "int", "Units", "Units per recurrent layer.", low=1, high="max_units"),
    Option("epochs", "int", "Epochs", "Passes over the data.", low=1, high="max_epochs"),
    Option(
        "window",
        "int",
        "Window",
        "Inputs per sample in window mode.",
        low=1,
        high="max_tokens",
    ),
    Option(
        "batch_size",
        "optional_int",
        "Batch size",
        "Samples per batch; empty or 0: each mode's own (stateless and window: all K, stateful: 1).",
        low=1,
        high="max_tokens",
    ),
    Option(
        "output",
        "choice",
        "Output",
        "The Dense layer's activation and its loss.",
        {n: o.label for n, o in OUTPUT_TYPES.items()},
    ),
    Option("learning_rate", "float", "Learning rate", "Adam's learning rate.", low=1e-6, high=10.0),
    Option(
        "seed", "int", "Seed", "The initial weights; the same seed gives the same run.", low=0, high=2**31 - 1
    ),
    Option(
        "snapshots",
        "int",
        "Snapshots",
        "Weight snapshots kept over training (the epoch scrubber).",
        low=1,
        high="max_snapshots",
    ),
)
OPTION_BY_NAME = {o.name: o for o in OPTIONS}

_NUMERIC_ORDER = ("batch_size", "window", "layers", "units", "epochs", "snapshots", "seed", "learning_rate")
