"""One description of a run: a frozen dataclass with every option, its checks, and its
conversions to and from a URL query string and command-line arguments."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from seqviz.cells import CELLS
from seqviz.csvdata import TARGET_ROWS, TargetRow, csv_datasets
from seqviz.errors import SeqvizError
from seqviz.layout import ALL_STEPS, ARRANGEMENTS, RESETS, Arrange, Reset
from seqviz.limits import Limits
from seqviz.losses import OUTPUTS as OUTPUT_TYPES
from seqviz.losses import REGRESSION, OutputName
from seqviz.modes import COMPARED, MODES, Feed
from seqviz.numeric import numeric_dataset
from seqviz.plan import Plan
from seqviz.predict import STATE_POLICIES, PredictionFeed, StatePolicy, prediction_feed
from seqviz.scaling import SCALINGS, ScalingKind
from seqviz.sequence import FRAMING_HELP, Dataset, Framing, make_dataset
from seqviz.trainer import NUMPY_MAX_UNITS, keeps_final_states

MODE_NAMES = COMPARED  # the modes "all" trains side by side; MODES has the other presets too
ALL = "all"
OUTPUTS = tuple(OUTPUT_TYPES)
CELL_NAMES = tuple(CELLS)


@dataclass(frozen=True)
class RunConfig:
    sequence: str = "0 1 0 2"  # tokens separated by whitespace and/or commas
    framing: Framing = "pairs"  # how tokens become (input → target) pairs: pairs | next
    mode: str = ALL  # feeding mode: stateless | stateful | sequence | window | all
    window: int = 2  # inputs per sample in 'window' mode
    units: int = 20  # units per recurrent layer
    epochs: int = 300  # passes over the data
    batch_size: int | None = None  # None: the mode's own default (K, 1, 1, K)
    output: OutputName = "sigmoid"  # sigmoid + binary cross-entropy, or softmax + categorical
    learning_rate: float = 0.001  # Adam's learning rate
    seed: int = 0  # initial weights; the same seed gives the same run
    snapshots: int = 30  # weight snapshots over training, first and last included
    cell: str = "lstm"  # the recurrent cell: a key of seqviz.cells.CELLS (lstm, gru, simple_rnn, gru_v1)
    layers: int = 1  # stacked recurrent layers, return_sequences=True between them
    # The layout, read by mode "custom" only (the presets fix their own; seqviz.layout):
    timesteps: str = "1"  # steps per sample: a number, or "all" (each sample a whole sequence)
    stride: int | None = None  # 1: sliding windows; = timesteps (None): consecutive chunks
    stateful: bool = False  # carry each sample's final state into the same index of the next batch
    arrange: Arrange = "lanes"  # stateful batches of several samples: lanes (streams) | rows (the mistake)
    shuffle: bool = False  # a new sample order every epoch, as fit(shuffle=True)
    reset: Reset = "epoch"  # stateful: reset after every epoch | never | between sequences
    return_sequences: bool = False  # train the output of every step, not only the last
    # The prediction phase (seqviz.predict): a test sequence, predicted after training.
    test_sequence: str = ""  # tokens of the training vocabulary, framed like the training text
    predict_batch_size: int = 1  # model.predict's batch size (a stateful model is rebuilt for it)
    predict_state: StatePolicy = "zeros"  # start from zeros, or carry the state training ended in
    reset_at: int | None = None  # a test position: the state is reset to zeros before its input
    # Numbers (output "linear", mean squared error): the typed tokens read as numbers, or a CSV.
    scaling: ScalingKind = "none"  # none | standardise (seqviz.numeric.SCALINGS), stated in the export
    csv: str = ""  # CSV text (rows are timesteps, columns features); replaces the sequence
    target: str = ""  # the CSV's target column; empty: its last column
    features: str = ""  # the CSV's feature columns, comma-separated; empty: every column
    # (target_row "next") or every column but the target ("same")
    target_row: TargetRow = "next"  # predict the target's next value, or the same row's
    test_rows: int = 0  # the CSV's last rows kept apart as a test part (0: none)

    @property
    def modes(self) -> tuple[str, ...]:
        return COMPARED if self.mode == ALL else (self.mode,)

    def validate(self, limits: Limits = Limits()) -> Dataset:
        """Check every option (see :meth:`plan`); returns the parsed dataset."""
        return self.plan(limits).dataset

    def plan(self, limits: Limits = Limits()) -> Plan:
        """Check every option against the option table, the data and the limits, so that a
        configuration that passes trains and predicts to the end (nothing is refused later),
        and return the run's plan: the dataset, each mode's feed and test feed, built once.

        Raises:
            SeqvizError: naming the first bad option and what would be accepted.
        """
        for option in OPTIONS:
            option.check(getattr(self, option.name), limits)
        dataset = self.dataset(limits)
        k = len(dataset.pairs)
        if "window" in self.modes:
            _check_range("window", self.window, 1, k, why=f" (the number of pairs, K = {k})")
        if self.batch_size is not None:
            _check_range("batch size", self.batch_size, 1, k, why=f" (the number of pairs, K = {k})")
        self._check_mode_reads_options()
        if self.timesteps != ALL_STEPS:
            _check_range("timesteps", int(self.timesteps), 1, k, why=f" (the number of pairs, K = {k})")
        if self.uses_csv and self.test_sequence.strip():
            raise SeqvizError(
                "A test sequence does not apply to a CSV: its test part is its last rows; set the test "
                "rows option instead (0: no test part)."
            )
        feeds = {mode: MODES[mode](dataset, self) for mode in self.modes}  # each layout's own rules
        test_part = self.test_part(limits)
        tests = {} if test_part is None else self._check_prediction(dataset, feeds, test_part)
        return Plan(dataset, feeds, tests)

    def _check_mode_reads_options(self) -> None:
        """A single mode refuses a layout option it does not read (a value other than the
        default), rather than ignore it. (The window, read by two modes, is refused by the CLI
        only when its flag is given: the form and the URL always carry one.)"""
        if self.mode == ALL:
            return
        spec = MODES[self.mode]
        for name in LAYOUT_OPTIONS:
            if name not in spec.options and getattr(self, name) != getattr(RunConfig, name):
                raise SeqvizError(
                    f"The {OPTION_BY_NAME[name].label.lower()} option does not apply to mode "
                    f"{self.mode!r} ({spec.help}); it applies to: "
                    f"{', '.join(m for m, s in MODES.items() if name in s.options)}."
                )

    def _check_prediction(
        self, dataset: Dataset, feeds: dict[str, Feed], test_part: str | Dataset
    ) -> dict[str, PredictionFeed]:
        """The test part as each mode predicts it, checked here so that nothing is refused
        after training: its tokens, batch size, reset position and the state it starts from."""
        carry = self.predict_state == "carry"
        tests = {}
        if carry and not any(feed.stateful for feed in feeds.values()):
            raise SeqvizError(
                f"Predict from 'carry' needs a stateful mode: a stateless model starts every predict call "
                f"from zeros, so there is no state to carry (mode {self.mode!r} is not stateful). Choose "
                "'zeros', or a stateful mode: stateful, chunks, lanes, rows, or custom with stateful on."
            )
        for mode, feed in feeds.items():
            test = tests[mode] = prediction_feed(
                test_part,
                self.framing,
                dataset,
                feed,
                self.predict_batch_size,
                self.predict_state,
                self.seed,
            )
            positions = len(test.dataset.pairs)
            if self.reset_at is not None and self.reset_at >= positions:
                raise SeqvizError(
                    f"The reset position must be a test position, 0 to {positions - 1}; got {self.reset_at}."
                )
            if test.carried and not keeps_final_states(self.units, feed):
                raise SeqvizError(
                    f"Predict from 'carry' needs a model of at most {NUMPY_MAX_UNITS} units here: larger "
                    "models train in TensorFlow's graph, which does not keep the state training ended in; "
                    f"got {self.units} units. Lower the units or predict from 'zeros'."
                )
        return tests

    @property
    def uses_csv(self) -> bool:
        return bool(self.csv.strip())

    def dataset(self, limits: Limits = Limits()) -> Dataset:
        """The training data: typed tokens, typed numbers (output linear), or a CSV's rows.

        Raises:
            SeqvizError: the text, numbers or file cannot be read as the options ask.
        """
        if self.uses_csv:
            if self.output != REGRESSION:
                raise SeqvizError(
                    f"A CSV holds numbers: choose the output {REGRESSION!r} (mean squared error); "
                    f"got {self.output!r}."
                )
            return self._csv(limits)[0]
        if self.output == REGRESSION:
            return numeric_dataset(self.sequence, self.framing, self.scaling, limits)
        return make_dataset(self.sequence, self.framing, limits)

    def _csv(self, limits: Limits) -> tuple[Dataset, Dataset | None]:
        return csv_datasets(
            self.csv, self.target, self.features, self.target_row, self.scaling, self.test_rows, limits
        )

    def test_part(self, limits: Limits = Limits()) -> str | Dataset | None:
        """What is predicted after training: a CSV's last ``test_rows`` rows, the test
        sequence's text (framed later with the training vocabulary or scaling), or None."""
        if self.uses_csv:
            return self._csv(limits)[1]
        return self.test_sequence if self.test_sequence.strip() else None

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
                accepted = replace(accepted, sequence=cls.sequence, framing=cls.framing, csv=cls.csv)
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


