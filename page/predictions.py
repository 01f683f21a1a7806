"""Predictions, redrawn at any weight snapshot: the epoch slider, each mode's accuracy, its
predicted tokens, chart and table (``seqviz.epochs.predictions_at``), or for numbers the
predictions in the target's units (``seqviz.epochs.values_at``); then the states at that epoch."""

from __future__ import annotations

import streamlit as st

from page.common import Row, chart, grid, lazy_section, look_at, panels
from page.states import render_states
from page.viewstate import current_view, note_view, sync_view_to_url
from seqviz.epochs import predictions_at, values_at
from seqviz.glossary import GLOSSARY, glossary_text
from seqviz.losses import REGRESSION
from seqviz.results import ModeResult, Prediction, Run


def _prediction_rows(predictions: list[Prediction]) -> list[Row]:
    return [
        {
            "position": p.position,
            "input": p.input,
            "target": p.target,
            "predicted": p.predicted,
            "p": round(p.probability, 3),
            "right": p.mark,
        }
        for p in predictions
    ]


def render_number_predictions(mode: ModeResult, snapshot: int | None, scale: tuple[float, float]) -> None:
    """A regression mode: how many positions are within tolerance, the lines, and the table."""
    from seqviz import figures
    from seqviz.regression import TOLERANCE

    right = sum(p.correct for p in mode.predictions)
    st.metric(
        f"{mode.mode}: within tolerance",
        f"{right / len(mode.predictions):.0%}",
        help=f"{right} of {len(mode.predictions)} positions with a squared error at most "
        f"{TOLERANCE:.0%} of the targets' variance",
    )
    chart(figures.number_predictions_figure(mode, snapshot, scale), key=f"pred_{mode.mode}")
    rows: list[Row] = [
        {"position": p.position, "input": p.input, "target": p.target, "predicted": round(value, 4)}
        for p, value in zip(mode.predictions, values_at(mode, snapshot, scale))
    ]
    grid(rows, key=f"pred_table_{mode.mode}")


@st.fragment
def render_epoch_views(run: Run, scale: tuple[float, float] = (1.0, 0.0)) -> None:
    """Predictions and states, redrawn at any snapshot epoch without retraining."""
    from seqviz import figures
    from seqviz.explain import prediction_look, sentence

    modes, vocabulary = run.runs, run.vocabulary
    epochs = [s.epoch for s in modes[0].snapshots]
    view = current_view()
    snapshot = None
    if not view.hidden("predictions"):
        st.header("Predictions", help=GLOSSARY["tie"])
        look_at(sentence(prediction_look(run)))
    if len(epochs) > 1 and not (view.hidden("predictions") and view.hidden("states")):
        epoch = st.select_slider(
            "Epoch (weights snapshot)",
            options=epochs,
            value=view.epoch if view.epoch in epochs else epochs[-1],
            key="epoch",
            help="Drag to replay training. " + glossary_text("snapshot"),
        )
        snapshot = epochs.index(epoch)
        note_view("epoch", epoch, epochs[-1])
        sync_view_to_url()
    if view.hidden("predictions"):
        if not view.hidden("states"):
            render_states(run, snapshot)
        return
    for column, mode in zip(panels(len(modes)), modes):
        with column:
            if run.config.output == REGRESSION:
                render_number_predictions(mode, snapshot, scale)
                continue
            predictions = predictions_at(mode, vocabulary, snapshot)
            rows = _prediction_rows(predictions)
            right = sum(p.correct for p in predictions)
            st.metric(
                f"{mode.mode} accuracy", f"{right / len(rows):.0%}", help=f"{right} of {len(rows)} right"
            )
            with st.container(key=f"predicted_{mode.mode}"):
                st.text("predicted: " + " ".join(p.predicted_text for p in predictions))
            chart(figures.predictions_figure(mode, vocabulary, snapshot), key=f"pred_{mode.mode}")
            table = lazy_section(f"table_{mode.mode}", "Each position as a table", in_url=False)
            if table is not None:
                with table:
                    grid(rows, key=f"pred_table_{mode.mode}")
    render_states(run, snapshot)
