"""Step through it: the lesson played in the browser (Plotly frames) through time and through
training, what each position can see (``seqviz.reach``), the cell explained, and one unit
followed across the modes; built only while its expander is open."""

from __future__ import annotations

from typing import TYPE_CHECKING

import streamlit as st

from page.common import chart, lazy_section, md
from seqviz.cells import CELLS
from seqviz.losses import REGRESSION
from seqviz.results import Run

if TYPE_CHECKING:
    from seqviz.engine import RunResult
    from seqviz.reach import Reach


@st.fragment
def render_walkthrough(result: RunResult) -> None:
    """The lesson, played: each figure animates in the browser (Plotly frames), so stepping or
    playing costs no script run; the choices here rerun only this fragment."""
    run = result.run
    st.header("Step through it")
    section = lazy_section(
        "walkthrough",
        "Play it through time and through training; what each position can see; the cell; one unit",
    )
    if section is None:
        return
    with section:
        _walkthrough(result, run)


def _walkthrough(result: RunResult, run: Run) -> None:
    from seqviz import figures
    from seqviz.reach import reach_of, telling_pair

    labels = [m.mode for m in run.runs]
    st.subheader("Play through time")
    st.caption(
        "One frame per timestep, in the order Keras computes them. The black outline is the step; "
        "the dashed one is where its state comes from; the heatmap shows the state each step leaves."
    )
    chosen = labels[0]
    if len(labels) > 1:
        chosen = st.segmented_control("Mode to play", labels, default=labels[0], key="play_mode") or labels[0]
    chosen = chosen if chosen in labels else labels[0]
    carried = list(CELLS[run.config.cell].state_names)  # h, and an LSTM's c
    state = carried[0]
    if len(carried) > 1:
        state = (
            st.segmented_control("State shown", carried, default=carried[0], key="play_state") or carried[0]
        )
    chart(figures.step_figure(run.mode(chosen), state), key=f"play_time_{chosen}")
    reaches = {name: reach_of(feed) for name, feed in result.feeds.items()}
    pair = telling_pair(run.pairs, reaches) if len(run.pairs) > 1 else None
    if run.config.output != REGRESSION:  # it plays each target's probability: tokens only
        render_training_player(run, pair)
    render_reach(run, reaches, pair)
    render_cell(run.config.cell)
    render_unit(run)


def render_training_player(run: Run, pair: tuple[int, int] | None) -> None:
    from seqviz import figures

    st.subheader("Play through training")
    st.caption(
        "One frame per weight snapshot: the dot on each loss curve is the epoch shown, and below, how sure "
        "each mode is of each position's target at that epoch, and how far apart the states of the most "
        "telling pair of positions are. Press play to watch the modes learn, or not."
    )
    chart(figures.training_figure(run.runs, run.vocabulary, pair), key="play_training")


def render_unit(run: Run) -> None:
    """One unit's values across the positions, every mode as a line."""
    from seqviz import figures

    st.subheader("Follow one unit")
    left, right = st.columns(2)
    last = max(0, run.config.units - 1)
    if st.session_state.get("follow_unit", 0) > last:  # a unit of an earlier, wider run
        st.session_state["follow_unit"] = last
    unit = left.number_input("Unit", 0, last, 0, step=1, key="follow_unit")
    layer = None
    if run.config.layers > 1:
        layers = list(range(run.config.layers))
        chosen = right.selectbox(
            "Layer", layers, index=layers[-1], format_func=lambda k: f"layer {k + 1}", key="follow_layer"
        )
        layer = None if chosen is None else int(chosen)
    chart(figures.unit_figure(run.runs, run.config.cell, int(unit), layer), key="follow")


def render_cell(cell: str) -> None:
    """The cell's diagram and, for touch screens that cannot hover, its values as a table."""
    from seqviz import figures

    kind = CELLS[cell]
    st.subheader(f"The cell, explained: {kind.label}")
    chart(figures.cell_figure(cell), key=f"cell_{cell}")
    # A list, not a table: the equations and meanings wrap on a narrow screen.
    lines = []
    for i in kind.internals:
        bounds = "unbounded" if i.low is None or i.high is None else f"{i.low:g} to {i.high:g}"
        lines.append(f"- **{md(i.label)}** ({bounds}): `{i.equation}`. {md(i.meaning)}")
    with st.container(key=f"cell_values_{cell}"):
        st.markdown("\n".join(lines))


def render_reach(run: Run, reaches: dict[str, Reach], pair: tuple[int, int] | None) -> None:
    """Two positions' inputs seen in every mode; by default the most telling pair."""
    from seqviz import figures

    st.subheader("What each position can see")
    st.caption(
        "Each row shades the inputs that have reached the state predicting that position. Two positions "
        "whose rows shade the same tokens look alike to that mode: it must give them the same output. "
        "The pair shown first is the most telling one: alike to some mode, with different targets."
    )
    if pair is None:
        return
    positions = list(range(len(run.pairs)))
    chosen = []
    for column, label, default in zip(st.columns(2), ("Position A", "compared with position B"), pair):
        picked = column.selectbox(
            label,
            positions,
            index=default,
            format_func=lambda p: f"{p}: {run.pairs[p][0]} → {run.pairs[p][1]}",
            key=f"reach_{label.split()[0].lower()}",
        )
        chosen.append(default if picked is None else int(picked))
    chart(figures.reach_figure(run.runs, reaches, run.pairs, (chosen[0], chosen[1])), key="reach")
