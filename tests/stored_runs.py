"""Stored runs: the JSON of a few seed configurations, kept in ``tests/data/runs/`` so that a
change that should not move a number (a refactor) is checked against what the code said before.

``python -m tests.stored_runs`` writes them anew (after a change that *should* move a number:
say so in the commit). Timings are left out; floats compare within ``TOLERANCE`` so the files
hold on another CPU, whose BLAS may round the last bits differently.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from seqviz.config import RunConfig

HERE = Path(__file__).resolve().parent / "data" / "runs"
TIMINGS = ("train_seconds", "total_seconds")
TOLERANCE = 1e-5

CONFIGS: dict[str, RunConfig] = {
    "reference_all": RunConfig(epochs=40, snapshots=3, test_sequence="0 1 0 2 0 1 0 2", reset_at=2),
    "gru_stacked_lanes": RunConfig(
        sequence="1 2 3 4 5 6 7 8 9",
        framing="next",
        mode="lanes",
        cell="gru",
        layers=2,
        units=5,
        epochs=15,
        snapshots=2,
        test_sequence="3 4 5 6",
    ),
    "numbers_chunks": RunConfig(
        sequence="1 2 4 2 1 2 4 2 1",
        framing="next",
        output="linear",
        scaling="standardise",
        mode="chunks",
        window=3,
        epochs=15,
        snapshots=2,
        cell="simple_rnn",
    ),
    "custom_never_shuffle": RunConfig(
        sequence="a b a c\nb a c a",
        framing="next",
        mode="custom",
        timesteps="2",
        stateful=True,
        reset="never",
        batch_size=2,
        arrange="lanes",
        return_sequences=True,
        epochs=10,
        snapshots=2,
    ),
}


def stored(run_json: dict[str, Any]) -> dict[str, Any]:
    """The run's JSON without its timings."""

    def drop(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: drop(v) for k, v in value.items() if k not in TIMINGS}
        if isinstance(value, list):
            return [drop(v) for v in value]
        return value

    return drop(json.loads(json.dumps(run_json)))


def differences(want: Any, got: Any, where: str = "") -> list[str]:
    """Where ``got`` differs from ``want``: any structure or text, or a float beyond ``TOLERANCE``."""
    if isinstance(want, dict) and isinstance(got, dict):
        if set(want) != set(got):
            return [f"{where}: keys {sorted(set(want) ^ set(got))}"]
        return [d for k in want for d in differences(want[k], got[k], f"{where}.{k}")]
    if isinstance(want, list) and isinstance(got, list):
        if len(want) != len(got):
            return [f"{where}: length {len(want)} != {len(got)}"]
        return [d for k, (a, b) in enumerate(zip(want, got)) for d in differences(a, b, f"{where}[{k}]")]
    if isinstance(want, float) and isinstance(got, (int, float)) and not isinstance(got, bool):
        return [] if abs(want - got) <= TOLERANCE * max(1.0, abs(want)) else [f"{where}: {want} != {got}"]
    return [] if want == got else [f"{where}: {want!r} != {got!r}"]


def main() -> None:
    from seqviz.engine import run

    HERE.mkdir(parents=True, exist_ok=True)
    for name, config in CONFIGS.items():
        text = json.dumps(stored(run(config).run.to_json()), indent=1, sort_keys=True)
        (HERE / f"{name}.json").write_text(text + "\n")
        print(name, len(text))


if __name__ == "__main__":
    main()
