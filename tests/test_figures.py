"""Figure builders: the data each figure draws, checked against the run it was built from."""

import subprocess
import sys

import numpy as np
import pytest

from seqviz import figures
from seqviz.config import MODE_NAMES, RunConfig
from seqviz.engine import run

HOSTILE = "<b>x</b> **y** $z$ <b>x</b> $z$ **y**"


def _by_mode(data):
    return {r["mode"]: r for r in data["runs"]}


@pytest.fixture(scope="module")
def data():
    """The reference question in all four modes, with three snapshots."""
    return run(RunConfig(mode="all", epochs=20, snapshots=3)).data


@pytest.fixture(scope="module")
def hostile():
    """Tokens that Plotly would read as HTML or LaTeX if they were not escaped."""
    return run(RunConfig(sequence=HOSTILE, framing="next", mode="all", epochs=20, snapshots=3)).data


def _z(fig, k=0):
    return np.asarray(fig.data[k].z, dtype=float)


def _strings(obj):
    """Every string anywhere in a figure's JSON-ready dict."""
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, dict):
        for value in obj.values():
            yield from _strings(value)
    elif isinstance(obj, (list, tuple)):
        for value in obj:
            yield from _strings(value)
    elif isinstance(obj, np.ndarray):
        yield from _strings(obj.tolist())


def _all_figures(data):
    runs = data["runs"]
    for r in runs:
        yield figures.predictions_figure(r, data["vocabulary"])
        yield figures.predictions_figure(r, data["vocabulary"], snapshot=1)
        for name in figures.STATE_NAMES:
            yield figures.state_figure(r, name)
        yield figures.state_figure(r, "h", snapshot=0)
        yield figures.gates_figure(r)
        yield figures.difference_figure(r, 0, 1)
        yield figures.state_flow_figure(r)
    yield figures.loss_figure(runs)


# --- text ----------------------------------------------------------------------------


def test_plain_escapes_markup_and_every_dollar():
    assert figures.plain("<b>&</b>") == "&lt;b&gt;&amp;&lt;/b&gt;"
    assert figures.plain("&lt;") == "&amp;lt;"  # an entity typed by the user stays visible as typed
    for text in ("$z$", "0: $z$→y", "a$b"):
        assert "$" not in figures.plain(text)
        assert figures.plain(text).replace("&#36;", "$") == text
    assert figures.plain("**y**") == "**y**"


