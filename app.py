"""seqviz's web page: type a sequence, pick how it is fed to a Keras recurrent network (LSTM,
GRU or SimpleRNN, stacked or not), and see where every step's state comes from.

This file is only the controller: it reads the form and the URL, asks the engine for a run
(through a server-wide cache and a limit on concurrent trainings), and lays out what
``seqviz.figures`` draws. TensorFlow is imported only when a run is trained.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import re
import time
from dataclasses import replace
from typing import Any

import streamlit as st

from seqviz.cells import CELLS
from seqviz.config import ALL, OPTION_BY_NAME, Option, RunConfig
from seqviz.csvdata import columns_of, decode, parse
from seqviz.epochs import predictions_at, target_scale, values_at
from seqviz.errors import SeqvizError
from seqviz.glossary import GLOSSARY, glossary_text
from seqviz.jsonout import dumps
from seqviz.limits import Limits, limits_from_env
from seqviz.losses import REGRESSION
from seqviz.presets import PRESET_NOTES, PRESETS
from seqviz.replay import step_names
from seqviz.results import ModeResult, Prediction, Run
from seqviz.serving import ResultCache, TrainingGate
from seqviz.shutdown import DRAIN
from seqviz.view import View, split_query, view_from_query
from seqviz.workers import WorkerPool

PRESETS_PER_ROW = 4
PANELS_PER_ROW = 2  # per-mode charts and tables side by side
# The toolbar appears only on hover; figures leave room for it above their titles.
CHART_CONFIG = {
    "displaylogo": False,
    "displayModeBar": "hover",
    "toImageButtonOptions": {"format": "png", "scale": 2},
}
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


def obtain_result(config: RunConfig, limits: Limits, chain: tuple[int, ...] = ()) -> Any:
    """The run for ``config``: from the server's cache, or trained now in a worker process
    (``seqviz.workers``) with a progress bar. ``chain``: continued training, so many more
    epochs at a time, each from the weights the run before it ended with.

    Pressing Train again or leaving the page makes Streamlit raise inside the progress or
    waiting callback, which stops the worker's training; nothing half-done is cached.
    """
    from seqviz.engine import joined

    parent = obtain_result(config, limits, chain[:-1]) if chain else None
    job = replace(config, epochs=chain[-1]) if chain else config
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
                if now - shown[0] > 0.1 or epoch == job.epochs:
                    done = (modes.index(mode) + epoch / job.epochs) / len(modes)
                    bar.progress(min(done, 1.0), text=f"{mode}: epoch {epoch}/{job.epochs} · loss {loss:.4f}")
                    shown[0] = now

            def still_here() -> None:
                status.caption("Training…")  # any page update raises once the person has left

            def begun() -> None:
                # A big model's first run imports TensorFlow in its worker: not part of the budget.
                started[0] = time.monotonic()

            try:
                start = None if parent is None else parent.weights
                result = worker_pool().run(
                    job, limits, progress, on_wait=still_here, on_start=begun, start=start
                )
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
        if parent is not None:
            result = joined(parent, result)
        # Weighed by its float count: the step values per layer and position, states per snapshot.
        k, cell = len(result.run.pairs), CELLS[config.cell]
        per_position = config.layers * len(step_names(cell)) + len(cell.state_names) * config.snapshots
        return result, k * config.units * len(modes) * per_position

    def waiting() -> None:
        status.info("Another visitor is training this exact configuration; its result will be shared.")

    try:
        result, _ = result_cache().get_or_compute((config, chain) if chain else config, compute, waiting)
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
    st.session_state["preset"] = (name, config)
    st.session_state["chain"] = ()


def read_url(limits: Limits) -> tuple[RunConfig, list[str]]:
    options, _ = split_query(st.query_params.to_dict())
    return RunConfig.from_query_lenient(options, limits)


def render_presets() -> None:
    st.caption("Presets that teach: each one trains at once and says what to notice.")
    names = list(PRESETS)
    for first in range(0, len(names), PRESETS_PER_ROW):
        row = names[first : first + PRESETS_PER_ROW]
        for column, name in zip(st.columns(PRESETS_PER_ROW), row):
            column.button(
                name, on_click=_apply_preset, args=(name,), width="stretch", help=PRESET_NOTES[name]
            )


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


def current_view() -> View:
    view = st.session_state.get("view")
    return view if isinstance(view, View) else View()


def chart(fig: dict[str, Any], key: str) -> None:
    """A figure in the page's theme (presentation mode: large, high-contrast text)."""
    if current_view().present:
        from seqviz.figures import THEMES, themed

        fig = themed(fig, THEMES["present"])
    from seqviz.figures.margins import reserve_margins

    fig = reserve_margins(fig)  # drawn once: Plotly need not grow a margin and draw again
    # theme=None: Streamlit's chart theme would replace the figure's text sizes and colours with its
    # own (grey tick labels of 3.7:1); seqviz.figures sets them for contrast and presentation.
    st.plotly_chart(_figure_spec_class()(fig), width="stretch", config=CHART_CONFIG, key=key, theme=None)


