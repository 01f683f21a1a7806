"""What the page shows at an epoch and of the test pass comes from the engine: the top token and
its mark at any snapshot, numbers in the target's units, the test pass reset elsewhere, and the
words beside a test verdict. Each checked by a simpler route than the code's own."""

from dataclasses import replace

import numpy as np
import pytest

from seqviz import results
from seqviz.config import RunConfig
from seqviz.engine import run
from seqviz.epochs import predictions_at, target_scale, values_at
from seqviz.explain import NUMBER_VERDICT_HELP, VERDICT_HELP, scored_label, seen_caption, verdict_help
from seqviz.results import Prediction, position_mark

SERIES = "\n".join(["a,b"] + [f"{np.sin(r / 2):.4f},{r % 3}" for r in range(16)])


@pytest.fixture(scope="module")
def tokens():
    return run(RunConfig(test_sequence="0 1 0 2 0 1 0 2", epochs=40, snapshots=4))


@pytest.fixture(scope="module")
def numbers():
    config = RunConfig(csv=SERIES, target="a", output="linear", scaling="standardise", mode="stateless")
    return run(replace(config, epochs=20, snapshots=3, test_rows=4, test_sequence=""))


def test_predictions_at_any_snapshot_are_the_argmax_and_ties_are_never_right(tokens):
    vocabulary = tokens.run.vocabulary
    for mode in tokens.run.runs:
        for snapshot in [None, *range(len(mode.snapshots))]:
            shown = predictions_at(mode, vocabulary, snapshot)
            assert [p.position for p in shown] == [p.position for p in mode.predictions]
            for p, q in zip(mode.predictions, shown):
                probs = (
                    p.probabilities
                    if snapshot is None
                    else mode.snapshots[snapshot].probabilities[p.position]
                )
                top = vocabulary[int(np.argmax(probs))]
                assert q.predicted == top and q.probability == max(probs)
                assert q.correct == (top == p.target and not p.tie)
                assert q.mark == ("tie" if p.tie else "✓" if q.correct else "✗")
        final = predictions_at(mode, vocabulary, None)
        assert [q.predicted for q in final] == [p.predicted for p in mode.predictions]
        assert [q.correct for q in final] == [p.correct for p in mode.predictions]


def test_a_tie_is_marked_tie_even_when_its_top_token_is_the_target():
    p = Prediction(0, "0", "1", "1", 0.5, False, [0.5, 0.5], tie=True)
    mode = type("M", (), {"predictions": [p], "snapshots": []})()
    (q,) = predictions_at(mode, ["1", "2"], None)  # type: ignore[arg-type]
    assert q.predicted == "1" and not q.correct and q.mark == position_mark(False, True) == "tie"


def test_numbers_at_a_snapshot_are_in_the_targets_units(numbers, tokens):
    assert target_scale(tokens.dataset) == (1.0, 0.0)
    scaling = numbers.dataset.numeric.scaling
    scale = target_scale(numbers.dataset)
    assert scale == (scaling.target_scale, scaling.target_mean) and scale != (1.0, 0.0)
    mode = numbers.run.runs[0]
    final = values_at(mode, None, scale)
    assert final == pytest.approx([float(p.predicted) for p in mode.predictions], rel=1e-4, abs=1e-4)
    for s, snap in enumerate(mode.snapshots):
        outputs = np.array([snap.probabilities[p.position][0] for p in mode.predictions])
        assert values_at(mode, s, scale) == pytest.approx(list(scaling.unscale(outputs)))


def test_retest_without_a_new_reset_is_the_stored_test_pass_and_with_one_resets_there(tokens):
    for mode in tokens.run.runs:
        assert tokens.retest(mode.mode, tokens.run.config.reset_at) == mode.test
        again = tokens.retest(mode.mode, 2)
        assert again.reset_at == 2 and again.predictions == mode.test.predictions
        changed = again.changed_by_reset()
        assert changed is not None and len(changed) == len(again.predictions)
        assert changed == [
            a.predicted != p.predicted for p, a in zip(again.predictions, again.reset_predictions)
        ]
        assert mode.test.changed_by_reset() is None


def _test(seen: list[int], ties: list[int]) -> results.TestResult:
    predictions = [Prediction(k, "a", "b", "b", 1.0, k not in ties, [1.0], tie=k in ties) for k in range(4)]
    return results.TestResult(["a"] * 4, 0.5, 0.1, ties, predictions, 1, "zeros", False, seen=seen)


def test_a_test_positions_scoring_follows_the_verdicts_rule():
    from seqviz.verdicts import scored_positions

    test = _test(seen=[0, 1], ties=[1, 2])
    labels = [scored_label(test, p) for p in test.predictions]
    assert labels == ["no, seen", "no, seen", "tie", "yes"]
    assert [p.position for p in scored_positions(test)] == [k for k, w in enumerate(labels) if w == "yes"]


@pytest.mark.parametrize(
    "seen, total, words",
    [
        ([], 4, "every test position is new to this mode"),
        ([0, 1, 2, 3], 4, "every test position was seen in training: no verdict"),
        ([2], 4, "position 2 seen in training, not scored"),
        ([0, 1, 2], 4, "positions 0–2 seen in training, not scored"),
        ([0, 2], 4, "positions 0, 2 seen in training, not scored"),
    ],
)
def test_the_seen_caption_names_the_seen_positions(seen, total, words):
    assert seen_caption(seen, total) == words


def test_every_verdict_has_its_help_for_tokens_and_numbers(tokens):
    assert set(VERDICT_HELP) == set(NUMBER_VERDICT_HELP) == {"cannot fit", "memorised", "learned"}
    for mode in tokens.run.runs:
        expected = None if mode.verdict is None else VERDICT_HELP[mode.verdict]
        assert verdict_help(mode, numbers=False) == expected
        assert verdict_help(replace(mode, verdict="learned"), numbers=True) == NUMBER_VERDICT_HELP["learned"]
