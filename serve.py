"""seqviz as one replica of many: ``app.py`` served as an ``st.App`` that drains on SIGTERM.

    streamlit run serve.py --server.port 8501

The page is ``app.py``, unchanged; this launcher only adds what a replica behind a load
balancer needs. On SIGTERM (what ``docker stop``, ``podman stop`` and Kubernetes send):

1. ``/_stcore/health`` answers 404 ``draining`` at once: HAProxy (``http-check disable-on-404``)
   stops sending new sessions here but keeps routing the browsers that hold this replica's
   cookie (their WebSocket and their downloads); Kubernetes takes the pod out of its Service.
2. The page runs in flight here (a training, running or queued, is part of its page's run)
   finish and reach their browsers, or the bound ``SEQVIZ_DRAIN_SECONDS`` (default: one run's
   time budget + 5 s) runs out; an idle replica stops after 2 s.
3. Then uvicorn shuts down as it does on any SIGTERM, closing the remaining WebSockets; those
   browsers reconnect through the load balancer to another replica, which reruns their page.

A second SIGTERM, or SIGINT (Ctrl-C), stops at once.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from types import FrameType
from typing import Any

import streamlit as st
from starlette.middleware import Middleware
from starlette.responses import PlainTextResponse

from seqviz.shutdown import DRAIN, drain_seconds

HEALTH_PATH = "/_stcore/health"
log = logging.getLogger("seqviz.serve")


class DrainingHealth:
    """ASGI middleware: while draining, the health check answers 404 instead of Streamlit's 200."""

    def __init__(self, app: Callable) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Callable, send: Callable) -> None:
        if DRAIN.draining and scope["type"] == "http" and scope["path"].endswith(HEALTH_PATH):
            response = PlainTextResponse("draining", status_code=404, headers={"Cache-Control": "no-cache"})
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


def _stop_after_drain(stop: Callable[[], None], bound: float) -> None:
    idle = DRAIN.wait_idle(bound)
    log.warning(
        "drained: %s; stopping",
        "no page run left" if idle else f"{DRAIN.busy} page run(s) cut at {bound:.0f} s",
    )
    stop()


def install_drain_on_sigterm(bound: float) -> None:
    """Make SIGTERM drain first, then call the handler it replaces (uvicorn's, which stops the server).

    Must run on the main thread: the app's lifespan does, inside uvicorn's own signal capture.
    """
    previous = signal.getsignal(signal.SIGTERM)

    def stop() -> None:
        if callable(previous):
            previous(signal.SIGTERM, None)
        else:  # no handler to hand over to: let the default action end the process
            signal.signal(signal.SIGTERM, previous)
            signal.raise_signal(signal.SIGTERM)

    def on_sigterm(signum: int, frame: FrameType | None) -> None:
        if not DRAIN.begin():
            stop()  # a second SIGTERM: stop now
            return
        log.warning("SIGTERM: draining (%d page run(s) in flight, at most %.0f s)", DRAIN.busy, bound)
        threading.Thread(
            target=_stop_after_drain, args=(stop, bound), name="seqviz-drain", daemon=True
        ).start()

    signal.signal(signal.SIGTERM, on_sigterm)


@asynccontextmanager
async def lifespan(_app: st.App) -> AsyncIterator[None]:
    install_drain_on_sigterm(drain_seconds())
    yield


app = st.App(Path(__file__).with_name("app.py"), lifespan=lifespan, middleware=[Middleware(DrainingHealth)])

if __name__ == "__main__":
    app.run()
