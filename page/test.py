"""The test sequence: each mode's verdict, its predictions, and the intervention (a reset before
a chosen position, recomputed by ``RunResult.retest`` without retraining); the test pass as
heatmaps on demand. Verdicts, marks and scoring come from ``seqviz``."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import streamlit as st

from page.common import Row, chart, grid, lazy_section, look_at, md, panels
from seqviz.glossary import glossary_text
from seqviz.losses import REGRESSION
from seqviz.results import ModeResult

if TYPE_CHECKING:
    from seqviz.engine import RunResult


@st.fragment
def render_test(result: RunResult) -> None:
    """The test sequence: each mode's verdict, its predictions, and the intervention (a reset
    before a chosen test position), recomputed here without retraining."""
    from seqviz.explain import scored_label, seen_caption, verdict_help, verdict_label
    from seqviz.figures.phase import prediction_phase_figure

    run = result.run
    tested = [m for m in run.runs if m.test is not None]
    if not tested:
        return
    st.header(
        "Learned or memorised: the test sequence"
        if not run.config.uses_csv
        else "Learned or memorised: the test rows",
        help=glossary_text("verdict", "tie"),
    )
    look_at(
        "each mode's verdict: a mode that fits its training data but not this new sequence memorised "
        "it. Move the reset slider: a prediction that changes after the reset was carried by the state."
    )
    first = tested[0].test
    assert first is not None
    st.caption(
        f"Test sequence {md(' '.join(first.tokens))!s}, predicted after training with batch size "
        f"{first.batch_size}, starting from {'the training state' if first.carried else 'zeros'}. "
        "A tie is a position that looks alike to another with a different target: never counted right. "
        "A position this mode saw in training (the same view, the same target) is not scored."
    )
    positions = [p.position for p in first.predictions]
    options: list[str] = ["none", *map(str, positions)]
    choice = st.select_slider(
        "Reset the state to zeros before test position",
        options=options,
        value="none" if run.config.reset_at is None else str(run.config.reset_at),
        key="test_reset",
        help="Every later prediction that changes was carried by the state.",
    )
    reset_at = None if choice == "none" else int(str(choice))
    shown: list[ModeResult] = []
    for column, mode in zip(panels(len(tested)), tested):
        test = mode.test
        assert test is not None
        if reset_at != test.reset_at:  # the slider moved: the same pass, reset elsewhere
            test = result.retest(mode.mode, reset_at)
            mode = replace(mode, test=test)
        shown.append(mode)
        after, changed = test.reset_predictions, test.changed_by_reset()
        with column:
            numbers = run.config.output == REGRESSION
            st.metric(f"{mode.mode} verdict", verdict_label(mode), help=verdict_help(mode, numbers))
            st.caption(
                f"train {mode.accuracy:.0%} · test {test.accuracy:.0%} · test loss {test.loss:.4f} · "
                + seen_caption(test.seen, len(test.predictions))
            )
            rows: list[Row] = []
            for k, p in enumerate(test.predictions):
                row: Row = {
                    "position": p.position,
                    "input": p.input,
                    "target": p.target,
                    "predicted": p.predicted,
                }
                row["right"] = p.mark
                if not run.config.uses_csv:
                    row["scored"] = scored_label(test, p)
                if after is not None and changed is not None:
                    row["after reset"] = after[k].predicted_text + (" (changed)" if changed[k] else "")
                rows.append(row)
            with st.container(key=f"test_{mode.mode}"):
                st.text("test predicted: " + " ".join(p.predicted_text for p in test.predictions))
                if after is not None:
                    st.text("after reset: " + " ".join(p.predicted_text for p in after))
            grid(rows, key=f"test_table_{mode.mode}")
    if run.config.output == REGRESSION:
        return
    section = lazy_section(
        "heatmaps", "The test pass as heatmaps: predictions and states, with and without the reset"
    )
    if section is not None:
        with section:
            for mode in shown:
                chart(prediction_phase_figure(mode, run.vocabulary), key=f"phase_{mode.mode}")
