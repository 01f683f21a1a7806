"""seqviz's web page: type a sequence, pick how it is fed to a Keras recurrent network (LSTM,
GRU or SimpleRNN, stacked or not), and see where every step's state comes from.

This file is only the controller: it reads the form and the URL, asks the engine for a run
(through a server-wide cache and a limit on concurrent trainings), and lays out what
``seqviz.figures`` draws. TensorFlow is imported only when a run is trained.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import re
import time
from dataclasses import replace
from typing import Any

import streamlit as st

from seqviz.cells import CELLS
from seqviz.config import ALL, OPTION_BY_NAME, Option, RunConfig
from seqviz.csvdata import columns_of, decode, example_csv, parse
from seqviz.errors import SeqvizError
from seqviz.limits import Limits, limits_from_env
from seqviz.losses import REGRESSION
from seqviz.replay import step_names
from seqviz.results import ModeResult, Run, as_text
from seqviz.serving import ResultCache, TrainingGate
from seqviz.shutdown import DRAIN
from seqviz.workers import WorkerPool

PRESETS: dict[str, dict[str, Any]] = {
    "The reference question: 0 1 0 2": {
        "sequence": "0 1 0 2",
        "framing": "pairs",
        "test_sequence": "0 1 0 2",
    },
    "Words: a b a c": {"sequence": "a b a c", "framing": "pairs", "test_sequence": "a b a c"},
    "Counting: 1 2 3 1 2 4 (next)": {
        "sequence": "1 2 3 1 2 4",
        "framing": "next",
        "window": 3,
        "test_sequence": "1 2 3 1 2 4",
    },
    "Needs a window of 2: x a y x b z (next)": {
        "sequence": "x a y x b z",
        "framing": "next",
        "mode": "window",
        "window": 2,
        "test_sequence": "x b z x a y",
    },
    "Echo 2 back: learned or memorised?": {
        # Each target is the input two positions back (the first two: "a").
        "sequence": "a a c a c a a c b c c a b b c c c b a c c c a a b c b a c b a b",
        "framing": "pairs",
        "mode": "all",
        "window": 3,
        "epochs": 400,
        "learning_rate": 0.02,
        "output": "softmax",
        "test_sequence": "a a c a b a c c c b b c b c c b",
    },
    "Stateful chunks (truncated BPTT)": {
        "sequence": "a b c d e f a b c d e g",
        "framing": "next",
        "mode": "chunks",
        "window": 3,
        "test_sequence": "a b c d e f a b c d e g",
    },
    "Stateful lanes: 2 streams side by side": {
        "sequence": "1 2 3 4 5 6 7 8 9",
        "framing": "next",
        "mode": "lanes",
        "test_sequence": "1 2 3 4 5 6 7 8 9",
    },
    "Rows in order (a common mistake)": {
        "sequence": "1 2 3 4 5 6 7 8 9",
        "framing": "next",
        "mode": "rows",
        "test_sequence": "1 2 3 4 5 6 7 8 9",
    },
    "Several sequences, one per line": {
        "sequence": "a b c d\nx b c y\na b e",
        "framing": "next",
        "mode": "custom",
        "timesteps": "all",
        "return_sequences": True,
        "test_sequence": "x b c y",
    },
}
# Numbers: the CSV that ships with seqviz, its next hour's demand from demand and temperature.
PRESETS["Numbers: hourly demand (CSV)"] = {
    "csv": example_csv(),
    "target": "demand",
    "features": "temperature,demand",
    "output": "linear",
    "scaling": "standardise",
    "mode": "chunks",
    "window": 12,
    "units": 16,
    "epochs": 150,
    "learning_rate": 0.01,
    "test_rows": 24,
    "test_sequence": "",
}
PRESETS_PER_ROW = 4
CHART_CONFIG = {"displaylogo": False, "toImageButtonOptions": {"format": "png", "scale": 2}}
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|$<>~])")


def md(text: str) -> str:
    """Text for st.markdown with every markup character escaped: tokens appear as typed."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


