"""The command line: ``python -m seqviz run --sequence "0 1 0 2" --mode all``.

Bad input prints one line on stderr and exits with status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

from seqviz.cells import CELLS
from seqviz.config import ALL, OPTION_BY_NAME, OPTIONS, Option, RunConfig
from seqviz.csvdata import read_file
from seqviz.errors import SeqvizError
from seqviz.facts import Contrast, Fix, Score
from seqviz.jsonout import dumps
from seqviz.limits import Limits, limits_from_env
from seqviz.losses import REGRESSION
from seqviz.modes import MODES

if TYPE_CHECKING:
    from seqviz.results import ModeResult, Prediction, Run

EXIT_BAD_INPUT = 2
_TYPES = {"text": str, "choice": str, "int": int, "optional_int": int, "float": float, "steps": str}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # argparse prints usage plus the message; a person needs one line that says what to fix.
        # Control characters in an argument are shown escaped, so the message stays one line.
        shown = "".join(c if c.isprintable() else repr(c)[1:-1] for c in message)
        raise SeqvizError(f"{shown} (see: python -m seqviz run --help)")


def _argument_type(option: Option) -> Callable[[str], Any]:
    """How argparse reads the flag: as the URL does (``Option.parse``) where empty or 0 have a
    meaning (an optional whole number), otherwise the plain type."""
    if option.kind != "optional_int":
        return _TYPES[option.kind]

    def parse(raw: str) -> Any:
        return option.parse(raw)

    parse.__name__ = "int"  # argparse names the type in its message: "invalid int value"
    return parse


def _parser(given_only: bool = False) -> argparse.ArgumentParser:
    """The ``run`` command's flags, one per option of ``seqviz.config.OPTIONS``.

    Args:
        given_only: no defaults, so the parsed namespace holds only the flags that were given.
    """
    defaults = RunConfig.default(limits_from_env())
    parser = _Parser(
        prog="python -m seqviz", description="See what a recurrent network remembers, step by step."
    )
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    run = commands.add_parser("run", help="train every requested feeding mode and report")
    for option in OPTIONS:
        extra: dict[str, Any] = {}
        if option.choices is not None:
            extra["choices"] = list(option.choices)
            listed = "; ".join(f"{k}: {v}" for k, v in option.choices.items())
            extra["help"] = f"{option.help} {listed}"
        extra["default"] = getattr(defaults, option.name)
        if option.name == "sequence":
            extra["default"] = None  # required, unless --csv gives the data
        elif option.name == "csv":
            extra.update(
                metavar="PATH",
                help="A CSV file: a header row of column names, then one row of "
                "numbers per timestep (replaces --sequence; the output becomes linear).",
            )
        elif option.name == "output":
            extra["default"] = None  # sigmoid for tokens, linear for a CSV
        if given_only:
            extra["default"] = argparse.SUPPRESS
        if option.kind == "bool":  # --stateful / --no-stateful
            run.add_argument(
                option.flag, action=argparse.BooleanOptionalAction, **{"help": option.help, **extra}
            )
        else:
            run.add_argument(option.flag, type=_argument_type(option), **{"help": option.help, **extra})
    run.add_argument("--json", metavar="PATH", help="write the run as JSON to PATH, or - for stdout")
    run.add_argument("--export", metavar="DIR", help="write run.json, <mode>/train.py, <mode>/model.keras")
    return parser


def config_from_args(args: argparse.Namespace, limits: Limits | None = None) -> RunConfig:
    """The run the flags ask for; ``--csv PATH`` is read here (its text becomes ``csv``).

    Raises:
        SeqvizError: no data (neither --sequence nor --csv), or a CSV file that cannot be read.
    """
    values = {option.name: getattr(args, option.name) for option in OPTIONS}
    if values["csv"]:
        values["csv"] = read_file(values["csv"], limits or limits_from_env())
        values["sequence"] = values["sequence"] or RunConfig.sequence
    elif values["sequence"] is None:
        raise SeqvizError("the following arguments are required: --sequence (or --csv PATH)")
    if values["output"] is None:
        values["output"] = REGRESSION if values["csv"] else RunConfig.output
    return RunConfig(**values)


def given_options(argv: list[str] | None) -> set[str]:
    """The options whose flags ``argv`` gives (``--win 3`` and ``--no-stateful`` included)."""
    return set(vars(_parser(given_only=True).parse_args(argv))) & set(OPTION_BY_NAME)


def unread_option(config: RunConfig, given: set[str]) -> str | None:
    """Why the first flag given that this run would not read is refused, or None: a flag that
    changes nothing is refused rather than ignored (the form and the URL, which always carry
    every option, say in their labels when each is read)."""
    predicts = bool(config.test_sequence.strip()) or (config.uses_csv and config.test_rows > 0)
    nothing_to_predict = "there is nothing to predict: give --test-sequence (or --test-rows with --csv)"
    no_csv = "it reads a CSV: give --csv PATH"
    window = config.mode == ALL or "window" in MODES[config.mode].options
    unread = {
        "window": None if window else f"mode {config.mode!r} does not read it; window, chunks and all do",
        "predict_batch_size": None if predicts else nothing_to_predict,
        "predict_state": None if predicts else nothing_to_predict,
        "reset_at": None if predicts else nothing_to_predict,
        "target": None if config.uses_csv else no_csv,
        "features": None if config.uses_csv else no_csv,
        "target_row": None if config.uses_csv else no_csv,
        "test_rows": None if config.uses_csv else no_csv,
        "scaling": None if config.output == REGRESSION else "it scales numbers: use --output linear",
        "framing": "a CSV is framed by its rows: use --target-row" if config.uses_csv else None,
        "sequence": "the CSV replaces the typed sequence: give one or the other" if config.uses_csv else None,
    }
    for name, option in OPTION_BY_NAME.items():
        reason = unread.get(name)
        if name in given and reason:
            return f"{option.flag} does not apply here: {reason}."
    return None


class _ProgressBar:
    """A one-line bar on a terminal; silent when stderr is not one."""

    def __init__(self, stream: TextIO, epochs: int):
        self.stream, self.epochs = stream, epochs
        self.enabled = stream.isatty()

    def __call__(self, mode: str, epoch: int, loss: float) -> None:
        if not self.enabled:
            return
        filled = int(30 * epoch / self.epochs)
        bar = "█" * filled + "░" * (30 - filled)
        self.stream.write(f"\r{mode:>9} {bar} epoch {epoch}/{self.epochs} loss {loss:.4f}")
        if epoch >= self.epochs:
            self.stream.write("\r" + " " * 80 + "\r")
        self.stream.flush()


def _output_label(config: RunConfig) -> str:
    """The heading of the model's output column: a probability for tokens; for numbers the
    value the model gives, in the units it was trained on (scaled, when a scaling is on)."""
    if config.output != REGRESSION:
        return "prob"
    return "value" if config.scaling == "none" else "scaled value"


def _table(
    predictions: list[Prediction], reset: list[Prediction] | None = None, output: str = "prob"
) -> list[str]:
    """One row per position: ✓ right, ✗ wrong, "tie" where the floor forces a hedge."""
    header = ("pos", "input", "target", "predicted", output, "")
    rows = [header + (("after reset",) if reset is not None else ())]
    for k, p in enumerate(predictions):
        mark = p.mark
        row: tuple[str, ...] = (
            str(p.position),
            p.input,
            p.target_text,
            p.predicted_text,
            f"{p.probability:.2f}",
            mark,
        )
        if reset is not None:
            row += (reset[k].predicted_text + (" (changed)" if reset[k].predicted != p.predicted else ""),)
        rows.append(row)
    return _columns(rows)


def _columns(rows: Sequence[tuple[str, ...]]) -> list[str]:
    widths = [max(len(r[k]) for r in rows) for k in range(len(rows[0]))]
    return ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]


SOURCE_WORDS = {
    "zeros": "zeros",
    "previous_step": "previous step",
    "previous_batch": "previous batch",
    "previous_epoch": "zeros in epoch 1, then the previous epoch's last batch",
    "shuffled": "whichever row came before it in the epoch's shuffled order (zeros in its first batch)",
}


def _feed_rows(mode: ModeResult, numbers: bool) -> list[str]:
    """X and Y as tokens, one row per sample, with where each step's state comes from."""
    feed = mode.feed
    sources: dict[tuple[int, int], str] = {}
    for cell in feed.cells:
        origin = cell.source
        where = SOURCE_WORDS[origin.kind]
        if origin.sample is not None and origin.kind in ("previous_batch", "previous_epoch"):
            where += f" (sample {origin.sample})"
        sources[(cell.sample, cell.step)] = where
    per_step = "X (one value per step)" if numbers else "X (one token per step)"
    rows: list[tuple[str, ...]] = [("sample", "batch", per_step, "Y", "state enters from")]
    for s, x_row in enumerate(feed.x_tokens):
        y = feed.y_tokens[s]
        y_text = " ".join(t or "·" for t in y) if isinstance(y, list) else str(y)
        x_text = " ".join(t or "·" for t in x_row)
        entering = ", ".join(dict.fromkeys(sources[(s, t)] for t in range(len(x_row))))
        rows.append((str(s), str(s // mode.batch_size), x_text, y_text, entering))
    return _columns(rows)


def report(run: Run) -> str:
    """The human-readable report: the answer first (per mode its verdict and why, the fix where
    one is needed), then per mode X and Y, a table, the loss beside the floor and every sentence,
    then the modes side by side."""
    from seqviz.explain import answer, sentence, verdict_label

    lines = []
    if run.config.cell != "lstm" or run.config.layers > 1:
        layer = CELLS[run.config.cell].label
        lines += [f"{run.config.layers} × {layer} ({run.config.units} units each) → Dense", ""]
    lines.append("Answer:")
    for mode in run.runs:
        lines.append("  " + answer(mode).text())
        fix = next((f for f in mode.facts if isinstance(f, Fix)), None)
        if fix is not None:
            lines.append(f"  Fix for {mode.mode}: {sentence(fix)}")
    lines.append("")
    for mode in run.runs:
        lines.append(f"== {mode.mode} ==")
        lines.append(mode.description)
        lines.append(
            f"X {tuple(mode.x_shape)}  Y {tuple(mode.y_shape)}  batch_size={mode.batch_size}  "
            f"stateful={mode.stateful}  return_sequences={mode.return_sequences}"
        )
        lines += ["  " + row for row in _feed_rows(mode, run.config.output == REGRESSION)]
        output = _output_label(run.config)
        lines += ["  " + row for row in _table(mode.predictions, output=output)]
        lines.append(
            f"accuracy {mode.accuracy:.0%}  final loss {mode.final_loss:.4f}  "
            f"floor {mode.loss_floor:.4f}  ({mode.epochs} epochs, {mode.train_seconds:.2f} s)"
        )
        if mode.test is not None:
            test = mode.test
            start = "the state training ended in" if test.carried else "zeros"
            lines.append(
                f"test sequence: {' '.join(test.tokens)} (predict batch size {test.batch_size}, from {start})"
            )
            lines += ["  " + row for row in _table(test.predictions, test.reset_predictions, output)]
            lines.append(f"test accuracy {test.accuracy:.0%}  test loss {test.loss:.4f}")
        lines += ["  " + sentence(f) for f in mode.facts if not isinstance(f, Score)]
        lines.append("")
    if len(run.runs) > 1:
        lines.append("mode       accuracy  final loss  floor   verdict")
        for mode in run.runs:
            lines.append(
                f"{mode.mode:<10} {mode.accuracy:>8.0%}  {mode.final_loss:>10.4f}  {mode.loss_floor:.4f}  "
                f"{mode.verdict or '- (' + verdict_label(mode) + ')'}"
            )
        lines.append("")
        lines += [sentence(f) for f in run.facts if isinstance(f, Contrast)]
    return "\n".join(lines).rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    try:
        args = _parser().parse_args(argv)
        limits = limits_from_env()
        config = config_from_args(args, limits)
        config.validate(limits)
        unread = unread_option(config, given_options(argv))
        if unread is not None:
            raise SeqvizError(unread)
    except SeqvizError as error:
        print(f"seqviz: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    from seqviz.engine import run

    result = run(config, progress=_ProgressBar(sys.stderr, config.epochs), limits=limits)
    try:
        if args.json == "-":
            sys.stdout.write(dumps(result.run.to_json()) + "\n")
        else:
            if args.json:
                with open(args.json, "w", encoding="utf-8") as fh:
                    fh.write(dumps(result.run.to_json()))
            sys.stdout.write(report(result.run))
        if args.export:
            from seqviz.export import export

            written = export(result, args.export)
            print(f"seqviz: exported {len(written)} files to {args.export}", file=sys.stderr)
    except OSError as error:
        print(f"seqviz: cannot write output: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    return 0