def _parse_int_or_default(raw: str) -> int | None:
    """An optional whole number whose 0, like empty, means the default (None)."""
    return _parse_optional_int(raw) or None


def _parse_float(raw: str) -> float:
    value = float(raw.strip())
    if not math.isfinite(value):
        raise ValueError(raw)
    return value


def _parse_bool(raw: str) -> bool:
    text = raw.strip().lower()
    if text in {"1", "true", "yes", "on"}:
        return True
    if text in {"0", "false", "no", "off"}:
        return False
    raise ValueError(raw)


def _parse_steps(raw: str) -> str:
    text = raw.strip().lower()
    if text == ALL_STEPS:
        return ALL_STEPS
    if not text.isdigit() or int(text) < 1:
        raise ValueError(raw)
    return str(int(text))


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
    kind: str  # "text" | "choice" | "int" | "optional_int" | "float" | "bool" | "steps" (N or "all")
    label: str  # the form's label
    help: str  # the form's help and the CLI's --help
    choices: Mapping[str, str] | None = None  # value → one-line help, for "choice"
    low: float | None = None  # the smallest accepted value
    high: float | str | None = None  # the largest: a number, or the name of a Limits field
    zero_is_default: bool = False  # "optional_int": 0, like empty, means None (the default)

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    def upper(self, limits: Limits) -> float | None:
        return getattr(limits, self.high) if isinstance(self.high, str) else self.high

    def parse(self, raw: str) -> Any:
        """A URL or CLI string as this option's value; ValueError when it is not one."""
        if self.kind == "choice":
            return _parse_choice(tuple(self.choices or ()))(raw)
        if self.zero_is_default:
            return _parse_int_or_default(raw)
        parsers: dict[str, Callable[[str], Any]] = {
            "text": str,
            "bool": _parse_bool,
            "steps": _parse_steps,
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
        elif self.kind == "bool" and not isinstance(value, bool):
            raise SeqvizError(f"The {self.label.lower()} option is on or off (true or false); got {value!r}.")
        elif self.kind == "steps":
            try:
                _parse_steps(str(value))
            except ValueError:
                raise SeqvizError(
                    f"The timesteps must be a whole number of at least 1, or 'all'; got {value!r}."
                ) from None


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
        "Inputs per sample in window mode (steps per chunk in chunks mode).",
        low=1,
        high="max_tokens",
    ),
    Option(
        "batch_size",
        "optional_int",
        "Batch size",
        "Samples per batch; empty or 0: each mode's own (stateless and window: all K, stateful: 1, "
        "sequence: every sequence in one batch).",
        low=1,
        high="max_tokens",
        zero_is_default=True,
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
OPTIONS += (
    Option(
        "timesteps",
        "steps",
        "Timesteps",
        "Steps per sample: a number, or 'all' (each sample a whole sequence).",
    ),
    Option(
        "stride",
        "optional_int",
        "Stride",
        "1: sliding windows, one per position; empty or equal to the timesteps: consecutive chunks.",
        low=1,
        high="max_tokens",
    ),
    Option(
        "stateful",
        "bool",
        "Stateful",
        "stateful=True: sample i of each batch continues sample i of the last.",
    ),
    Option(
        "arrange", "choice", "Arrangement", "How a stateful batch of several samples is filled.", ARRANGEMENTS
    ),
    Option(
        "shuffle",
        "bool",
        "Shuffle",
        "A new order of the samples every epoch, as fit(shuffle=True) draws without a global seed.",
    ),
    Option("reset", "choice", "Reset", "When a stateful layer's state goes back to zeros.", RESETS),
    Option(
        "return_sequences",
        "bool",
        "Return sequences",
        "Train the output of every step, not only the last one.",
    ),
)
OPTION_BY_NAME = {o.name: o for o in OPTIONS}
OPTIONS += (
    Option(
        "test_sequence",
        "text",
        "Test sequence",
        "Predicted after training, to tell learning the rule from memorising the data (optional).",
    ),
    Option(
        "predict_batch_size",
        "int",
        "Predict batch size",
        "model.predict's batch size; a stateful model is rebuilt with it and the weights copied in.",
        low=1,
        high="max_tokens",
    ),
    Option(
        "predict_state", "choice", "Predict from", "The state the prediction starts from.", STATE_POLICIES
    ),
    Option(
        "reset_at",
        "optional_int",
        "Reset at",
        "A test position: the state is reset to zeros just before its input (empty: no reset).",
        low=0,
        high="max_tokens",
    ),
)
OPTIONS += (
    Option(
        "scaling",
        "choice",
        "Scaling",
        "Numbers only: how features and target are scaled before training (stated in the export).",
        SCALINGS,
    ),
    Option(
        "csv",
        "text",
        "CSV",
        "A time series: a header row of column names, then one row of numbers per timestep "
        "(replaces the sequence; needs the linear output).",
    ),
    Option("target", "text", "Target column", "The CSV column to predict (empty: the last column)."),
    Option(
        "features",
        "text",
        "Feature columns",
        "The CSV columns the model reads, comma-separated (empty: every column, or every other one "
        "when the target is in the same row).",
    ),
    Option("target_row", "choice", "Target row", "Which row's target value is predicted.", TARGET_ROWS),
    Option(
        "test_rows",
        "int",
        "Test rows",
        "The CSV's last rows, kept apart and predicted after training (0: no test part).",
        low=0,
        high="max_csv_rows",
    ),
)
OPTION_BY_NAME = {o.name: o for o in OPTIONS}
LAYOUT_OPTIONS = ("timesteps", "stride", "stateful", "arrange", "shuffle", "reset", "return_sequences")

# The options that fall back to their defaults one by one when a URL's values break a rule.
_NUMERIC_ORDER = (
    "batch_size",
    "window",
    "timesteps",
    "stride",
    "stateful",
    "arrange",
    "shuffle",
    "reset",
    "return_sequences",
    "layers",
    "units",
    "epochs",
    "snapshots",
    "seed",
    "learning_rate",
    "test_sequence",
    "predict_batch_size",
    "predict_state",
    "reset_at",
    "scaling",
    "target",
    "features",
    "target_row",
    "test_rows",
)