# --- server-wide state ---------------------------------------------------------------------


@st.cache_resource
def result_cache() -> ResultCache:
    # At most 32 runs and ~8 million floats (a few hundred MB as Python objects) in all.
    return ResultCache(max_entries=32, max_weight=8e6)


@st.cache_resource
def training_gate(limit: int) -> TrainingGate:
    return TrainingGate(limit)


@st.cache_resource
def worker_pool() -> WorkerPool:
    """Processes that train runs off this server's GIL, one per core."""
    return WorkerPool()


@st.cache_resource
def server_log() -> logging.Logger:
    """Training events (start, finish, abandon) on stderr; ``SEQVIZ_LOG_LEVEL=INFO`` shows them."""
    log = logging.getLogger("seqviz.app")
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s seqviz %(message)s"))
    log.addHandler(handler)
    log.setLevel(os.environ.get("SEQVIZ_LOG_LEVEL", "WARNING").upper())
    log.propagate = False
    return log


class StoppedRun(Exception):
    """A run that hit the time budget: shown as a message, never cached."""


def obtain_result(config: RunConfig, limits: Limits) -> Any:
    """The run for ``config``: from the server's cache, or trained now in a worker process
    (``seqviz.workers``) with a progress bar.

    Pressing Train again or leaving the page makes Streamlit raise inside the progress or
    waiting callback, which stops the worker's training; nothing half-done is cached.
    """
    status, bar = st.empty(), st.empty()
    modes = config.modes

    def compute() -> tuple[Any, float]:
        def queued(position: int) -> None:
            status.info(
                f"Queued: position {position}. The server trains {limits.max_concurrent} run(s) at once."
            )

        gate, log = training_gate(limits.max_concurrent), server_log()
        with gate.slot(on_wait=queued):
            status.caption("Training…")
            started, shown = [time.monotonic()], [0.0]
            log.info("training started running=%d waiting=%d peak=%d", gate.running, gate.waiting, gate.peak)

            def progress(mode: str, epoch: int, loss: float) -> None:
                now = time.monotonic()
                if now - shown[0] > 0.1 or epoch == config.epochs:
                    done = (modes.index(mode) + epoch / config.epochs) / len(modes)
                    bar.progress(
                        min(done, 1.0), text=f"{mode}: epoch {epoch}/{config.epochs} · loss {loss:.4f}"
                    )
                    shown[0] = now

            def still_here() -> None:
                status.caption("Training…")  # any page update raises once the person has left

            def begun() -> None:
                # A big model's first run imports TensorFlow in its worker: not part of the budget.
                started[0] = time.monotonic()

            try:
                result = worker_pool().run(config, limits, progress, on_wait=still_here, on_start=begun)
            except BaseException:
                log.info("training abandoned after %.2f s", time.monotonic() - started[0])
                raise
            log.info(
                "training finished after %.2f s stopped=%s",
                time.monotonic() - started[0],
                result.stopped,
            )
        if result.stopped:
            raise StoppedRun(
                f"Training stopped after {limits.time_budget:.0f} s, this server's time budget for one run. "
                "Try fewer epochs, fewer units or a shorter sequence."
            )
        # Weighed by its float count: the step values per layer and position, states per snapshot.
        k, cell = len(result.run.pairs), CELLS[config.cell]
        per_position = config.layers * len(step_names(cell)) + len(cell.state_names) * config.snapshots
        return result, k * config.units * len(modes) * per_position

    def waiting() -> None:
        status.info("Another visitor is training this exact configuration; its result will be shared.")

    try:
        result, _ = result_cache().get_or_compute(config, compute, waiting)
    finally:
        status.empty()
        bar.empty()
    return result


# --- input: URL, presets, form ---------------------------------------------------------------


def _set_widgets(config: RunConfig) -> None:
    for name, value in config.as_dict().items():
        st.session_state[f"w_{name}"] = (
            0 if name in ("batch_size", "stride", "reset_at") and value is None else value
        )


