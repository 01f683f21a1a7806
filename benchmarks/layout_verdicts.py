"""Which verdict each layout earns on rules whose outcome depends on the layout.

An echo of the input k positions back (target = input k steps earlier), trained on one random
stream and tested on a fresh one, in every compared mode (the window is k + 1 wide), over a few
seeds. Prints train and test accuracy and the verdict per mode: what seqviz shows is what these
numbers say.

    python benchmarks/layout_verdicts.py [--backs 2 3] [--seeds 0 1 2]
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from seqviz.config import RunConfig  # noqa: E402
from seqviz.engine import run  # noqa: E402


def echo(n: int, back: int, rng: random.Random) -> str:
    inputs = [rng.choice("abc") for _ in range(n)]
    return " ".join(f"{x} {inputs[p - back] if p >= back else 'a'}" for p, x in enumerate(inputs))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backs", type=int, nargs="+", default=[2, 3])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--length", type=int, default=32)
    args = parser.parse_args()
    print("| rule | seed | mode | train | test | verdict |")
    print("|---|---|---|---|---|---|")
    for back in args.backs:
        for seed in args.seeds:
            rng = random.Random(1000 * back + seed)
            config = RunConfig(
                sequence=echo(args.length, back, rng),
                test_sequence=echo(args.length // 2, back, rng),
                framing="pairs",
                mode="all",
                window=back + 1,
                epochs=400,
                learning_rate=0.02,
                output="softmax",
                seed=seed,
            )
            for mode in run(config).run.runs:
                test = mode.test
                assert test is not None
                print(
                    f"| echo {back} back | {seed} | {mode.mode} | {mode.accuracy:.0%} | "
                    f"{test.accuracy:.0%} | {mode.verdict or '-'} |"
                )


if __name__ == "__main__":
    main()
