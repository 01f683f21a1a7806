"""The input form and the CSV upload beside it: every widget from its row in the option table
(``seqviz.config.OPTIONS``), the widgets set from a configuration, and the configuration read
back from them when Train is pressed."""

from __future__ import annotations

from typing import Any

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from page.common import md
from seqviz.config import ALL, OPTION_BY_NAME, Option, RunConfig
from seqviz.csvdata import columns_of, decode, parse
from seqviz.errors import SeqvizError
from seqviz.limits import Limits
from seqviz.losses import REGRESSION

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


def set_widgets(config: RunConfig) -> None:
    """Every form widget set to ``config``'s value (an optional count of None: the form's 0)."""
    for name, value in config.as_dict().items():
        st.session_state[f"w_{name}"] = (
            0 if name in ("batch_size", "stride", "reset_at") and value is None else value
        )


def _widget(container: DeltaGenerator, option: Option, limits: Limits) -> None:
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


def _widgets(names: tuple[tuple[str, ...], ...], columns: list[DeltaGenerator], limits: Limits) -> None:
    for column, group in zip(columns, names):
        for name in group:
            _widget(column, OPTION_BY_NAME[name], limits)


def render_form(limits: Limits) -> RunConfig | None:
    """The input form, every widget from the option table; returns the configuration on Train."""
    with st.form("input"):
        left, right = st.columns([3, 2])
        for name in FORM_MAIN:
            _widget(left, OPTION_BY_NAME[name], limits)
        _widget(right, OPTION_BY_NAME["mode"], limits)
        with st.expander("Advanced"):
            _widgets(FORM_ADVANCED, st.columns(len(FORM_ADVANCED)), limits)
        with st.expander("Custom layout (read when the mode is custom)"):
            _widgets(FORM_LAYOUT, st.columns(len(FORM_LAYOUT)), limits)
        with st.expander("Prediction (read when there is a test sequence)"):
            _widgets(FORM_PREDICT, st.columns(len(FORM_PREDICT)), limits)
        with st.expander("Numbers: a CSV time series (used when the CSV box is not empty)"):
            _widgets(FORM_NUMBERS, st.columns([3, 2, 2]), limits)
        submitted = st.form_submit_button("Train", type="primary")
    if not submitted:
        return None
    return _form_config()


def _form_config() -> RunConfig:
    """The configuration the form's widgets hold (the form's 0 for an optional count: none)."""
    s = st.session_state
    values: dict[str, Any] = {name: s[f"w_{name}"] for name in OPTION_BY_NAME}
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
