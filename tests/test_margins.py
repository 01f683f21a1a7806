"""seqviz.figures.margins: each margin pusher's room, hand-counted from the module's constants
(CHAR = 0.62 of the font size per character, LINE = 1.35, pushers at x = 1.02 of a plot at most
1400 px wide). Plotly's own measurement in Chromium is the oracle in tests/test_browser.py."""

import copy
import math

import pytest

from seqviz.figures.margins import CHAR, LINE, _numeric_label_chars, needed_margins, reserve_margins

FONT = 13


def fig(data, **layout):
    return {
        "data": data,
        "layout": {"font": {"size": FONT}, "margin": {"l": 60, "r": 20, "t": 0, "b": 40}, **layout},
    }


@pytest.mark.parametrize(
    "values, chars",
    [
        ([0.0, 1.0], 3),  # step 0.2: "0.0" … "1.0"
        ([-1.0, 1.0], 4),  # step 0.5: "-1.0"
        ([0.0, 2000.0], 4),  # step 500: "2000"
        ([0.0, 50000.0], 6),  # Plotly writes "50k"
        ([-3.2, 2.8], 2),  # step 1: "-4" … "3"
        ([], 4),  # nothing to read: a typical label
    ],
)
def test_numeric_tick_labels_are_counted_from_the_range_and_a_nice_step(values, chars):
    assert _numeric_label_chars(values) == chars


def test_a_colorbar_reserves_its_offset_padding_thickness_and_labels_on_the_right():
    heat = {"type": "heatmap", "z": [[0.0, 1.0]], "colorbar": {"title": {"text": "p"}, "thickness": 12}}
    need = needed_margins(fig([heat], xaxis={"visible": False}, yaxis={"visible": False}))
    labels = 3 * CHAR * FONT + 6  # "0.0" … "1.0"
    assert need["r"] == pytest.approx(0.02 * 1400 + 2 * 10 + 12 + labels)
    assert need["l"] == need["b"] == 0  # hidden axes push nothing


def test_a_hidden_colorbar_pushes_nothing():
    heat = {"type": "heatmap", "z": [[0.0, 1.0]], "showscale": False}
    assert needed_margins(fig([heat], xaxis={"visible": False}, yaxis={"visible": False}))["r"] == 0


def test_a_vertical_legend_reserves_its_longest_entry_on_the_right():
    lines = [
        {"type": "scatter", "name": "stateless", "y": [1, 2]},
        {"type": "scatter", "name": "floor = 0.4621"},
    ]
    need = needed_margins(fig(lines, xaxis={"visible": False}, yaxis={"visible": False}))
    assert need["r"] == pytest.approx(0.02 * 1400 + 40 + len("floor = 0.4621") * CHAR * FONT + 10)


def test_a_horizontal_legend_below_the_plot_wraps_into_rows_at_a_half_width_panel():
    names = ["starts from zeros", "✂ state flows in, the gradient stops", "→ state from the previous batch"]
    traces = [{"type": "scatter", "name": n, "x": [0], "y": [0]} for n in names]
    legend = {"orientation": "h", "x": 0.0, "y": 0.0, "yanchor": "top"}
    layout = {"legend": legend, "margin": {"l": 120, "r": 20, "t": 0, "b": 60}}
    layout |= {"xaxis": {"visible": False}, "yaxis": {"visible": False}}
    need = needed_margins(fig(traces, **layout))
    widths = [40 + len(n) * CHAR * FONT for n in names]  # 178, 330, 290 px in a 440 px row
    assert widths[0] + widths[1] > 560 - 120 and widths[1] + widths[2] > 560 - 120
    assert need["b"] == pytest.approx(3 * LINE * FONT * 1.35 + 14)  # three rows


def test_one_trace_shows_no_legend_unless_asked():
    line = [{"type": "scatter", "name": "loss", "y": [1, 2]}]
    hidden = {"xaxis": {"visible": False}, "yaxis": {"visible": False}}
    assert needed_margins(fig(line, **hidden))["r"] == 0
    assert needed_margins(fig(line, showlegend=True, **hidden))["r"] > 0


def test_x_tick_labels_too_many_to_sit_side_by_side_turn_upright():
    labels = [f"{k}: 5.9, 45→50.8" for k in range(71)]  # 71 labels of up to 17 characters
    axis = {
        "title": {"text": "position"},
        "tickmode": "array",
        "tickvals": list(range(71)),
        "ticktext": labels,
    }
    need = needed_margins(fig([{"type": "heatmap", "z": [[0] * 71], "showscale": False}], xaxis=axis))
    longest = max(len(t) for t in labels)
    assert need["b"] == pytest.approx(longest * CHAR * FONT + 6 + LINE * FONT + 15 + 4)


def test_a_few_short_x_labels_take_one_line_and_the_title_below_them():
    axis = {"title": {"text": "epoch"}}
    need = needed_margins(fig([{"type": "scatter", "x": [0, 100], "y": [0, 1]}], xaxis=axis))
    assert need["b"] == pytest.approx(LINE * FONT + 6 + LINE * FONT + 15 + 4)
    # y: labels "0.0" … "1.0" (3 characters) and no title
    assert need["l"] == pytest.approx(3 * CHAR * FONT + 8 + 4)


def test_reserving_only_widens_and_leaves_the_figure_as_it_was():
    heat = {"type": "heatmap", "z": [[0.0, 1.0]], "colorbar": {"thickness": 12}}
    given = fig(
        [heat], xaxis={"visible": False}, yaxis={"visible": False}, margin={"l": 300, "r": 5, "t": 7, "b": 9}
    )
    given["frames"] = [{"name": "0", "data": []}]
    before = copy.deepcopy(given)
    out = reserve_margins(given)
    assert given == before  # not changed in place
    assert out["data"] is given["data"] and out["frames"] is given["frames"]  # shared, not copied
    assert out["layout"]["margin"] == {"l": 300, "r": math.ceil(needed_margins(given)["r"]), "t": 7, "b": 9}