def note_view(name: str, value: Any, default: Any) -> None:
    """Remember a view control's value for the URL (only when it is not the default)."""
    noted = st.session_state.setdefault("view_now", {})
    noted[name] = getattr(View(), name) if value == default else value


def view_query() -> dict[str, str]:
    view = current_view()
    return replace(view, **st.session_state.get("view_now", {})).to_query()


def sync_view_to_url() -> None:
    """The view's parameters in the URL, beside the run's: a copied link opens on this view."""
    from seqviz.view import VIEW_KEYS

    wanted = view_query()
    for key in VIEW_KEYS:
        if key in wanted:
            if st.query_params.get(key) != wanted[key]:
                st.query_params[key] = wanted[key]
        elif key in st.query_params:
            del st.query_params[key]


def grid(rows: list[dict[str, Any]], key: str) -> None:
    """Rows as an interactive table. Handed to Streamlit as an Arrow table: from a list of dicts it
    would first build a pandas DataFrame, most of a small table's cost on the server."""
    import pyarrow as pa

    table: Any = rows
    with contextlib.suppress(pa.ArrowInvalid, pa.ArrowTypeError):  # a mixed column: Streamlit copes
        table = pa.Table.from_pylist(rows)
    st.dataframe(table, hide_index=True, key=key)


def lazy_section(name: str, label: str, in_url: bool = True) -> Any | None:
    """An expander whose content is built only while it is open: a Train click computes and sends
    none of its charts and tables until someone asks for them. ``in_url``: a section of
    ``seqviz.view.OPENABLE``, which ``open=<name>`` in a link opens and the URL records.

    Returns the expander to fill, or None while it is closed. Call it inside a fragment: opening
    it reruns only that fragment.
    """
    view = current_view()
    section = st.expander(label, expanded=in_url and view.opened(name), key=f"open_{name}", on_change="rerun")
    if not in_url:
        return section if section.open else None
    noted = st.session_state.setdefault("view_now", {})
    opened = set(noted.get("open", view.open)) - {name} | ({name} if section.open else set())
    from seqviz.view import OPENABLE

    note_view("open", tuple(n for n in OPENABLE if n in opened), ())
    sync_view_to_url()
    return section if section.open else None


def panels(count: int) -> list[Any]:
    """``count`` columns, two a row at most: four side by side leave a laptop's panel too
    narrow for a chart's title or a table's columns."""
    per_row = max(1, min(count, PANELS_PER_ROW))
    rows = [st.columns(per_row) for _ in range(0, count, per_row)]
    return [column for row in rows for column in row][:count]


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _shape_text(shape: list[int]) -> str:
    names = ["sample", "timestep", "feature"] if len(shape) == 3 else ["sample", "feature"]
    return " × ".join(plural(n, name) for n, name in zip(shape, names))


