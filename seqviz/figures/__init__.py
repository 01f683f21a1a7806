"""Plotly figures of a run, as pure functions from the typed result (``seqviz.results``).

One module per family of figures, each builder taking a ``ModeResult`` (or a list of them)
and nothing else: no Streamlit, no TensorFlow. Each builder first collects what it draws into
a small frozen dataclass in a ``_collect_*`` function (what the tests check), then lays it
out. An empty or degenerate input still gives a titled figure that says what is missing,
never an exception.

Tokens are the user's own text, so every token that reaches a label, a hover box or a title
goes through :func:`plain`, which keeps Plotly from reading it as HTML or LaTeX.

- :mod:`.loss`: the loss per epoch with each mode's floor.
- :mod:`.predictions`: each token's predicted probability at each position.
- :mod:`.numbers`: a regression run's predictions against its targets, as lines.
- :mod:`.states`: one state or internal, the cell's internals together, two positions' difference.
- :mod:`.flow`: where each step's state comes from.
- :mod:`.phase`: the test sequence's prediction pass, untouched and with the state reset.
- :mod:`.steps`: the flow diagram played one timestep at a time (Plotly frames).
- :mod:`.training`: the loss and each position's target probability played over the snapshots.
- :mod:`.reach`: what each position can see, in every mode (from ``seqviz.reach``).
- :mod:`.cell`: a diagram of the cell, drawn from its registry record (equations on hover).
- :mod:`.unit`: one unit's values across the positions, a line per mode.
"""

from __future__ import annotations

from seqviz.figures._common import (
    COLOR_MEANINGS,
    MODE_COLORS,
    SOURCE_COLORS,
    SOURCE_LABELS,
    TARGET_COLOR,
    THEMES,
    VERDICT_COLORS,
    Theme,
    plain,
    themed,
)
from seqviz.figures.cell import cell_figure
from seqviz.figures.flow import state_flow_figure
from seqviz.figures.loss import loss_figure
from seqviz.figures.numbers import number_predictions_figure
from seqviz.figures.phase import prediction_phase_figure
from seqviz.figures.predictions import predictions_figure
from seqviz.figures.reach import reach_figure
from seqviz.figures.states import (
    difference_figure,
    gates_figure,
    internals_figure,
    shown_internals,
    state_figure,
    state_label,
    state_names,
)
from seqviz.figures.steps import step_figure
from seqviz.figures.training import training_figure
from seqviz.figures.unit import unit_figure

__all__ = [
    "COLOR_MEANINGS",
    "MODE_COLORS",
    "SOURCE_COLORS",
    "SOURCE_LABELS",
    "TARGET_COLOR",
    "THEMES",
    "VERDICT_COLORS",
    "cell_figure",
    "Theme",
    "difference_figure",
    "gates_figure",
    "internals_figure",
    "loss_figure",
    "number_predictions_figure",
    "plain",
    "prediction_phase_figure",
    "predictions_figure",
    "reach_figure",
    "shown_internals",
    "state_figure",
    "state_flow_figure",
    "state_label",
    "state_names",
    "step_figure",
    "training_figure",
    "unit_figure",
    "themed",
]
