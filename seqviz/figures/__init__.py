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
"""

from __future__ import annotations

from seqviz.figures._common import (
    COLOR_MEANINGS,
    MODE_COLORS,
    SOURCE_COLORS,
    SOURCE_LABELS,
    TARGET_COLOR,
    VERDICT_COLORS,
    plain,
)
from seqviz.figures.flow import state_flow_figure
from seqviz.figures.loss import loss_figure
from seqviz.figures.numbers import number_predictions_figure
from seqviz.figures.predictions import predictions_figure
from seqviz.figures.states import (
    difference_figure,
    gates_figure,
    internals_figure,
    shown_internals,
    state_figure,
    state_label,
    state_names,
)

__all__ = [
    "COLOR_MEANINGS",
    "MODE_COLORS",
    "SOURCE_COLORS",
    "SOURCE_LABELS",
    "TARGET_COLOR",
    "VERDICT_COLORS",
    "difference_figure",
    "gates_figure",
    "internals_figure",
    "loss_figure",
    "number_predictions_figure",
    "plain",
    "predictions_figure",
    "shown_internals",
    "state_figure",
    "state_flow_figure",
    "state_label",
    "state_names",
]
