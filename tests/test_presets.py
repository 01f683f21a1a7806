"""Every preset trains, its facts re-derive, and its note says nothing its own run contradicts."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from seqviz.config import RunConfig
from seqviz.engine import RunResult, run
from seqviz.facts import LookAlike, TellsApart
from seqviz.presets import PRESET_NOTES, PRESETS
from tests.checker import check_run


def _look_alike(result: RunResult, mode: str) -> list[LookAlike]:
    return [f for f in result.run.mode(mode).facts if isinstance(f, LookAlike)]


def _reference(result: RunResult) -> None:
    # "stateless sees '0' at both positions from zero state and cannot tell them apart;
    # sequence carries the first pair into the second"
    (alike,) = _look_alike(result, "stateless")
    assert (alike.positions, alike.input, alike.start) == ([0, 1], "0", "zeros")
    assert any(isinstance(f, TellsApart) and f.by == "prefix" for f in result.run.mode("sequence").facts)


def _words(result: RunResult) -> None:
    # "'a' must be followed by 'b' once and by 'c' once"
    (alike,) = _look_alike(result, "stateless")
    assert (alike.input, alike.targets, alike.shares) == ("a", ["b", "c"], [0.5, 0.5])


def _counting(result: RunResult) -> None:
    # "after '2' comes '3' once and '4' once, so the model has to remember what came before"
    groups = {(f.input, tuple(f.targets)) for f in _look_alike(result, "stateless")}
    assert ("2", ("3", "4")) in groups
    assert result.run.mode("sequence").loss_floor == 0


def _window_of_two(result: RunResult) -> None:
    # "a window of 2 inputs is enough to tell every position apart, and the test sequence goes
    # round the cycle past the training data's end: the window learned the rule"
    mode = result.run.mode("window")
    assert mode.x_shape[1] == 2 and mode.loss_floor == 0 and mode.verdict == "learned"
    assert mode.test is not None and len(mode.test.seen) < len(mode.test.predictions)


def _echo(result: RunResult) -> None:
    # "stateful fits the training stream yet fails the test sequence (memorised); the window of 3
    # learns the rule"
    assert result.run.mode("stateful").accuracy == 1.0 and result.run.mode("stateful").verdict == "memorised"
    assert result.run.mode("window").x_shape[1] == 3 and result.run.mode("window").verdict == "learned"


def _chunks(result: RunResult) -> None:
    # "state flows from chunk to chunk, but the gradient stops at each chunk's start"
    cells = result.run.mode("chunks").feed.cells
    starts = [c for c in cells if c.step == 0 and c.sample > 0]
    assert starts and all(c.source.kind == "previous_batch" and c.gradient_cut for c in starts)


def _lanes(result: RunResult) -> None:
    # "each lane of the batch continues its own contiguous stream"
    mode = result.run.mode("lanes")
    b = mode.batch_size
    assert b == 2 and mode.layout is not None and mode.layout.arrange == "lanes"
    positions = {c.sample: c.position for c in mode.feed.cells}
    for c in mode.feed.cells:
        if c.source.kind == "previous_batch":
            assert c.source.sample == c.sample - b and positions[c.sample] == positions[c.sample - b] + 1


def _rows(result: RunResult) -> None:
    # "with consecutive rows side by side, lane i sees only every b-th input"
    mode = result.run.mode("rows")
    b = mode.batch_size
    assert b > 1 and mode.layout is not None and mode.layout.arrange == "rows"
    positions = {c.sample: c.position for c in mode.feed.cells}
    carried = [c for c in mode.feed.cells if c.source.kind == "previous_batch"]
    assert carried and all(positions[c.sample] - positions[c.source.sample] == b for c in carried)


def _several(result: RunResult) -> None:
    # "each line is its own sample, so no state flows from one sequence into the next"
    (mode,) = result.run.runs
    assert mode.x_shape[0] == len(result.run.sequences)
    assert all(c.source.kind == "zeros" for c in mode.feed.cells if c.step == 0)


def _numbers(result: RunResult) -> None:
    # "on the last 24 rows it never trained on; the verdict says whether what it fits carries over"
    (mode,) = result.run.runs
    assert mode.test is not None and len(mode.test.predictions) == 24 - 1 and mode.verdict is not None


NOTE_CHECKS: dict[str, Callable[[RunResult], None]] = {
    "The reference question: 0 1 0 2": _reference,
    "Words: a b a c": _words,
    "Counting: 1 2 3 1 2 4 (next)": _counting,
    "Needs a window of 2: x a y x b z x a y (next)": _window_of_two,
    "Echo 2 back: learned or memorised?": _echo,
    "Stateful chunks (truncated BPTT)": _chunks,
    "Stateful lanes: 2 streams side by side": _lanes,
    "Rows in order (a common mistake)": _rows,
    "Several sequences, one per line": _several,
    "Numbers: hourly demand (CSV)": _numbers,
}


def test_every_preset_has_a_note_and_a_check_of_it():
    assert set(PRESETS) == set(PRESET_NOTES) == set(NOTE_CHECKS)


@pytest.mark.parametrize("name", list(PRESETS))
def test_a_presets_note_holds_for_its_own_run(name):
    result = run(RunConfig(**PRESETS[name]))
    check_run(result)
    NOTE_CHECKS[name](result)
