"""One description of a run: a frozen dataclass with every option, its checks, and its
conversions to and from a URL query string and command-line arguments."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from seqviz.errors import SeqvizError
from seqviz.limits import Limits
from seqviz.sequence import FRAMINGS, Dataset, make_dataset

MODE_NAMES = ("stateless", "stateful", "sequence", "window")
ALL = "all"
OUTPUTS = ("sigmoid", "softmax")


@dataclass(frozen=True)
class RunConfig:
    sequence: str = "0 1 0 2"  # tokens separated by whitespace and/or commas
    framing: str = "pairs"  # how tokens become (input → target) pairs: pairs | next
    mode: str = ALL  # feeding mode: stateless | stateful | sequence | window | all
    window: int = 2  # inputs per sample in 'window' mode
    units: int = 20  # LSTM units
    epochs: int = 300  # passes over the data
    batch_size: int | None = None  # None: the mode's own default (K, 1, 1, K)
    output: str = "sigmoid"  # sigmoid + binary cross-entropy, or softmax + categorical
    learning_rate: float = 0.001  # Adam's learning rate
    seed: int = 0  # initial weights; the same seed gives the same run
    snapshots: int = 30  # weight snapshots over training, first and last included

    @property
    def modes(self) -> tuple[str, ...]:
        return MODE_NAMES if self.mode == ALL else (self.mode,)

    def validate(self, limits: Limits = Limits()) -> Dataset:
        """Check every option against the data and the limits.

        Returns:
            The parsed dataset, so callers never parse twice.
        Raises:
            SeqvizError: naming the first bad option and what would be accepted.
        """
        if self.mode not in MODE_NAMES + (ALL,):
            raise SeqvizError(f"Unknown mode {self.mode!r}; choose one of: {', '.join(MODE_NAMES + (ALL,))}.")
        if self.framing not in FRAMINGS:
            raise SeqvizError(f"Unknown framing {self.framing!r}; choose one of: {', '.join(FRAMINGS)}.")
        if self.output not in OUTPUTS:
            raise SeqvizError(f"Unknown output {self.output!r}; choose one of: {', '.join(OUTPUTS)}.")
        _check_range("units", self.units, 1, limits.max_units)
        _check_range("epochs", self.epochs, 1, limits.max_epochs)
        _check_range("snapshots", self.snapshots, 1, limits.max_snapshots)
        _check_range("seed", self.seed, 0, 2**31 - 1)
        if not isinstance(self.learning_rate, (int, float)) or not math.isfinite(self.learning_rate):
            raise SeqvizError("The learning rate must be a finite number.")
        if self.learning_rate <= 0 or self.learning_rate > 10:
            raise SeqvizError(f"The learning rate must be above 0 and at most 10; got {self.learning_rate}.")
        dataset = make_dataset(self.sequence, self.framing, limits)
        k = len(dataset.pairs)
        if "window" in self.modes:
            _check_range("window", self.window, 1, k, why=f" (the number of pairs, K = {k})")
        if self.batch_size is not None:
            _check_range("batch size", self.batch_size, 1, k)
            if k % self.batch_size:
                divisors = [d for d in range(1, k + 1) if k % d == 0]
                raise SeqvizError(
                    f"The batch size {self.batch_size} does not divide the {k} samples; "
                    f"choose one of {', '.join(map(str, divisors))}."
                )
        return dataset

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
                values[key] = _PARSERS[key](str(raw))
            except (ValueError, OverflowError):
                notices.append(
                    f"Parameter {key}={_short(raw)} is not valid and was ignored; using the default."
                )
        config = cls(**values)
        try:
            config.validate(limits)
            return config, notices
        except SeqvizError:
            pass
        # Values that parse but break a rule (a batch size that does not divide K, say) fall
        # back one by one, each checked beside the options already accepted, so a link always
        # opens on something that can run and each notice names the option it is about.
        numeric = {name: getattr(cls, name) for name in _NUMERIC_ORDER}
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


def _parse_choice(choices: tuple[str, ...]):
    def parse(raw: str) -> str:
        if raw not in choices:
            raise ValueError(raw)
        return raw

    return parse


_PARSERS = {
    "sequence": str,
    "framing": _parse_choice(tuple(FRAMINGS)),
    "mode": _parse_choice(MODE_NAMES + (ALL,)),
    "window": _parse_int,
    "units": _parse_int,
    "epochs": _parse_int,
    "batch_size": _parse_optional_int,
    "output": _parse_choice(OUTPUTS),
    "learning_rate": _parse_float,
    "seed": _parse_int,
    "snapshots": _parse_int,
}

_NUMERIC_ORDER = ("batch_size", "window", "units", "epochs", "snapshots", "seed", "learning_rate")
