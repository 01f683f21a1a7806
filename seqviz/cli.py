"""The command line: ``python -m seqviz run --sequence "0 1 0 2" --mode all``.

Bad input prints one line on stderr and exits with status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any, NoReturn, TextIO

from seqviz.config import ALL, MODE_NAMES, OUTPUTS, RunConfig
from seqviz.errors import SeqvizError
from seqviz.limits import limits_from_env
from seqviz.sequence import FRAMINGS

EXIT_BAD_INPUT = 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # argparse prints usage plus the message; a person needs one line that says what to fix.
        raise SeqvizError(f"{message} (see: python -m seqviz run --help)")


def _parser() -> argparse.ArgumentParser:
    defaults = RunConfig()
    parser = _Parser(prog="python -m seqviz", description="See what a Keras LSTM remembers, step by step.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    run = commands.add_parser("run", help="train every requested feeding mode and report")
    run.add_argument("--sequence", required=True, help='tokens separated by spaces or commas, e.g. "0 1 0 2"')
    run.add_argument("--framing", choices=list(FRAMINGS), default=defaults.framing)
    run.add_argument("--mode", choices=[*MODE_NAMES, ALL], default=defaults.mode)
    run.add_argument("--window", type=int, default=defaults.window, help="inputs per sample in window mode")
    run.add_argument("--units", type=int, default=defaults.units)
    run.add_argument("--epochs", type=int, default=defaults.epochs)
    run.add_argument("--batch-size", type=int, default=None, help="default: the mode's own")
    run.add_argument("--output", choices=list(OUTPUTS), default=defaults.output)
    run.add_argument("--learning-rate", type=float, default=defaults.learning_rate)
    run.add_argument("--seed", type=int, default=defaults.seed)
    run.add_argument("--snapshots", type=int, default=defaults.snapshots)
    run.add_argument("--json", metavar="PATH", help="write the run as JSON to PATH, or - for stdout")
    run.add_argument("--export", metavar="DIR", help="write run.json, <mode>/train.py, <mode>/model.keras")
    return parser


def config_from_args(args: argparse.Namespace) -> RunConfig:
    return RunConfig(
        sequence=args.sequence,
        framing=args.framing,
        mode=args.mode,
        window=args.window,
        units=args.units,
        epochs=args.epochs,
        batch_size=args.batch_size,
        output=args.output,
        learning_rate=args.learning_rate,
        seed=args.seed,
        snapshots=args.snapshots,
    )


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


def _table(run: dict[str, Any]) -> list[str]:
    rows = [("pos", "input", "target", "predicted", "prob", "")]
    for p in run["predictions"]:
        mark = "✓" if p["correct"] else "✗"
        rows.append(
            (str(p["position"]), p["input"], p["target"], p["predicted"], f"{p['probability']:.2f}", mark)
        )
    widths = [max(len(r[k]) for r in rows) for k in range(len(rows[0]))]
    return ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]


def report(data: dict[str, Any]) -> str:
    """The human-readable report: per mode a table, the loss beside the floor, then why."""
    from seqviz.explain import explain, explain_run

    lines = []
    for run in data["runs"]:
        lines.append(f"== {run['mode']} ==")
        lines.append(run["description"])
        lines.append(
            f"X {tuple(run['x_shape'])}  Y {tuple(run['y_shape'])}  batch_size={run['batch_size']}  "
            f"stateful={run['stateful']}  return_sequences={run['return_sequences']}"
        )
        lines += ["  " + row for row in _table(run)]
        lines.append(
            f"accuracy {run['accuracy']:.0%}  final loss {run['final_loss']:.4f}  "
            f"floor {run['loss_floor']:.4f}  ({run['epochs']} epochs, {run['train_seconds']:.2f} s)"
        )
        lines += ["  " + s for s in explain_run(run, data)[1:]]
        lines.append("")
    if len(data["runs"]) > 1:
        lines.append("mode       accuracy  final loss  floor")
        for run in data["runs"]:
            accuracy, final, floor = run["accuracy"], run["final_loss"], run["loss_floor"]
            lines.append(f"{run['mode']:<10} {accuracy:>8.0%}  {final:>10.4f}  {floor:.4f}")
        closing = explain(data)
        lines.append("")
        for run in data["runs"]:
            if run["loss_floor"] > 0:
                sentences = explain_run(run, data)
                lines.append(f"Why {run['mode']} cannot learn it: {sentences[1]}")
                lines.append(f"Fix: {sentences[-1]}")
        if closing and closing[-1].startswith("State flows"):
            lines.append(closing[-1])
    return "\n".join(lines).rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    try:
        args = _parser().parse_args(argv)
        config = config_from_args(args)
        limits = limits_from_env()
        config.validate(limits)
    except SeqvizError as error:
        print(f"seqviz: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    from seqviz.engine import run

    result = run(config, progress=_ProgressBar(sys.stderr, config.epochs), limits=limits)
    try:
        if args.json == "-":
            json.dump(result.data, sys.stdout, ensure_ascii=False)
            sys.stdout.write("\n")
        else:
            if args.json:
                with open(args.json, "w", encoding="utf-8") as fh:
                    json.dump(result.data, fh, ensure_ascii=False)
            sys.stdout.write(report(result.data))
        if args.export:
            from seqviz.export import export

            written = export(result, args.export)
            print(f"seqviz: exported {len(written)} files to {args.export}", file=sys.stderr)
    except OSError as error:
        print(f"seqviz: cannot write output: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    return 0