def _apply_preset(name: str) -> None:
    config = replace(RunConfig.default(limits_from_env()), **PRESETS[name])
    _set_widgets(config)
    st.session_state["pending"] = config


def read_url(limits: Limits) -> tuple[RunConfig, list[str]]:
    return RunConfig.from_query_lenient(st.query_params.to_dict(), limits)


def render_presets() -> None:
    st.caption("Presets that teach: each one trains at once.")
    names = list(PRESETS)
    for first in range(0, len(names), PRESETS_PER_ROW):
        row = names[first : first + PRESETS_PER_ROW]
        for column, name in zip(st.columns(PRESETS_PER_ROW), row):
            column.button(name, on_click=_apply_preset, args=(name,), width="stretch")


FORM_MAIN = ("sequence", "framing", "test_sequence")  # left; "mode" on the right; the rest below
FORM_ADVANCED = (
    ("cell", "layers", "units"),
    ("epochs", "output", "learning_rate"),
    ("window", "batch_size"),
    ("seed", "snapshots"),
)
FORM_LAYOUT = (("timesteps", "stride"), ("stateful", "shuffle", "return_sequences"), ("arrange", "reset"))
FORM_PREDICT = (("predict_batch_size",), ("predict_state",), ("reset_at",))
FORM_NUMBERS = (("csv",), ("target", "features"), ("target_row", "scaling", "test_rows"))
LONG_CSV = 200  # rows above which an upload switches "compare all modes" to stateful chunks


def _widget(container: Any, option: Option, limits: Limits) -> None:
    """The form widget of one option, from its row in the option table."""
    key, label, text = f"w_{option.name}", option.label, option.help
    high = option.upper(limits)
    if option.name == "sequence":
        text += " Several independent sequences: one per line, or separated by |."
        container.text_area(label, key=key, max_chars=limits.max_chars, help=text, height=68)
    elif option.name == "csv":
        container.text_area(label, key=key, max_chars=limits.max_csv_bytes, help=text, height=120)
    elif option.kind in ("text", "steps"):
        container.text_input(label, key=key, help=text)
    elif option.kind == "bool":
        container.checkbox(label, key=key, help=text)
    elif option.kind == "choice":
        choices = dict(option.choices or {})
        horizontal = option.name == "framing"
        if option.name in ("framing", "mode"):
            fmt = lambda c: "Compare all modes" if c == ALL else f"{c}: {choices[c]}"
            container.radio(label, list(choices), key=key, format_func=fmt, horizontal=horizontal, help=text)
        else:
            container.selectbox(label, list(choices), key=key, format_func=lambda c: choices[c], help=text)
    elif option.kind == "float":
        container.number_input(label, option.low, high, key=key, format="%g", step=0.001, help=text)
    else:
        low = 0 if option.kind == "optional_int" else int(option.low or 0)
        container.number_input(label, low, int(high or 0), key=key, step=1, help=text)


