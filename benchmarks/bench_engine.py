"""CPU seconds per ``engine.run`` (training, replay, test pass and facts: the server's work for one
Train), median of N, for a few configurations, here and in another checkout, taking turns.

    .venv/bin/python benchmarks/bench_engine.py [--repeat 7] [--rounds 2] [--against PATH]

``--against`` names another checkout of seqviz (say ``git worktree add /tmp/before HEAD~5``): each
round runs it and this tree in fresh processes, one after the other, so both meet the same machine.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent

CHILD = """
import json, sys, time
from seqviz.config import RunConfig
from seqviz.engine import run
configs = {
    "default, all four modes": RunConfig(),
    "stateful, 200 steps": RunConfig(
        sequence=" ".join("abc"[i % 3] for i in range(200)), framing="next", mode="stateful", epochs=50
    ),
    "lanes, 196 steps": RunConfig(
        sequence=" ".join("abcd"[(i * 7) % 4] for i in range(197)), framing="next", mode="lanes",
        batch_size=4, epochs=50,
    ),
    "GRU chunks, 120 steps": RunConfig(
        sequence=" ".join("abc"[(i * i) % 3] for i in range(120)), framing="next", mode="chunks",
        window=10, cell="gru", epochs=50,
    ),
}
for config in configs.values():
    run(config)  # compiles the loop once per process, as a server does
out = {}
for name, config in configs.items():
    times = []
    for _ in range(int(sys.argv[1])):
        start = time.process_time()
        run(config)
        times.append(time.process_time() - start)
    out[name] = sorted(times)[len(times) // 2]
print(json.dumps(out))
"""


def measure(tree: Path, repeat: int) -> dict[str, float]:
    env = dict(os.environ, PYTHONPATH=str(tree), TF_CPP_MIN_LOG_LEVEL="3")
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(repeat)],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--against", type=Path, help="another checkout to compare with")
    args = parser.parse_args()
    trees = {"this tree": HERE} | ({"against": args.against.resolve()} if args.against else {})
    rounds: dict[str, list[dict[str, float]]] = {name: [] for name in trees}
    for _ in range(args.rounds):
        for name, tree in trees.items():
            rounds[name].append(measure(tree, args.repeat))
    names = list(rounds["this tree"][0])
    print(
        "| configuration | "
        + " | ".join(f"{t} CPU s" for t in trees)
        + (" | ratio |" if args.against else " |")
    )
    print("|---|" + "---:|" * (len(trees) + (1 if args.against else 0)))
    for config in names:
        best = {t: min(r[config] for r in rounds[t]) for t in trees}
        cells = " | ".join(f"{best[t]:.3f}" for t in trees)
        ratio = f" | {best['this tree'] / best['against']:.2f}×" if args.against else ""
        print(f"| {config} | {cells}{ratio} |")


if __name__ == "__main__":
    main()
