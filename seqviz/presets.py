"""The page's presets: each a set of options that trains at once, with what it shows.

A note says what to notice in the preset's own run; ``tests/test_presets.py`` trains every preset
and holds each note's claims to the run's facts, so a note never says what its run contradicts.
"""

from __future__ import annotations

from typing import Any

from seqviz.csvdata import example_csv

PRESETS: dict[str, dict[str, Any]] = {
    "The reference question: 0 1 0 2": {
        "sequence": "0 1 0 2",
        "framing": "pairs",
        # The same rule, twice as long: positions 2 and 3 go on past the training data.
        "test_sequence": "0 1 0 2 0 1 0 2",
    },
    "Words: a b a c": {"sequence": "a b a c", "framing": "pairs", "test_sequence": "a b a c a b a c"},
    "Counting: 1 2 3 1 2 4 (next)": {
        "sequence": "1 2 3 1 2 4",
        "framing": "next",
        "window": 3,
        # The two counts in the other order: after '1 2' the window sees which came before.
        "test_sequence": "1 2 4 1 2 3",
    },
    "Needs a window of 2: x a y x b z x a y (next)": {
        "sequence": "x a y x b z x a y",
        "framing": "next",
        "mode": "window",
        "window": 2,
        "epochs": 300,
        "learning_rate": 0.01,
        # The cycle again, from another start and past the training data's end: every window of
        # 2 it needs occurs in training, but its history from position 6 on does not.
        "test_sequence": "y x b z x a y x b z x a y",
    },
    "Echo 2 back: learned or memorised?": {
        # Each target is the input two positions back (the first two: "a").
        "sequence": "a a c a c a a c b c c a b b c c c b a c c c a a b c b a c b a b",
        "framing": "pairs",
        "mode": "all",
        "window": 3,
        "epochs": 400,
        "learning_rate": 0.02,
        "output": "softmax",
        "test_sequence": "a a c a b a c c c b b c b c c b",
    },
    "Stateful chunks (truncated BPTT)": {
        "sequence": "a b c d e f a b c d e g",
        "framing": "next",
        "mode": "chunks",
        "window": 3,
        "test_sequence": "c d e g a b c d e f",
    },
    "Stateful lanes: 2 streams side by side": {
        "sequence": "1 2 3 4 5 6 7 8 9",
        "framing": "next",
        "mode": "lanes",
        # Counting up from 3 with the state starting at zeros: a stream the lanes never saw from
        # that start, so the verdict shows what the carried state learned (it memorised).
        "test_sequence": "3 4 5 6 7 8 9",
    },
    "Rows in order (a common mistake)": {
        "sequence": "1 2 3 4 5 6 7 8 9",
        "framing": "next",
        "mode": "rows",
        "test_sequence": "3 4 5 6 7 8 9",
    },
    "Several sequences, one per line": {
        "sequence": "a b c d\nx b c y\na b e",
        "framing": "next",
        "mode": "custom",
        "timesteps": "all",
        "return_sequences": True,
        "test_sequence": "x b c d",
    },
}
# What each preset shows: shown above the answer while its run is on the page.
PRESET_NOTES: dict[str, str] = {
    "The reference question: 0 1 0 2": (
        "Notice: stateless sees '0' at both positions from zero state and cannot tell them apart; "
        "sequence carries the first pair into the second."
    ),
    "Words: a b a c": "Notice: the same lesson with words: 'a' must be followed by 'b' once and by 'c' once.",
    "Counting: 1 2 3 1 2 4 (next)": (
        "Notice: after '2' comes '3' once and '4' once, so the model has to remember what came "
        "before the '2'."
    ),
    "Needs a window of 2: x a y x b z x a y (next)": (
        "Notice: a window of 2 inputs is enough to tell every position apart, and the test sequence "
        "goes round the cycle past the training data's end: the window learned the rule."
    ),
    "Echo 2 back: learned or memorised?": (
        "Notice: stateful fits the training stream yet fails the test sequence (memorised); "
        "the window of 3 learns the rule."
    ),
    "Stateful chunks (truncated BPTT)": (
        "Notice the ✂ marks: state flows from chunk to chunk, but the gradient stops at each chunk's start."
    ),
    "Stateful lanes: 2 streams side by side": (
        "Notice the arrows: each lane of the batch continues its own contiguous stream."
    ),
    "Rows in order (a common mistake)": (
        "Notice the arrows: with consecutive rows side by side, lane i sees only every b-th input."
    ),
    "Several sequences, one per line": (
        "Notice: each line is its own sample, so no state flows from one sequence into the next."
    ),
    "Numbers: hourly demand (CSV)": (
        "Notice the lines: the model's next-hour demand against the real one, on the training rows and "
        "on the last 24 rows it never trained on; the verdict says whether what it fits carries over."
    ),
}
# Numbers: the CSV that ships with seqviz, its next hour's demand from demand and temperature.
PRESETS["Numbers: hourly demand (CSV)"] = {
    "csv": example_csv(),
    "target": "demand",
    "features": "temperature,demand",
    "output": "linear",
    "scaling": "standardise",
    "mode": "chunks",
    "window": 12,
    "units": 16,
    "epochs": 150,
    "learning_rate": 0.01,
    "test_rows": 24,
    "test_sequence": "",
}
