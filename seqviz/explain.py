"""What happened in a run, in plain sentences written from the run's own numbers.

Sentences are plain text (tokens quoted as typed); the CLI prints them and the app shows
them without interpreting any markup.
"""

from __future__ import annotations

from typing import Any

from seqviz.floor import ambiguous_positions
from seqviz.modes import window_keys

REACHED = 0.02  # a final loss within this of the floor counts as having reached it


def _quote(token: str | None) -> str:
    return "(padding)" if token is None else f"'{token}'"


def _positions(positions: list[int]) -> str:
    names = [str(p) for p in positions]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def smallest_window(data: dict[str, Any]) -> int | None:
    """The smallest window w for which no two positions with different targets look alike."""
    vocab = {t: k for k, t in enumerate(data["vocabulary"])}
    inputs = [vocab[p["input"]] for p in data["pairs"]]
    targets = [vocab[p["target"]] for p in data["pairs"]]
    for w in range(1, len(inputs) + 1):
        if not ambiguous_positions(window_keys(inputs, w), targets):
            return w
    return None


def _ambiguity(run: dict[str, Any], data: dict[str, Any]) -> list[str]:
    pairs = data["pairs"]
    ambiguous = set(run["ambiguous_positions"])
    out = []
    for group in run["identical_groups"]:
        if not ambiguous.intersection(group):
            continue
        targets = sorted({pairs[p]["target"] for p in group})
        what = {
            "stateless": f"only the input {_quote(pairs[group[0]]['input'])}, starting from zero state",
            "window": f"the same last {run['x_shape'][1]} inputs, starting from zero state",
            "stateful": "the same stream of inputs since the last reset",
            "sequence": "the same inputs so far",
        }[run["mode"]]
        both = "both" if len(group) == 2 else "all"
        out.append(
            f"Positions {_positions(group)} {both} see {what}, so the LSTM reaches them in the same state "
            f"and must give them the same output, but their targets differ "
            f"({', '.join(_quote(t) for t in targets)})."
        )
    return out


def _how_it_tells_apart(run: dict[str, Any]) -> str:
    """Why no two positions with different targets look alike to this mode."""
    if run["mode"] == "sequence":
        return (
            "Each step starts from the state the previous step left, so the state carries all the "
            "inputs before it: the same token arrives in different states, and no two positions look alike."
        )
    if run["mode"] == "stateful":
        return (
            f"After the first batch, each sample starts from the final state that the same index left "
            f"in the previous batch (batch size {run['batch_size']}), so the state carries the inputs "
            "before it: the same token arrives in different states, and no two positions with "
            "different targets look alike."
        )
    if run["mode"] == "window":
        return (
            f"Each sample replays its last {run['x_shape'][1]} inputs from zero state, and no two "
            "positions with different targets share that window."
        )
    return (
        "Every position's input token alone tells it apart, so starting from zero state costs nothing here."
    )


def _names(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def explain_run(run: dict[str, Any], data: dict[str, Any]) -> list[str]:
    """Sentences about one mode: what it could see, where its loss ended, what to change."""
    k = len(data["pairs"])
    floor, final = run["loss_floor"], run["final_loss"]
    correct = sum(p["correct"] for p in run["predictions"])
    lines = [f"{run['mode']}: {correct} of {k} positions right, final loss {final:.4f}, floor {floor:.4f}."]
    lines += _ambiguity(run, data)
    if floor == 0:
        lines.append(_how_it_tells_apart(run))
    if run.get("stopped"):
        lines.append(f"Training was stopped after {run['epochs']} epochs.")
    if floor > 0:
        reached = final - floor <= REACHED
        lines.append(
            f"No weights can bring this mode's loss below {floor:.4f}; "
            + (
                "it got there: the best it can do is hedge between the targets."
                if reached
                else f"it is still {final - floor:.4f} above that."
            )
        )
        fix = "Feed one sample of many steps ('sequence') or carry state with 'stateful' (batch size 1)"
        w = smallest_window(data)
        if w is not None and run["mode"] != "window":
            fix += f", or give each sample a window of {w} inputs ('window', w = {w})"
        elif w is not None:
            fix += f", or widen the window to {w}"
        lines.append(fix + ".")
    elif correct < k:
        lines.append(
            "Nothing in the data stops this mode from learning every position; it has not yet: "
            "train for more epochs or raise the learning rate."
        )
    elif final - floor > REACHED:
        lines.append("Every position is right; more epochs would make the outputs more confident.")
    return lines


def explain(data: dict[str, Any]) -> list[str]:
    """Sentences for every mode in a run, then a comparison when there are several."""
    lines: list[str] = []
    for run in data["runs"]:
        lines += explain_run(run, data)
    runs = data["runs"]
    if len(runs) > 1:
        learned = [r["mode"] for r in runs if r["accuracy"] == 1.0]
        stuck = [r["mode"] for r in runs if r["loss_floor"] > 0]
        if stuck and learned:
            lines.append(
                f"State flows across the timesteps of one sample, never across the samples of a batch: "
                f"{_names(stuck)} cannot learn this sequence; {_names(learned)} learned it."
            )
    return lines
