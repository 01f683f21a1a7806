"""seqviz's web page: type a sequence, pick how it is fed to a Keras recurrent network (LSTM,
GRU or SimpleRNN, stacked or not), and see where every step's state comes from.

This file is only the entry point and the page's order: it chooses the configuration (the form,
a preset or the URL), asks ``page.server`` for the run (a server-wide cache and a limit on
concurrent trainings), and lays out the sections, one module each in ``page/``. TensorFlow is
imported only when a run is trained.
"""

from __future__ import annotations

import streamlit as st

from page.answer import render_answer
from page.common import md
from page.continue_ import render_continue
from page.contrast import render_contrast
from page.downloads import render_downloads
from page.explanation import render_explanation
from page.feed import render_feed
from page.form import render_csv_upload, render_form
from page.glossary import render_glossary
from page.loss import render_loss
from page.predictions import render_epoch_views
from page.presets import render_presets
from page.server import StoppedRun, obtain_result
from page.style import style_page
from page.test import render_test
from page.url import choose_config, write_url
from page.viewstate import current_view
from page.walkthrough import render_walkthrough
from seqviz.epochs import target_scale
from seqviz.errors import SeqvizError
from seqviz.limits import limits_from_env
from seqviz.shutdown import DRAIN


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
    write_url(config)
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