def _read_upload(limits: Limits) -> None:
    """On upload: check the file (size, encoding, every cell) and fill the form's numbers
    options with it; a bad file leaves the form as it was and says why."""
    state = st.session_state
    state.pop("csv_error", None)
    upload = state.get("csv_upload")
    if upload is None:
        return
    try:
        text = decode(upload.getvalue(), limits)
        table = parse(text, limits)
    except SeqvizError as error:
        state["csv_error"] = f"{upload.name}: {error}"
        return
    state["w_csv"], state["w_target"], state["w_features"] = text, table.columns[-1], ""
    state["w_output"], state["w_scaling"] = REGRESSION, "standardise"
    state["w_test_sequence"] = ""
    rows = len(table.values)
    if state.get("w_mode") == ALL and rows > LONG_CSV:
        # A long series: stateful chunks of 10 in as many lanes (up to 10) as divide the chunks.
        chunks = -(-(rows - 1) // 10)
        state["w_mode"], state["w_window"] = "chunks", 10
        state["w_batch_size"] = max(d for d in range(1, 11) if chunks % d == 0)
        state["w_epochs"] = min(int(state.get("w_epochs", 100)), 100)


def render_csv_upload(limits: Limits) -> None:
    """The CSV upload beside the form: rows are timesteps, columns are features."""
    st.file_uploader(
        "Or upload a CSV time series",
        type=["csv"],
        key="csv_upload",
        on_change=_read_upload,
        args=(limits,),
        help=(
            "A header row of column names, then one row of numbers per timestep "
            f"(at most {limits.max_csv_bytes // 1024} KB, {limits.max_csv_rows} rows and "
            f"{limits.max_csv_columns} columns). Choose the target and features under Numbers, then Train."
        ),
    )
    error = st.session_state.get("csv_error")
    if error:
        st.error(md(error))
    elif str(st.session_state.get("w_csv", "")).strip():
        try:
            columns = columns_of(st.session_state["w_csv"], limits)
            st.caption("CSV columns: " + md(", ".join(columns)) + ". Target and features: under Numbers.")
        except SeqvizError:
            pass  # the form's own check says what is wrong on Train


def render_form(limits: Limits) -> RunConfig | None:
    """The input form, every widget from the option table; returns the configuration on Train."""
    with st.form("input"):
        left, right = st.columns([3, 2])
        for name in FORM_MAIN:
            _widget(left, OPTION_BY_NAME[name], limits)
        _widget(right, OPTION_BY_NAME["mode"], limits)
        with st.expander("Advanced"):
            for column, names in zip(st.columns(len(FORM_ADVANCED)), FORM_ADVANCED):
                for name in names:
                    _widget(column, OPTION_BY_NAME[name], limits)
        with st.expander("Custom layout (read when the mode is custom)"):
            for column, names in zip(st.columns(len(FORM_LAYOUT)), FORM_LAYOUT):
                for name in names:
                    _widget(column, OPTION_BY_NAME[name], limits)
        with st.expander("Prediction (read when there is a test sequence)"):
            for column, names in zip(st.columns(len(FORM_PREDICT)), FORM_PREDICT):
                for name in names:
                    _widget(column, OPTION_BY_NAME[name], limits)
        with st.expander("Numbers: a CSV time series (used when the CSV box is not empty)"):
            for column, names in zip(st.columns([3, 2, 2]), FORM_NUMBERS):
                for name in names:
                    _widget(column, OPTION_BY_NAME[name], limits)
        submitted = st.form_submit_button("Train", type="primary")
    if not submitted:
        return None
    s = st.session_state
    values = {name: s[f"w_{name}"] for name in OPTION_BY_NAME}
    values["batch_size"] = int(values["batch_size"]) or None
    values["stride"] = int(values["stride"]) or None
    values["reset_at"] = int(values["reset_at"]) or None  # the form's 0: no reset
    values["timesteps"] = str(values["timesteps"]).strip().lower()
    for name, option in OPTION_BY_NAME.items():
        if option.kind == "int":
            values[name] = int(values[name])
        elif option.kind == "float":
            values[name] = float(values[name])
    return RunConfig(**values)


# --- output sections -------------------------------------------------------------------------


@functools.cache
def _figure_spec_class() -> type:
    """A Plotly figure that is only its JSON (``seqviz.figures`` builds plain figure dicts).

    ``st.plotly_chart`` given a dict rebuilds it as a ``go.Figure`` to validate every property,
    which cost more than the rest of a Train click; given a figure it takes ``to_dict()``. The
    tests validate every figure instead (``tests/test_figures.py`` reads them through
    ``go.Figure``), so the page sends the dict as it is.
    """
    from plotly.basedatatypes import BaseFigure

    class FigureSpec(BaseFigure):  # type: ignore[misc]
        def __init__(self, spec: dict[str, Any]):  # no BaseFigure.__init__: nothing to validate
            self._spec = spec

        def to_dict(self) -> dict[str, Any]:
            return self._spec

    return FigureSpec


def chart(fig: dict[str, Any], key: str) -> None:
    st.plotly_chart(_figure_spec_class()(fig), width="stretch", config=CHART_CONFIG, key=key)


def _shape_text(shape: list[int]) -> str:
    names = ["samples", "timesteps", "features"] if len(shape) == 3 else ["samples", "features"]
    return " × ".join(f"{n} {name}" for n, name in zip(shape, names))


def render_feed(run: Run) -> None:
    from seqviz import figures

    st.header("How the data is fed")
    st.markdown(
        "Keras reads X as **(samples, timesteps, features)**. "
        "State flows along the timesteps of one sample; it never crosses from one sample to the next "
        "inside a batch. Only `stateful=True` carries sample *i* of one batch into sample *i* of the next."
    )
    if run.config.output == REGRESSION:
        render_scaling(run)
    modes = run.runs
    per_row = 2 if len(modes) > 1 else 1
    for first in range(0, len(modes), per_row):
        for column, mode in zip(st.columns(per_row, border=len(modes) > 1), modes[first : first + per_row]):
            with column:
                render_feed_of_mode(mode, figures)


def render_scaling(run: Run) -> None:
    """What a regression run's numbers are: which columns, which target, and their scaling."""
    from seqviz.numeric import SCALINGS

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


def render_feed_of_mode(mode: ModeResult, figures: Any) -> None:
    st.subheader(mode.mode)
    st.markdown(md(mode.description))
    st.markdown(
        f"X `{tuple(mode.x_shape)}` · Y `{tuple(mode.y_shape)}` · batch size `{mode.batch_size}` · "
        f"`stateful={mode.stateful}` · `return_sequences={mode.return_sequences}`"
    )
    encoded = "one-hot" if mode.predictions and isinstance(mode.predictions[0].target, str) else "numbers"
    st.caption(f"X: {_shape_text(mode.x_shape)} ({encoded}). Y: {_shape_text(mode.y_shape)}.")
    chart(figures.state_flow_figure(mode), key=f"flow_{mode.mode}")
    feed = mode.feed
    with st.expander("X and Y as tokens"):
        x_rows = [
            {
                "sample": s,
                "batch": s // mode.batch_size,
                **{f"step {t}": tok or "·" for t, tok in enumerate(row)},
            }
            for s, row in enumerate(feed.x_tokens)
        ]
        st.caption("X (· is zero padding)")
        st.dataframe(x_rows, hide_index=True, key=f"x_{mode.mode}")
        st.caption("Y")
        if mode.return_sequences:
            y_rows = [{f"step {t}": tok or "·" for t, tok in enumerate(row)} for row in feed.y_tokens]
        else:
            y_rows = [{"sample": s, "target": tok} for s, tok in enumerate(feed.y_tokens)]
        st.dataframe(y_rows, hide_index=True, key=f"y_{mode.mode}")


def render_loss(run: Run) -> None:
    from seqviz import figures

    st.header("Loss")
    log_scale = st.toggle("Log scale", key="log_scale")
    chart(figures.loss_figure(run.runs, log_scale=log_scale), key="loss")
    st.caption("Dashed lines: each mode's floor, the lowest loss it can reach at all on this data.")


def _prediction_rows(mode: ModeResult, snapshot: int | None, vocabulary: list[str]) -> list[dict[str, Any]]:
    rows = []
    for p in mode.predictions:
        probs = p.probabilities if snapshot is None else mode.snapshots[snapshot].probabilities[p.position]
        best = max(range(len(probs)), key=probs.__getitem__)
        rows.append(
            {
                "position": p.position,
                "input": p.input,
                "target": p.target,
                "predicted": vocabulary[best],
                "probability": round(probs[best], 3),
                "": "✓" if vocabulary[best] == p.target else "✗",
            }
        )
    return rows


def target_scale(result: Any) -> tuple[float, float]:
    """(scale, mean) that turn a regression model's outputs into the target's units."""
    numeric = result.dataset.numeric
    return (1.0, 0.0) if numeric is None else (numeric.scaling.target_scale, numeric.scaling.target_mean)


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
    rows = []
    for p in mode.predictions:
        output = p.probability if snapshot is None else mode.snapshots[snapshot].probabilities[p.position][0]
        value = output * scale[0] + scale[1]
        rows.append(
            {"position": p.position, "input": p.input, "target": p.target, "predicted": round(value, 4)}
        )
    st.dataframe(rows, hide_index=True, key=f"pred_table_{mode.mode}")


@st.fragment
def render_epoch_views(run: Run, scale: tuple[float, float] = (1.0, 0.0)) -> None:
    """Predictions and states, redrawn at any snapshot epoch without retraining."""
    from seqviz import figures

    modes, vocabulary = run.runs, run.vocabulary
    epochs = [s.epoch for s in modes[0].snapshots]
    st.header("Predictions")
    snapshot = None
    if len(epochs) > 1:
        epoch = st.select_slider(
            "Epoch (weights snapshot)",
            options=epochs,
            value=epochs[-1],
            key="epoch",
            help="Drag to replay training",
        )
        snapshot = epochs.index(epoch)
    for column, mode in zip(st.columns(len(modes)), modes):
        with column:
            if run.config.output == REGRESSION:
                render_number_predictions(mode, snapshot, scale)
                continue
            rows = _prediction_rows(mode, snapshot, vocabulary)
            right = sum(row[""] == "✓" for row in rows)
            st.metric(
                f"{mode.mode} accuracy", f"{right / len(rows):.0%}", help=f"{right} of {len(rows)} right"
            )
            with st.container(key=f"predicted_{mode.mode}"):
                st.text("predicted: " + " ".join(row["predicted"] for row in rows))
            chart(figures.predictions_figure(mode, vocabulary, snapshot), key=f"pred_{mode.mode}")
            st.dataframe(rows, hide_index=True, key=f"pred_table_{mode.mode}")
    render_states(run, snapshot, figures)


def render_states(run: Run, snapshot: int | None, figures: Any) -> None:
    """The state section: which value, which layer, which mode."""
    cell, modes = run.config.cell, run.runs
    st.header("State at every step")
    kind = CELLS[cell]
    names = [*kind.state_names, *(n for n in step_names(kind) if n not in kind.state_names)]
    left, right = st.columns(2)
    name = left.selectbox("Show", names, format_func=lambda n: figures.state_label(cell, n), key="state_name")
    layer = None
    if run.config.layers > 1:
        layers = list(range(run.config.layers))
        chosen_layer = right.segmented_control(
            "Layer", layers, default=layers[-1], format_func=lambda k: f"layer {k + 1}", key="state_layer"
        )
        layer = layers[-1] if chosen_layer is None else chosen_layer
    if snapshot is not None and name not in kind.state_names:
        st.caption(
            "The epoch slider redraws the states a step leaves; the other values are shown after training."
        )
    if snapshot is not None and layer is not None and layer != run.config.layers - 1:
        st.caption("Snapshots keep the last layer's states; earlier layers are shown after training.")
    chosen = modes[0].mode
    if len(modes) > 1:
        labels = [m.mode for m in modes]
        chosen = st.segmented_control("Mode", labels, default=labels[0], key="state_mode") or labels[0]
    render_state_of_mode(run.mode(chosen), cell, name, snapshot, layer, figures)


def render_state_of_mode(
    mode: ModeResult, cell: str, name: str, snapshot: int | None, layer: int | None, figures: Any
) -> None:
    """One mode's state heatmap, the cell's internals on demand, and the difference of two positions."""
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
        f"Show all of the {CELLS[cell].label}'s internals", key=f"gates_on_{mode.mode}"
    ):
        chart(figures.internals_figure(mode, cell, layer), key=f"gates_{mode.mode}")
    positions = [p.position for p in mode.predictions]
    if len(positions) < 2:
        return
    labels = {p.position: f"position {p.position}: {p.input} → {p.target}" for p in mode.predictions}
    first = groups[0] if groups else positions[:2]
    pair: list[int] = []
    for column, label, default in zip(st.columns(2), ("Compare position", "with position"), first[:2]):
        chosen: int | None = column.selectbox(
            label,
            positions,
            index=positions.index(default),
            format_func=lambda p: labels[p],
            key=f"diff_{label.split()[0].lower()}_{mode.mode}",
        )
        pair.append(default if chosen is None else chosen)
    chart(figures.difference_figure(mode, pair[0], pair[1], snapshot, layer), key=f"diff_{mode.mode}")


