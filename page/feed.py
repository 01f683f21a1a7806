"""How the data is fed: each mode's X and Y shapes, its state-flow diagram
(``seqviz.figures.state_flow_figure``), X and Y as tokens on demand, and what a regression
run's numbers and scaling are."""

from __future__ import annotations

import streamlit as st

from page.common import Row, chart, grid, lazy_section, look_at, md, plural
from seqviz.glossary import GLOSSARY, glossary_text
from seqviz.losses import REGRESSION
from seqviz.results import ModeResult, Run


def _shape_text(shape: list[int]) -> str:
    names = ["sample", "timestep", "feature"] if len(shape) == 3 else ["sample", "feature"]
    return " × ".join(plural(n, name) for n, name in zip(shape, names))


def render_feed(run: Run) -> None:
    st.header("How the data is fed", help=glossary_text("sample", "timestep", "batch", "stateful"))
    look_at(
        "the arrows. State flows along the timesteps of one sample; it never crosses from one sample "
        "to the next inside a batch. A hollow circle marks a step that starts from zeros."
    )
    st.markdown(
        "Keras reads X as **(samples, timesteps, features)**. "
        "Only `stateful=True` carries sample *i* of one batch into sample *i* of the next."
    )
    if run.config.output == REGRESSION:
        render_scaling(run)
    modes = run.runs
    per_row = 2 if len(modes) > 1 else 1
    for first in range(0, len(modes), per_row):
        for column, mode in zip(st.columns(per_row, border=len(modes) > 1), modes[first : first + per_row]):
            with column:
                render_feed_of_mode(mode)


def render_scaling(run: Run) -> None:
    """What a regression run's numbers are: which columns, which target, and their scaling."""
    from seqviz.scaling import SCALINGS

    config = run.config
    source = (
        f"CSV columns {', '.join(run.vocabulary)} → the target {config.target or 'in the last column'} "
        f"({'next row' if config.target_row == 'next' else 'same row'})"
        if config.uses_csv
        else "the typed numbers, one feature per step"
    )
    st.info(
        md(
            f"Numbers: {source}. Scaling: {config.scaling} ({SCALINGS[config.scaling]}). Losses and the "
            "floor are in the scaled units the model trains on; targets and predictions in their own units."
        )
    )


def render_feed_of_mode(mode: ModeResult) -> None:
    from seqviz import figures

    st.subheader(mode.mode)
    st.markdown(md(mode.description))
    st.markdown(
        f"X `{tuple(mode.x_shape)}` · Y `{tuple(mode.y_shape)}` · batch size `{mode.batch_size}` · "
        f"`stateful={mode.stateful}` · `return_sequences={mode.return_sequences}`"
    )
    encoded = "one-hot" if mode.predictions and isinstance(mode.predictions[0].target, str) else "numbers"
    st.caption(
        f"X: {_shape_text(mode.x_shape)} ({encoded}). Y: {_shape_text(mode.y_shape)}.",
        help=GLOSSARY["one-hot"] if encoded == "one-hot" else None,
    )
    chart(figures.state_flow_figure(mode), key=f"flow_{mode.mode}")
    render_tokens_of_mode(mode)


@st.fragment
def render_tokens_of_mode(mode: ModeResult) -> None:
    """X and Y as the tokens they encode, built only once opened (a fragment: opening it reruns
    only this part)."""
    section = lazy_section(f"tokens_{mode.mode}", "X and Y as tokens", in_url=False)
    if section is None:
        return
    feed = mode.feed
    with section:
        x_rows: list[Row] = [
            {
                "sample": s,
                "batch": s // mode.batch_size,
                **{f"step {t}": tok or "·" for t, tok in enumerate(row)},
            }
            for s, row in enumerate(feed.x_tokens)
        ]
        st.caption("X (· is zero padding)")
        grid(x_rows, key=f"x_{mode.mode}")
        st.caption("Y")
        if mode.return_sequences:
            y_rows: list[Row] = [
                {f"step {t}": tok or "·" for t, tok in enumerate(row)} for row in feed.y_tokens
            ]
        else:
            y_rows = [{"sample": s, "target": tok} for s, tok in enumerate(feed.y_tokens)]
        grid(y_rows, key=f"y_{mode.mode}")