def test_figures_module_imports_neither_ui_nor_tensorflow():
    code = (
        "import sys, seqviz.figures;"
        "bad = [m for m in ('streamlit', 'tensorflow', 'keras') if m in sys.modules];"
        "print(','.join(bad)); sys.exit(1 if bad else 0)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, f"imported: {done.stdout} {done.stderr}"


def test_every_mode_has_its_own_colour():
    assert set(figures.MODE_COLORS) == set(MODE_NAMES)
    assert len(set(figures.MODE_COLORS.values())) == len(MODE_NAMES)


# --- loss ----------------------------------------------------------------------------


def test_loss_figure_has_a_line_and_a_floor_per_mode(data):
    fig = figures.loss_figure(data["runs"])
    assert len(fig.data) == 2 * len(data["runs"])
    for r in data["runs"]:
        color = figures.MODE_COLORS[r["mode"]]
        (line,) = [t for t in fig.data if t.name == r["mode"]]
        assert list(line.y) == pytest.approx(r["loss"])
        assert list(line.x) == list(range(1, len(r["loss"]) + 1))
        assert line.line.color == color
        (floor,) = [t for t in fig.data if t.name.startswith(f"{r['mode']} floor")]
        assert list(floor.y) == pytest.approx([r["loss_floor"]] * 2)
        assert floor.line.dash == "dash" and floor.line.color == color
    assert fig.layout.yaxis.type == "linear"
    assert fig.layout.title.text


def test_loss_figure_log_scale_says_zero_floors_cannot_be_drawn(data):
    fig = figures.loss_figure(data["runs"], log_scale=True)
    assert fig.layout.yaxis.type == "log"
    assert "log axis" in fig.layout.title.subtitle.text  # sequence, window and stateful reach 0


# --- predictions ---------------------------------------------------------------------


def test_predictions_heatmap_is_the_runs_probabilities(data):
    vocabulary = data["vocabulary"]
    for r in data["runs"]:
        fig = figures.predictions_figure(r, vocabulary)
        probs = np.array([p["probabilities"] for p in r["predictions"]])
        np.testing.assert_array_equal(_z(fig), probs.T)  # rows = tokens, columns = positions
        assert list(fig.layout.xaxis.ticktext)[0].startswith("0: 0→1")
        assert list(fig.layout.yaxis.ticktext) == vocabulary
        marks = [a.text for a in fig.layout.annotations]
        assert marks == ["✓" if p["correct"] else "✗" for p in r["predictions"]]
        outlined = {(round((s.x0 + s.x1) / 2), round((s.y0 + s.y1) / 2)) for s in fig.layout.shapes}
        assert outlined == {(p, vocabulary.index(q["target"])) for p, q in enumerate(r["predictions"])}
        assert "%{z:.6f}" in fig.data[0].hovertemplate


def test_predictions_snapshot_draws_that_epochs_probabilities(data):
    r = _by_mode(data)["sequence"]
    fig = figures.predictions_figure(r, data["vocabulary"], snapshot=0)
    first = np.array(r["snapshots"][0]["probabilities"])
    np.testing.assert_array_equal(_z(fig), first.T)
    assert not np.array_equal(_z(fig), _z(figures.predictions_figure(r, data["vocabulary"])))
    assert f"epoch {r['snapshots'][0]['epoch']}" in fig.layout.title.text
    right = [
        int(np.argmax(row)) == data["vocabulary"].index(q["target"])
        for row, q in zip(first, r["predictions"])
    ]
    assert [a.text for a in fig.layout.annotations] == ["✓" if ok else "✗" for ok in right]


# --- states --------------------------------------------------------------------------


@pytest.mark.parametrize("name", figures.STATE_NAMES)
def test_state_heatmap_is_the_runs_states(data, name):
    r = _by_mode(data)["window"]
    fig = figures.state_figure(r, name)
    np.testing.assert_array_equal(_z(fig), np.array([s[name] for s in r["states"]]).T)
    trace = fig.data[0]
    if name in ("i", "f", "o"):
        assert (trace.zmin, trace.zmax) == (0, 1)
    else:
        assert trace.zmid == 0 and trace.zmin == -trace.zmax


def test_state_hover_carries_the_entering_state_of_each_unit(data):
    r = _by_mode(data)["sequence"]
    fig = figures.state_figure(r, "c")
    custom = fig.data[0].customdata
    for p, state in enumerate(r["states"]):
        for u in (0, len(state["h0"]) - 1):
            label, h0, c0 = custom[u][p]
            assert label.startswith(f"{p}: ")
            assert float(h0) == state["h0"][u] and float(c0) == state["c0"][u]
    template = fig.data[0].hovertemplate
    assert "%{z:.6f}" in template and "unit %{y}" in template


def test_state_snapshot_changes_h_and_c_but_not_gates(data):
    r = _by_mode(data)["stateful"]
    for name in ("h", "c"):
        fig = figures.state_figure(r, name, snapshot=0)
        np.testing.assert_array_equal(_z(fig), np.array(r["snapshots"][0][name]).T)
        assert not np.array_equal(_z(fig), _z(figures.state_figure(r, name)))
        assert f"epoch {r['snapshots'][0]['epoch']}" in fig.layout.title.text
    fig = figures.state_figure(r, "f", snapshot=0)
    np.testing.assert_array_equal(_z(fig), np.array([s["f"] for s in r["states"]]).T)
    assert "snapshots keep only h and c" in fig.layout.title.text


def test_identical_positions_are_marked(data):
    r = _by_mode(data)["stateless"]
    assert r["identical_groups"] == [[0, 1]]
    ticks = list(figures.state_figure(r, "h").layout.xaxis.ticktext)
    assert all(tick.endswith("≡A") for tick in ticks)
    subtitle = figures.state_figure(r, "h").layout.title.subtitle.text
    assert "≡A = positions 0, 1" in subtitle.replace("\xa0", " ")
    assert not any(
        "≡" in tick for tick in figures.state_figure(_by_mode(data)["sequence"], "h").layout.xaxis.ticktext
    )


def test_unknown_state_name_is_refused(data):
    with pytest.raises(ValueError, match="Unknown state"):
        figures.state_figure(data["runs"][0], "x")


def test_gates_figure_has_the_four_gates(data):
    r = _by_mode(data)["sequence"]
    fig = figures.gates_figure(r)
    assert [a.text for a in fig.layout.annotations][:4] == [
        figures.STATE_LABELS[g] for g in figures.GATE_NAMES
    ]
    for k, gate in enumerate(figures.GATE_NAMES):
        np.testing.assert_array_equal(_z(fig, k), np.array([s[gate] for s in r["states"]]).T)


# --- difference ----------------------------------------------------------------------


def test_identical_positions_differ_by_zero(data):
    r = _by_mode(data)["stateless"]
    fig = figures.difference_figure(r, 0, 1)
    assert max(abs(v) for trace in fig.data for v in trace.y) < 1e-6
    assert "max |Δ| = 0 (identical)" in fig.layout.title.text


def test_difference_is_a_minus_b_and_its_maximum_is_in_the_title(data):
    r = _by_mode(data)["sequence"]
    fig = figures.difference_figure(r, 1, 0)
    h, c = (np.array([s[k] for s in r["states"]]) for k in "hc")
    np.testing.assert_allclose(fig.data[0].y, h[1] - h[0], atol=1e-12)
    np.testing.assert_allclose(fig.data[1].y, c[1] - c[0], atol=1e-12)
    biggest = max(np.abs(h[1] - h[0]).max(), np.abs(c[1] - c[0]).max())
    assert biggest > 1e-3  # the sequence mode sees the whole prefix: different states
    assert f"max |Δ| = {biggest:.3g}" in fig.layout.title.text
    assert "identical" not in fig.layout.title.text
    snap = figures.difference_figure(r, 1, 0, snapshot=0)
    h0 = np.array(r["snapshots"][0]["h"])
    np.testing.assert_allclose(snap.data[0].y, h0[1] - h0[0], atol=1e-12)


# --- state flow ----------------------------------------------------------------------


def _arrows(fig, kind):
    return [a for a in fig.layout.annotations if a.name == kind]


@pytest.mark.parametrize("fixture", ["data", "hostile"])
def test_stateful_flow_has_an_arrow_per_previous_batch_cell(request, fixture):
    r = _by_mode(request.getfixturevalue(fixture))["stateful"]
    assert r["batch_size"] == 1
    fig = figures.state_flow_figure(r)
    cells = r["feed"]["cells"]
    from_batch = [c for c in cells if c["source"]["kind"] == "previous_batch"]
    arrows = _arrows(fig, "previous_batch")
    assert len(from_batch) == len(cells) - 1 == len(arrows)
    rows = dict(zip(fig.layout.yaxis.ticktext, fig.layout.yaxis.tickvals, strict=True))
    for cell, arrow in zip(from_batch, arrows, strict=True):
        assert (arrow.axref, arrow.ayref) == ("x", "y")
        assert arrow.y == rows[f"batch {cell['batch']}, sample {cell['sample']}"]
        assert arrow.ay == rows[f"batch {cell['batch'] - 1}, sample {cell['source']['sample']}"]
    assert not _arrows(fig, "previous_step")
    zeros = [t for t in fig.data if t.name == figures.SOURCE_LABELS["zeros"]][0]
    assert len(zeros.x) == 1  # only the first batch starts from zeros
    resets = [t for t in fig.data if t.name == "reset"][0]
    assert len(resets.x) == sum(c["reset"] for c in cells) == 1


def test_sequence_and_window_flows_chain_steps(data):
    runs = _by_mode(data)
    for mode in ("sequence", "window"):
        r = runs[mode]
        fig = figures.state_flow_figure(r)
        steps = [c for c in r["feed"]["cells"] if c["source"]["kind"] == "previous_step"]
        arrows = _arrows(fig, "previous_step")
        assert len(arrows) == len(steps) > 0
        for cell, arrow in zip(steps, arrows, strict=True):
            assert arrow.ax < cell["step"] < arrow.ax + 1 and arrow.x < cell["step"]  # from t-1 into t
            assert arrow.ay == arrow.y  # along the sample's row
    stateless = figures.state_flow_figure(runs["stateless"])
    assert not [a for a in stateless.layout.annotations if a.showarrow]
    labels = list(stateless.layout.yaxis.ticktext)
    assert labels == ["batch 0, sample 0", "batch 0, sample 1"]


def test_flow_height_grows_with_samples():
    def feed_run(samples, batch_size):
        cells = [
            {
                "sample": s,
                "step": 0,
                "batch": s // batch_size,
                "index_in_batch": s % batch_size,
                "position": s,
                "source": (
                    {
                        "kind": "previous_batch",
                        "sample": s - batch_size,
                        "step": 0,
                        "position": s - batch_size,
                    }
                    if s >= batch_size
                    else {"kind": "zeros", "sample": None, "step": None, "position": None}
                ),
                "reset": s < batch_size,
            }
            for s in range(samples)
        ]
        feed = {
            "description": "synthetic",
            "x_tokens": [["a"]] * samples,
            "batches": [list(range(k, k + batch_size)) for k in range(0, samples, batch_size)],
            "cells": cells,
        }
        return {"mode": "stateful", "batch_size": batch_size, "feed": feed}

    small = figures.state_flow_figure(feed_run(4, 2))
    large = figures.state_flow_figure(feed_run(30, 5))
    assert large.layout.height > small.layout.height
    plot = large.layout.height - large.layout.margin.t - large.layout.margin.b
    assert plot / 30 >= 30  # pixels per row: room for a two-line box
    assert len(_arrows(large, "previous_batch")) == 25
    assert len({a.ax for a in _arrows(large, "previous_batch")}) == 5  # one gutter lane per slot


# --- hostile tokens and empty input --------------------------------------------------


def test_hostile_tokens_are_shown_escaped_and_never_raw(hostile):
    escaped = "&lt;b&gt;x&lt;/b&gt;"
    ticks = list(figures.predictions_figure(hostile["runs"][0], hostile["vocabulary"]).layout.xaxis.ticktext)
    assert ticks[0].startswith(f"0: {escaped}→**y**")
    assert any("&#36;z&#36;" in t for t in ticks)
    for fig in _all_figures(hostile):
        strings = list(_strings(fig.to_plotly_json()))
        assert fig.layout.title.text
        for raw in ("<b>x", "</b>", "$z"):
            assert not any(raw in s for s in strings), (raw, fig.layout.title.text)
    flow = figures.state_flow_figure(_by_mode(hostile)["sequence"])
    assert escaped in flow.data[0].text[0] and escaped in flow.data[0].hovertext[0]


def test_empty_inputs_still_give_titled_figures(data):
    bare = dict(_by_mode(data)["sequence"], snapshots=[])
    built = [
        figures.loss_figure([]),
        figures.predictions_figure({}, []),
        figures.predictions_figure(bare, data["vocabulary"], snapshot=0),
        figures.state_figure({}, "h"),
        figures.state_figure(bare, "h", snapshot=2),
        figures.gates_figure({}),
        figures.difference_figure({}, 0, 1),
        figures.difference_figure(bare, 0, 99),
        figures.state_flow_figure({}),
    ]
    for fig in built:
        assert fig.layout.title.text and fig.layout.height > 0
        assert fig.layout.template.layout.paper_bgcolor == "white"  # plotly_white
    assert "no snapshot 0" in built[2].layout.title.text
    np.testing.assert_array_equal(_z(built[4]), np.array([s["h"] for s in bare["states"]]).T)