VERDICT_WORDS = {
    "cannot fit": "cannot fit: the floor is above zero",
    "memorised": "memorised: fits the training data, not the test sequence",
    "learned": "learned the rule: fits both",
}


NUMBER_VERDICT_WORDS = {
    "cannot fit": "cannot fit: even the loss floor is above 10% of the targets' variance",
    "memorised": "memorised: predicts the training part (R² ≥ 0.9), not the test part",
    "learned": "learned: predicts both parts (R² ≥ 0.9 on each)",
}


@st.fragment
def render_test(result: Any) -> None:
    """The test sequence: each mode's verdict, its predictions, and the intervention (a reset
    before a chosen test position), recomputed here without retraining."""
    from seqviz.predict import predict_positions

    run: Run = result.run
    tested = [m for m in run.runs if m.test is not None]
    if not tested:
        return
    st.header(
        "Learned or memorised: the test sequence"
        if not run.config.uses_csv
        else "Learned or memorised: the test rows"
    )
    first = tested[0].test
    assert first is not None
    st.caption(
        f"Test sequence {md(' '.join(first.tokens))!s}, predicted after training with batch size "
        f"{first.batch_size}, starting from {'the training state' if first.carried else 'zeros'}. "
        "A tie is a position that looks alike to another with a different target: never counted right."
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
    for column, mode in zip(st.columns(len(tested)), tested):
        test = mode.test
        assert test is not None
        with column:
            words = NUMBER_VERDICT_WORDS if run.config.output == REGRESSION else VERDICT_WORDS
            st.metric(
                f"{mode.mode} verdict", mode.verdict or "not fitted yet", help=words.get(mode.verdict or "")
            )
            st.caption(f"train {mode.accuracy:.0%} · test {test.accuracy:.0%} · test loss {test.loss:.4f}")
            after = None
            if reset_at is not None:
                feed = result.tests[mode.mode]
                start = result.final_states[mode.mode] if feed.carried else None
                probabilities = predict_positions(
                    feed.feed, result.weights[mode.mode], run.config.output, start, reset_at
                )
                if run.config.output == REGRESSION:
                    scale, mean = target_scale(result)
                    after = [as_text(round(float(p[0]) * scale + mean, 6)) for p in probabilities]
                else:
                    after = [run.vocabulary[int(p.argmax())] for p in probabilities]
            rows = []
            for k, p in enumerate(test.predictions):
                row = {"position": p.position, "input": p.input, "target": p.target, "predicted": p.predicted}
                row[""] = "tie" if p.tie else "✓" if p.correct else "✗"
                if after is not None:
                    row["after reset"] = after[k] + (" (changed)" if after[k] != p.predicted_text else "")
                rows.append(row)
            with st.container(key=f"test_{mode.mode}"):
                st.text("test predicted: " + " ".join(p.predicted_text for p in test.predictions))
                if after is not None:
                    st.text("after reset: " + " ".join(after))
            st.dataframe(rows, hide_index=True, key=f"test_table_{mode.mode}")


def render_explanation(run: Run) -> None:
    from seqviz.explain import sentence

    st.header("What happened")
    for mode in run.runs:
        score, *rest = mode.facts
        st.markdown(f"**{md(sentence(score))}**")
        for fact in rest:
            st.markdown("- " + md(sentence(fact)))
    for fact in run.facts:
        st.success(sentence(fact))


def render_downloads(result: Any) -> None:
    from seqviz.export import predictions_csv, states_csv, training_script

    st.header("Code and data")
    run: Run = result.run
    tabs = st.tabs([f"{mode}: train.py" for mode in result.feeds])
    for tab, (mode, feed) in zip(tabs, result.feeds.items()):
        with tab:
            script = training_script(feed, result.dataset, run.config, result.tests.get(mode))
            st.download_button("Download train.py", script, file_name=f"train_{mode}.py", key=f"dl_{mode}")
            st.code(script, language="python")
    a, b, c = st.columns(3)
    # Written when clicked, not on every rerun: a long run's JSON is megabytes.
    a.download_button(
        "Download the run (JSON)",
        lambda: json.dumps(run.to_json(), ensure_ascii=False),
        file_name="seqviz_run.json",
        mime="application/json",
        key="dl_json",
        on_click="ignore",
    )
    b.download_button(
        "Download the states (CSV)",
        lambda: states_csv(run),
        file_name="seqviz_states.csv",
        mime="text/csv",
        key="dl_csv",
        on_click="ignore",
    )
    c.download_button(
        "Download the predictions (CSV)",
        lambda: predictions_csv(run),
        file_name="seqviz_predictions.csv",
        mime="text/csv",
        key="dl_predictions_csv",
        on_click="ignore",
    )
    st.caption("Every chart's toolbar has a camera button that downloads it as PNG.")


# --- the page --------------------------------------------------------------------------------


def choose_config(limits: Limits) -> RunConfig | None:
    """Which configuration this rerun shows: a pressed Train, a preset, the URL, or the last shown."""
    state = st.session_state
    if "shown" not in state:
        config, notices = read_url(limits)
        for notice in notices:
            st.warning(md(notice))  # notices quote the URL, which anyone can write
        _set_widgets(config)
        state["shown"] = config
        state["pending"] = config
    return state.get("pending")


def main() -> None:
    st.set_page_config(page_title="seqviz: what does your LSTM remember?", layout="wide")
    limits = limits_from_env()
    st.title("seqviz: what does your LSTM remember?")
    st.markdown(
        "Type a sequence, pick how it is fed to a Keras LSTM (or a GRU or SimpleRNN, stacked or not), "
        "press **Train**, and see, step by step, "
        "where the LSTM's state comes from, and why *stateless* training cannot learn `0 1 0 2`."
    )
    pending = choose_config(limits)
    render_presets()
    render_csv_upload(limits)
    submitted = render_form(limits)
    if submitted is not None:
        pending = submitted
    config = pending or st.session_state["shown"]
    if pending is not None:
        try:
            config.validate(limits)
        except SeqvizError as error:
            st.error(md(str(error)))
            st.session_state.pop("pending", None)
            config = st.session_state["shown"]
            if config is pending:
                return
    try:
        result = obtain_result(config, limits)
    except StoppedRun as stopped:
        st.error(str(stopped))
        st.session_state.pop("pending", None)
        return
    except SeqvizError as error:
        st.error(md(str(error)))
        st.session_state.pop("pending", None)
        return
    st.session_state["shown"] = config
    st.session_state.pop("pending", None)
    # A link carries every option but the CSV itself (an upload is too big for a URL).
    st.query_params.from_dict({k: v for k, v in config.to_query().items() if k != "csv"})
    run = result.run
    render_feed(run)
    render_loss(run)
    render_epoch_views(run, target_scale(result))
    render_test(result)
    render_explanation(run)
    render_downloads(result)


with DRAIN.page_run():  # a draining server (serve.py) lets this run finish first
    main()
