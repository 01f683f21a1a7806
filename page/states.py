"""The state at every step: which state or internal, which layer and which mode, each mode's
heatmap with its identical positions (≡), the cell's internals on demand, and the difference
of two positions' states; every choice noted in the URL's view."""

from __future__ import annotations

import streamlit as st

from page.common import chart, look_at
from page.viewstate import current_view, note_view, sync_view_to_url
from seqviz.cells import CELLS
from seqviz.glossary import GLOSSARY, glossary_text
from seqviz.replay import step_names
from seqviz.results import ModeResult, Run


def render_states(run: Run, snapshot: int | None) -> None:
    """The state section: which value, which layer, which mode."""
    from seqviz import figures

    cell, modes = run.config.cell, run.runs
    view = current_view()
    st.header("State at every step", help=glossary_text("h0/c0", "≡"))
    look_at(
        "the columns marked ≡: positions that start from the same state with the same visible input "
        "have identical states, so no output layer can give them different targets."
    )
    kind = CELLS[cell]
    names = [*kind.state_names, *(n for n in step_names(kind) if n not in kind.state_names)]
    left, right = st.columns(2)
    name = left.selectbox(
        "Show",
        names,
        index=names.index(view.state) if view.state in names else 0,
        format_func=lambda n: figures.state_label(cell, n),
        key="state_name",
        help="The state a step leaves (h; an LSTM's c), the state entering it (h0, c0), or a gate. "
        + GLOSSARY["h0/c0"],
    )
    note_view("state", name, names[0])
    layer = None
    if run.config.layers > 1:
        layers = list(range(run.config.layers))
        wanted = layers[-1] if view.layer is None or view.layer - 1 not in layers else view.layer - 1
        chosen_layer = right.segmented_control(
            "Layer",
            layers,
            default=wanted,
            format_func=lambda k: f"layer {k + 1}",
            key="state_layer",
            help="Stacked recurrent layers, counted from 1 (the input's).",
        )
        layer = layers[-1] if chosen_layer is None else chosen_layer
        note_view("layer", layer + 1, layers[-1] + 1)
    if snapshot is not None and name not in kind.state_names:
        st.caption(
            "The epoch slider redraws the states a step leaves; the other values are shown after training."
        )
    if snapshot is not None and layer is not None and layer != run.config.layers - 1:
        st.caption("Snapshots keep the last layer's states; earlier layers are shown after training.")
    chosen = modes[0].mode
    if len(modes) > 1:
        labels = [m.mode for m in modes]
        chosen = (
            st.segmented_control(
                "Mode",
                labels,
                default=view.view_mode if view.view_mode in labels else labels[0],
                key="state_mode",
                help="Which mode's states to show.",
            )
            or labels[0]
        )
        note_view("view_mode", chosen, labels[0])
    render_state_of_mode(run.mode(chosen), cell, name, snapshot, layer)
    sync_view_to_url()


def render_state_of_mode(
    mode: ModeResult, cell: str, name: str, snapshot: int | None, layer: int | None
) -> None:
    """One mode's state heatmap, the cell's internals on demand, and the difference of two positions."""
    from seqviz import figures

    groups = mode.identical_groups
    if groups:
        # A long run's groups hold hundreds of positions: the first few of each, and how many.
        listed = "; ".join(
            ", ".join(map(str, g[:8])) + (f", … ({len(g)} positions)" if len(g) > 8 else "") for g in groups
        )
        st.info(
            f"Positions {listed} start from the same state with the same visible input, "
            "so their states are identical (marked ≡ on the axis)."
        )
    chart(figures.state_figure(mode, name, snapshot, layer), key=f"state_{mode.mode}_{name}")
    if len(CELLS[cell].internals) > 1 and st.toggle(
        f"Show all of the {CELLS[cell].label}'s internals",
        value=current_view().gates,
        key=f"gates_on_{mode.mode}",
        help=GLOSSARY["gates"],
    ):
        note_view("gates", True, False)
        chart(figures.internals_figure(mode, cell, layer), key=f"gates_{mode.mode}")
    else:
        note_view("gates", False, False)
    positions = [p.position for p in mode.predictions]
    if len(positions) < 2:
        return
    labels = {p.position: f"position {p.position}: {p.input} → {p.target}" for p in mode.predictions}
    first = natural = groups[0] if groups else positions[:2]
    wanted = current_view().pair
    if wanted is not None and all(p in positions for p in wanted):
        first = list(wanted)
    pair: list[int] = []
    for column, label, default in zip(st.columns(2), ("Compare position", "with position"), first[:2]):
        key = f"diff_{label.split()[0].lower()}_{mode.mode}"
        chosen: int | None = column.selectbox(
            label,
            positions,
            index=positions.index(default),
            format_func=lambda p: labels[p],
            key=key,
            help="The difference of the two positions' states, unit by unit: all zero when the "
            "model cannot tell them apart. " + GLOSSARY["position"],
        )
        pair.append(default if chosen is None else chosen)
    note_view("pair", (pair[0], pair[1]), (natural[0], natural[1]))
    chart(figures.difference_figure(mode, pair[0], pair[1], snapshot, layer), key=f"diff_{mode.mode}")