def look_at(text: str) -> None:
    """The sentence under a section's header that says what to look at."""
    st.markdown(f"**What to look at:** {md(text)}")


def render_feed(run: Run) -> None:
    from seqviz import figures

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
                render_feed_of_mode(mode, figures)


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


def render_feed_of_mode(mode: ModeResult, figures: Any) -> None:
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
        x_rows = [
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
            y_rows = [{f"step {t}": tok or "·" for t, tok in enumerate(row)} for row in feed.y_tokens]
        else:
            y_rows = [{"sample": s, "target": tok} for s, tok in enumerate(feed.y_tokens)]
        grid(y_rows, key=f"y_{mode.mode}")


def render_loss(run: Run) -> None:
    from seqviz import figures
    from seqviz.explain import loss_lines, sentence

    st.header("Loss", help=GLOSSARY["loss floor"])
    look_at(sentence(loss_lines(run)))
    log_scale = st.toggle(
        "Log scale", key="log_scale", help="A logarithmic loss axis; floors of 0 cannot be drawn on it."
    )
    chart(figures.loss_figure(run.runs, log_scale=log_scale), key="loss")
    st.caption("Dashed lines: each mode's floor, the lowest loss it can reach at all on this data.")


def _prediction_rows(predictions: list[Prediction]) -> list[dict[str, Any]]:
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
    rows = [
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
            render_states(run, snapshot, figures)
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
    render_states(run, snapshot, figures)


def render_states(run: Run, snapshot: int | None, figures: Any) -> None:
    """The state section: which value, which layer, which mode."""
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
    render_state_of_mode(run.mode(chosen), cell, name, snapshot, layer, figures)
    sync_view_to_url()


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


# --- step through it: time, training, what each position sees, the cell, one unit ---------------


@st.fragment
def render_walkthrough(result: Any) -> None:
    """The lesson, played: each figure animates in the browser (Plotly frames), so stepping or
    playing costs no script run; the choices here rerun only this fragment."""
    run: Run = result.run
    st.header("Step through it")
    section = lazy_section(
        "walkthrough",
        "Play it through time and through training; what each position can see; the cell; one unit",
    )
    if section is None:
        return
    with section:
        _walkthrough(result, run)


def _walkthrough(result: Any, run: Run) -> None:
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
        render_training_player(run, pair, figures)
    render_reach(run, reaches, pair, figures)
    render_cell(run.config.cell, figures)
    render_unit(run, figures)


def render_training_player(run: Run, pair: tuple[int, int] | None, figures: Any) -> None:
    st.subheader("Play through training")
    st.caption(
        "One frame per weight snapshot: the dot on each loss curve is the epoch shown, and below, how sure "
        "each mode is of each position's target at that epoch, and how far apart the states of the most "
        "telling pair of positions are. Press play to watch the modes learn, or not."
    )
    chart(figures.training_figure(run.runs, run.vocabulary, pair), key="play_training")


def render_unit(run: Run, figures: Any) -> None:
    """One unit's values across the positions, every mode as a line."""
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


def render_cell(cell: str, figures: Any) -> None:
    """The cell's diagram and, for touch screens that cannot hover, its values as a table."""
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


def render_reach(run: Run, reaches: dict[str, Any], pair: tuple[int, int] | None, figures: Any) -> None:
    """Two positions' inputs seen in every mode; by default the most telling pair."""
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


@st.fragment
def render_test(result: Any) -> None:
    """The test sequence: each mode's verdict, its predictions, and the intervention (a reset
    before a chosen test position), recomputed here without retraining."""
    from seqviz.explain import scored_label, seen_caption, verdict_help, verdict_label
    from seqviz.figures.phase import prediction_phase_figure

    run: Run = result.run
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
            rows = []
            for k, p in enumerate(test.predictions):
                row = {"position": p.position, "input": p.input, "target": p.target, "predicted": p.predicted}
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


def render_explanation(run: Run) -> None:
    from seqviz.explain import sentence

    st.header("What happened")
    look_at("each mode's score beside its loss floor, then the reason, in the run's own numbers.")
    for mode in run.runs:  # one element per mode: each element costs the server and the browser
        score, *rest = mode.facts
        st.markdown("\n".join([f"**{md(sentence(score))}**", "", *("- " + md(sentence(f)) for f in rest)]))
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
        lambda: dumps(run.to_json()),
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


# --- the answer first ---------------------------------------------------------------------------


def render_answer(run: Run, previous: bool) -> None:
    """One line per mode: its verdict and the reason, from the run's facts."""
    from seqviz.explain import answer

    with st.container(key="answer"):
        if previous:
            st.warning(
                f"Showing the previous run ({md(run.config.sequence[:60])}, mode {run.config.mode}): "
                "the configuration above has an error and was not trained."
            )
        preset = st.session_state.get("preset")
        if preset is not None and preset[1] == run.config:
            st.info(PRESET_NOTES[preset[0]])
        for mode in run.runs:
            a = answer(mode)
            with st.container(key=f"answer_{mode.mode}"):
                st.markdown(
                    f"{a.mark} **{md(a.mode)}: {md(a.headline)}** "
                    f"({a.correct} of {a.total} positions right). " + md(a.reason)
                )


def _continue(epochs_key: str) -> None:
    state = st.session_state
    state["chain"] = (*state.get("chain", ()), int(state[epochs_key]))


def render_continue(run: Run, chain: tuple[int, ...], limits: Limits) -> None:
    """Train more epochs from the weights this run ended with."""
    if chain:
        first = run.config.epochs - sum(chain)
        more = " + ".join(map(str, chain))
        st.caption(
            f"Continued training: {first} epochs, then {more} more from the weights training ended with "
            f"({run.config.epochs} in all). A link to this page trains the first {first} only."
        )
    left, right = st.columns([1, 2], vertical_alignment="bottom")
    left.number_input(
        "Train on for this many passes",
        1,
        limits.max_epochs,
        value=min(100, limits.max_epochs),
        step=10,
        key="more_epochs",
        help="Epochs to train on from the weights this run ended with, without starting over.",
    )
    right.button(
        "Continue training",
        on_click=_continue,
        args=("more_epochs",),
        help="Trains every mode on from its final weights; the loss curve goes on where it stopped.",
    )


def render_contrast(run: Run) -> None:
    """The state heatmaps of the two modes that tell the lesson, side by side."""
    from seqviz import figures
    from seqviz.explain import contrast_look, contrast_pair, sentence

    pair = contrast_pair(run)
    if pair is None:
        return
    stuck, other = (run.mode(name) for name in pair)
    st.header("The contrast: the same positions, two feeds", help=GLOSSARY["≡"])
    seen_alike = contrast_look(run, stuck.mode, other.mode)
    if seen_alike is not None:
        look_at(sentence(seen_alike))
    else:
        look_at(f"how the state at each position differs between {stuck.mode} and {other.mode}.")
    for column, mode in zip(st.columns(2), (stuck, other)):
        with column:
            name = CELLS[run.config.cell].state_names[0]
            chart(figures.state_figure(mode, name), key=f"contrast_{mode.mode}")


def render_glossary() -> None:
    with st.expander("Glossary: the words this page uses"):
        st.markdown("\n".join(f"- **{md(term)}**: {md(text)}" for term, text in GLOSSARY.items()))


# --- the page --------------------------------------------------------------------------------

# The band Streamlit leaves above the title (6 rem) shrinks to what its toolbar needs; captions
# lose Streamlit's 60% opacity (3.0:1 on white, axe's color-contrast) for a grey of 8.6:1.
PAGE_CSS = """
<style>
[data-testid="stMainBlockContainer"] { padding-top: 1.5rem; }
[data-testid="stCaptionContainer"] { opacity: 1; }
[data-testid="stCaptionContainer"], [data-testid="stCaptionContainer"] p { color: #4a4c57; }
[data-testid="stWidgetLabel"] p { color: #1f2029; }
</style>
"""
# Presentation mode: every text of the page larger (Streamlit sizes text in rem).
PRESENT_CSS = """
<style>
html { font-size: 20px; }
[data-testid="stMarkdownContainer"] p, [data-testid="stMarkdownContainer"] li { font-size: 1.15rem; }
</style>
"""


def style_page(view: View) -> None:
    st.html(PAGE_CSS + (PRESENT_CSS if view.present else ""))


def choose_config(limits: Limits) -> RunConfig | None:
    """Which configuration this rerun shows: a pressed Train, a preset, the URL, or the last shown."""
    state = st.session_state
    if "shown" not in state:
        config, notices = read_url(limits)
        view, view_notices = view_from_query(st.query_params.to_dict())
        for notice in notices + view_notices:
            st.warning(md(notice))  # notices quote the URL, which anyone can write
        _set_widgets(config)
        state["shown"] = config
        state["pending"] = config
        state["view"] = view
    return state.get("pending")


def main() -> None:
    st.set_page_config(page_title="seqviz: what does your LSTM remember?", layout="wide")
    limits = limits_from_env()
    pending = choose_config(limits)
    view = current_view()
    style_page(view)
    st.title("seqviz: what does your LSTM remember?")
    if not view.hidden("intro"):
        st.markdown(
            "Type a sequence, pick how it is fed to a Keras LSTM (or a GRU or SimpleRNN, stacked or not), "
            "press **Train**, and see, step by step, "
            "where the LSTM's state comes from, and why *stateless* training cannot learn `0 1 0 2`."
        )
    answer_slot = st.container()
    if not view.hidden("glossary"):
        render_glossary()
    if not view.hidden("presets"):
        render_presets()
    if not view.hidden("form"):
        render_csv_upload(limits)
        submitted = render_form(limits)
        if submitted is not None:
            pending = submitted
    config = pending or st.session_state["shown"]
    previous = False
    if pending is not None:
        try:
            config.validate(limits)
        except SeqvizError as error:
            st.error(md(str(error)))
            st.session_state.pop("pending", None)
            config = st.session_state["shown"]
            if config is pending:
                return
            previous = True
        if not previous:
            st.session_state["chain"] = ()  # a new configuration trains from the start
    chain: tuple[int, ...] = st.session_state.get("chain", ())
    try:
        result = obtain_result(config, limits, chain)
    except StoppedRun as stopped:
        st.error(str(stopped))
        st.session_state.pop("pending", None)
        st.session_state["chain"] = chain[:-1]  # the continuation that stopped is not kept
        return
    except SeqvizError as error:
        st.error(md(str(error)))
        st.session_state.pop("pending", None)
        return
    st.session_state["shown"] = config
    st.session_state.pop("pending", None)
    # A link carries every option but the CSV itself (an upload is too big for a URL).
    query = {k: v for k, v in config.to_query().items() if k != "csv"}
    st.query_params.from_dict({**query, **view_query()})
    run = result.run
    if not view.hidden("answer"):
        with answer_slot:
            render_answer(run, previous)
            if not view.hidden("continue"):
                render_continue(run, chain, limits)
    contrast_slot = st.container()
    # Cheap first (Streamlit sends each element as the script reaches it), then the state views.
    if not view.hidden("loss"):
        render_loss(run)
    if not (view.hidden("predictions") and view.hidden("states")):
        render_epoch_views(run, target_scale(result.dataset))
    if not view.hidden("contrast"):
        with contrast_slot:
            render_contrast(run)
    if not view.hidden("feed"):
        render_feed(run)
    if not view.hidden("walkthrough"):
        render_walkthrough(result)
    if not view.hidden("test"):
        render_test(result)
    if not view.hidden("explanation"):
        render_explanation(run)
    if not view.hidden("downloads"):
        render_downloads(result)


with DRAIN.page_run():  # a draining server (serve.py) lets this run finish first
    main()
