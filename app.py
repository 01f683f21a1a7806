"""seqviz's web page: type a sequence, pick how it is fed to a Keras LSTM, and see where every
step's state comes from.

This file is only the controller: it reads the form and the URL, asks the engine for a run
(through a server-wide cache and a limit on concurrent trainings), and lays out what
``seqviz.figures`` draws. TensorFlow is imported only when a run is trained.
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
from dataclasses import replace
from typing import Any

import streamlit as st

from seqviz.config import ALL, MODE_NAMES, OUTPUTS, RunConfig
from seqviz.errors import SeqvizError
from seqviz.limits import Limits, limits_from_env
from seqviz.modes import MODE_HELP
from seqviz.sequence import FRAMING_HELP, FRAMINGS
from seqviz.serving import Deadline, ResultCache, TrainingGate
from seqviz.shutdown import DRAIN

MODE_LABELS = {
    ALL: "Compare all modes",
    "stateless": "stateless",
    "stateful": "stateful",
    "sequence": "sequence",
    "window": "window",
}
PRESETS: dict[str, dict[str, Any]] = {
    "The reference question: 0 1 0 2": {"sequence": "0 1 0 2", "framing": "pairs"},
    "Words: a b a c": {"sequence": "a b a c", "framing": "pairs"},
    "Counting: 1 2 3 1 2 4 (next)": {"sequence": "1 2 3 1 2 4", "framing": "next", "window": 3},
    "Needs a window of 2: x a y x b z (next)": {
        "sequence": "x a y x b z",
        "framing": "next",
        "mode": "window",
        "window": 2,
    },
}
CHART_CONFIG = {"displaylogo": False, "toImageButtonOptions": {"format": "png", "scale": 2}}
STATE_NAMES = {
    "h": "h: hidden state (the LSTM's output)",
    "c": "c: cell state (its memory)",
    "h0": "h0: hidden state entering the step",
    "c0": "c0: cell state entering the step",
    "i": "i: input gate",
    "f": "f: forget gate",
    "g": "g: candidate values",
    "o": "o: output gate",
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


def obtain_result(config: RunConfig, limits: Limits):
    """The run for ``config``: from the server's cache, or trained now with a progress bar.

    Pressing Train again or leaving the page makes Streamlit raise inside the progress
    callback, which abandons the training; nothing half-done is cached.
    """
    status, bar = st.empty(), st.empty()
    modes = config.modes

    def compute():
        def queued(position: int) -> None:
            status.info(
                f"Queued: position {position}. The server trains {limits.max_concurrent} run(s) at once."
            )

        gate, log = training_gate(limits.max_concurrent), server_log()
        with gate.slot(on_wait=queued):
            from seqviz.engine import run
            from seqviz.trainer import prepare

            status.caption("Training…")
            prepare(config.units)  # a big model's first run imports TensorFlow: not part of the budget
            deadline, shown = Deadline(limits.time_budget), [0.0]
            log.info("training started running=%d waiting=%d peak=%d", gate.running, gate.waiting, gate.peak)

            def progress(mode: str, epoch: int, loss: float) -> bool:
                now = time.monotonic()
                if now - shown[0] > 0.1 or epoch == config.epochs:
                    done = (modes.index(mode) + epoch / config.epochs) / len(modes)
                    bar.progress(
                        min(done, 1.0), text=f"{mode}: epoch {epoch}/{config.epochs} · loss {loss:.4f}"
                    )
                    shown[0] = now
                return deadline.expired

            try:
                result = run(config, progress=progress, limits=limits)
            except BaseException:
                log.info("training abandoned after %.2f s", time.monotonic() - deadline.started)
                raise
            log.info(
                "training finished after %.2f s stopped=%s",
                time.monotonic() - deadline.started,
                result.stopped,
            )
        if result.stopped:
            raise StoppedRun(
                f"Training stopped after {limits.time_budget:.0f} s, this server's time budget for one run. "
                "Try fewer epochs, fewer units or a shorter sequence."
            )
        # Weighed by its float count: 8 state vectors per position, h and c per snapshot.
        k, units = len(result.data["pairs"]), config.units
        return result, k * units * len(modes) * (2 * config.snapshots + 8)

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
        st.session_state[f"w_{name}"] = 0 if name == "batch_size" and value is None else value


def _apply_preset(name: str) -> None:
    config = replace(RunConfig(), **PRESETS[name])
    _set_widgets(config)
    st.session_state["pending"] = config


def read_url(limits: Limits) -> tuple[RunConfig, list[str]]:
    return RunConfig.from_query_lenient(st.query_params.to_dict(), limits)


def render_presets() -> None:
    st.caption("Presets that teach: each one trains at once.")
    columns = st.columns(len(PRESETS))
    for column, name in zip(columns, PRESETS):
        column.button(name, on_click=_apply_preset, args=(name,), width="stretch")


def render_form(limits: Limits) -> RunConfig | None:
    """The input form; returns the typed configuration when Train is pressed."""
    with st.form("input"):
        left, right = st.columns([3, 2])
        left.text_input(
            "Sequence",
            key="w_sequence",
            max_chars=limits.max_chars,
            help="Tokens separated by spaces or commas: numbers, words, anything.",
        )
        left.radio(
            "Framing",
            list(FRAMINGS),
            key="w_framing",
            horizontal=True,
            format_func=lambda f: f"{f}: {FRAMING_HELP[f]}",
        )
        right.radio(
            "How the sequence is fed to the LSTM",
            [ALL, *MODE_NAMES],
            key="w_mode",
            format_func=lambda m: MODE_LABELS[m] if m == ALL else f"{m}: {MODE_HELP[m]}",
        )
        with st.expander("Advanced"):
            a, b, c, d = st.columns(4)
            a.number_input("LSTM units", 1, limits.max_units, key="w_units")
            a.number_input("Epochs", 1, limits.max_epochs, key="w_epochs")
            b.selectbox(
                "Output / loss",
                list(OUTPUTS),
                key="w_output",
                format_func=lambda o: {
                    "sigmoid": "sigmoid + binary cross-entropy",
                    "softmax": "softmax + categorical cross-entropy",
                }[o],
            )
            b.number_input(
                "Learning rate (Adam)", 1e-5, 10.0, key="w_learning_rate", format="%.4f", step=0.001
            )
            c.number_input("Window (window mode)", 1, limits.max_tokens, key="w_window")
            c.number_input(
                "Batch size",
                0,
                limits.max_tokens,
                key="w_batch_size",
                help="0: each mode's default (K, 1, 1, K)",
            )
            d.number_input("Seed", 0, 2**31 - 1, key="w_seed")
            d.number_input("Snapshots (epoch scrubber)", 1, limits.max_snapshots, key="w_snapshots")
        submitted = st.form_submit_button("Train", type="primary")
    if not submitted:
        return None
    s = st.session_state
    return RunConfig(
        sequence=s.w_sequence,
        framing=s.w_framing,
        mode=s.w_mode,
        window=int(s.w_window),
        units=int(s.w_units),
        epochs=int(s.w_epochs),
        batch_size=int(s.w_batch_size) or None,
        output=s.w_output,
        learning_rate=float(s.w_learning_rate),
        seed=int(s.w_seed),
        snapshots=int(s.w_snapshots),
    )


# --- output sections -------------------------------------------------------------------------


def chart(fig, key: str) -> None:
    st.plotly_chart(fig, width="stretch", config=CHART_CONFIG, key=key)


def _shape_text(shape: list[int]) -> str:
    names = ["samples", "timesteps", "features"] if len(shape) == 3 else ["samples", "features"]
    return " × ".join(f"{n} {name}" for n, name in zip(shape, names))


def render_feed(data: dict) -> None:
    from seqviz import figures

    st.header("How the data is fed")
    st.markdown(
        "Keras reads X as **(samples, timesteps, features)**. "
        "State flows along the timesteps of one sample; it never crosses from one sample to the next "
        "inside a batch. Only `stateful=True` carries sample *i* of one batch into sample *i* of the next."
    )
    runs = data["runs"]
    per_row = 2 if len(runs) > 1 else 1
    for first in range(0, len(runs), per_row):
        for column, r in zip(st.columns(per_row, border=len(runs) > 1), runs[first : first + per_row]):
            with column:
                render_feed_of_mode(r, figures)


def render_feed_of_mode(r: dict, figures) -> None:
    st.subheader(r["mode"])
    st.markdown(md(r["description"]))
    st.markdown(
        f"X `{tuple(r['x_shape'])}` · Y `{tuple(r['y_shape'])}` · batch size `{r['batch_size']}` · "
        f"`stateful={r['stateful']}` · `return_sequences={r['return_sequences']}`"
    )
    st.caption(f"X: {_shape_text(r['x_shape'])} (one-hot). Y: {_shape_text(r['y_shape'])}.")
    chart(figures.state_flow_figure(r), key=f"flow_{r['mode']}")
    feed = r["feed"]
    with st.expander("X and Y as tokens"):
        x_rows = [
            {
                "sample": s,
                "batch": s // r["batch_size"],
                **{f"step {t}": tok or "·" for t, tok in enumerate(row)},
            }
            for s, row in enumerate(feed["x_tokens"])
        ]
        st.caption("X (· is zero padding)")
        st.dataframe(x_rows, hide_index=True, key=f"x_{r['mode']}")
        st.caption("Y")
        if r["return_sequences"]:
            y_rows = [{f"step {t}": tok or "·" for t, tok in enumerate(row)} for row in feed["y_tokens"]]
        else:
            y_rows = [{"sample": s, "target": tok} for s, tok in enumerate(feed["y_tokens"])]
        st.dataframe(y_rows, hide_index=True, key=f"y_{r['mode']}")


def render_loss(data: dict) -> None:
    from seqviz import figures

    st.header("Loss")
    log_scale = st.toggle("Log scale", key="log_scale")
    chart(figures.loss_figure(data["runs"], log_scale=log_scale), key="loss")
    st.caption("Dashed lines: each mode's floor, the lowest loss it can reach at all on this data.")


def _prediction_rows(r: dict, snapshot: int | None, vocabulary: list[str]) -> list[dict]:
    rows = []
    for p in r["predictions"]:
        probs = (
            p["probabilities"]
            if snapshot is None
            else r["snapshots"][snapshot]["probabilities"][p["position"]]
        )
        best = max(range(len(probs)), key=probs.__getitem__)
        rows.append(
            {
                "position": p["position"],
                "input": p["input"],
                "target": p["target"],
                "predicted": vocabulary[best],
                "probability": round(probs[best], 3),
                "": "✓" if vocabulary[best] == p["target"] else "✗",
            }
        )
    return rows


@st.fragment
def render_epoch_views(data: dict) -> None:
    """Predictions and states, redrawn at any snapshot epoch without retraining."""
    from seqviz import figures

    runs, vocabulary = data["runs"], data["vocabulary"]
    epochs = [s["epoch"] for s in runs[0]["snapshots"]]
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
    columns = st.columns(len(runs))
    for column, r in zip(columns, runs):
        with column:
            rows = _prediction_rows(r, snapshot, vocabulary)
            right = sum(row[""] == "✓" for row in rows)
            st.metric(
                f"{r['mode']} accuracy", f"{right / len(rows):.0%}", help=f"{right} of {len(rows)} right"
            )
            with st.container(key=f"predicted_{r['mode']}"):
                st.text("predicted: " + " ".join(row["predicted"] for row in rows))
            chart(figures.predictions_figure(r, vocabulary, snapshot), key=f"pred_{r['mode']}")
            st.dataframe(rows, hide_index=True, key=f"pred_table_{r['mode']}")

    st.header("State at every step")
    name = st.selectbox("Show", list(STATE_NAMES), format_func=STATE_NAMES.get, key="state_name")
    if snapshot is not None and name not in ("h", "c"):
        st.caption(
            "The epoch slider redraws h and c; the gates and entering states are shown after training."
        )
    modes = [r["mode"] for r in runs]
    chosen = modes[0]
    if len(runs) > 1:
        chosen = st.segmented_control("Mode", modes, default=modes[0], key="state_mode") or modes[0]
    render_state_of_mode(next(r for r in runs if r["mode"] == chosen), name, snapshot, figures)


def render_state_of_mode(r: dict, name: str, snapshot: int | None, figures) -> None:
    """One mode's state heatmap, its gates on demand, and the difference of two positions."""
    groups = r["identical_groups"]
    if groups:
        listed = "; ".join(", ".join(map(str, g)) for g in groups)
        st.info(
            f"Positions {listed} start from the same state with the same visible input, "
            "so their states are identical (marked ≡ on the axis)."
        )
    chart(figures.state_figure(r, name, snapshot), key=f"state_{r['mode']}_{name}")
    if st.toggle("Show all four gates", key=f"gates_on_{r['mode']}"):
        chart(figures.gates_figure(r), key=f"gates_{r['mode']}")
    positions = [p["position"] for p in r["predictions"]]
    if len(positions) < 2:
        return
    labels = {
        p["position"]: f"position {p['position']}: {p['input']} → {p['target']}" for p in r["predictions"]
    }
    first = groups[0] if groups else positions[:2]
    pair = []
    for column, label, default in zip(st.columns(2), ("Compare position", "with position"), first[:2]):
        pair.append(
            column.selectbox(
                label,
                positions,
                index=positions.index(default),
                format_func=labels.get,
                key=f"diff_{label.split()[0].lower()}_{r['mode']}",
            )
        )
    chart(figures.difference_figure(r, pair[0], pair[1], snapshot), key=f"diff_{r['mode']}")


def render_explanation(data: dict) -> None:
    from seqviz.explain import explain_run

    st.header("What happened")
    for r in data["runs"]:
        lines = explain_run(r, data)
        st.markdown(f"**{md(lines[0])}**")
        for line in lines[1:]:
            st.markdown("- " + md(line))
    if len(data["runs"]) > 1:
        from seqviz.explain import explain

        closing = explain(data)[-1]
        if closing.startswith("State flows"):
            st.success(closing)


def render_downloads(result) -> None:
    from seqviz.export import states_csv, training_script

    st.header("Code and data")
    config = RunConfig(**result.data["config"])
    data = result.data
    tabs = st.tabs([f"{mode}: train.py" for mode in result.feeds])
    for tab, (mode, feed) in zip(tabs, result.feeds.items()):
        with tab:
            script = training_script(feed, result.dataset, config)
            st.download_button("Download train.py", script, file_name=f"train_{mode}.py", key=f"dl_{mode}")
            st.code(script, language="python")
    a, b = st.columns(2)
    a.download_button(
        "Download the run (JSON)",
        json.dumps(data, ensure_ascii=False),
        file_name="seqviz_run.json",
        mime="application/json",
        key="dl_json",
    )
    b.download_button(
        "Download the states (CSV)",
        states_csv(data),
        file_name="seqviz_states.csv",
        mime="text/csv",
        key="dl_csv",
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
        "Type a sequence, pick how it is fed to a Keras LSTM, press **Train**, and see, step by step, "
        "where the LSTM's state comes from, and why *stateless* training cannot learn `0 1 0 2`."
    )
    pending = choose_config(limits)
    render_presets()
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
    st.query_params.from_dict(config.to_query())
    data = result.data
    render_feed(data)
    render_loss(data)
    render_epoch_views(data)
    render_explanation(data)
    render_downloads(result)


with DRAIN.page_run():  # a draining server (serve.py) lets this run finish first
    main()
