"""What the page shows of a run, beside the run itself: presentation mode, hidden sections and
controls, and the view (which mode, state, epoch, layer, compared positions, gates).

A view lives in the URL next to the run's options (``seqviz.config``), so a prepared link
opens on exactly that view (TensorFlow Playground's ``hideText``-style options). Its keys never
clash with a run option's; an unknown or bad value falls back with a notice, as a run option's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

# Sections and controls a link can hide (``hide=form,presets``), in page order.
HIDEABLE: dict[str, str] = {
    "intro": "the title's explanation under it",
    "presets": "the preset buttons",
    "form": "the input form (sequence, framing, mode, advanced options)",
    "answer": "the verdict line of each mode",
    "contrast": "the state heatmaps of the contrasted modes side by side",
    "loss": "the loss chart",
    "predictions": "the predictions and the epoch slider",
    "states": "the state at every step",
    "feed": "how the data is fed (state-flow diagrams)",
    "walkthrough": "step through it: the players, what each position sees, the cell, one unit",
    "test": "the test sequence's verdicts",
    "explanation": "what happened, in sentences",
    "downloads": "code and data downloads",
    "glossary": "the glossary",
    "continue": "the continue-training control",
}

# Sections built only while open (``open=walkthrough``): a Train click sends none of their charts
# until someone opens them, so the first charts arrive sooner.
OPENABLE: dict[str, str] = {
    "walkthrough": "step through it: the players, what each position sees, the cell, one unit",
    "heatmaps": "the test pass as heatmaps",
}


@dataclass(frozen=True)
class View:
    """The page's view of a run; every field is a URL parameter of the same name."""

    present: bool = False  # presentation mode: large chart text, high contrast
    hide: tuple[str, ...] = ()  # names from HIDEABLE
    state: str | None = None  # the state or internal shown (h, c, i, ...); None: the first state
    layer: int | None = None  # counted from 1 as a reader does; None: the last layer
    epoch: int | None = None  # a snapshot's epoch; None: the final weights
    view_mode: str | None = None  # the mode the state section shows
    pair: tuple[int, int] | None = None  # the two positions compared
    gates: bool = False  # all of the cell's internals shown
    open: tuple[str, ...] = ()  # names from OPENABLE: sections built only while open

    def hidden(self, name: str) -> bool:
        return name in self.hide

    def opened(self, name: str) -> bool:
        return name in self.open

    def to_query(self) -> dict[str, str]:
        """Only the fields that differ from the default view."""
        out: dict[str, str] = {}
        if self.present:
            out["present"] = "1"
        if self.hide:
            out["hide"] = ",".join(self.hide)
        if self.open:
            out["open"] = ",".join(self.open)
        for name in ("state", "view_mode"):
            value = getattr(self, name)
            if value is not None:
                out[name] = str(value)
        for name in ("layer", "epoch"):
            value = getattr(self, name)
            if value is not None:
                out[name] = str(value)
        if self.pair is not None:
            out["pair"] = f"{self.pair[0]},{self.pair[1]}"
        if self.gates:
            out["gates"] = "1"
        return out


VIEW_KEYS = frozenset(f.name for f in fields(View))


def _flag(raw: str) -> bool:
    word = raw.strip().lower()
    if word in ("1", "true", "yes", "on"):
        return True
    if word in ("0", "false", "no", "off", ""):
        return False
    raise ValueError(raw)


def _parse(name: str, raw: str) -> Any:
    if name in ("present", "gates"):
        return _flag(raw)
    if name in ("hide", "open"):
        names = tuple(dict.fromkeys(n.strip().lower() for n in raw.split(",") if n.strip()))
        unknown = [n for n in names if n not in (HIDEABLE if name == "hide" else OPENABLE)]
        if unknown:
            raise ValueError(", ".join(unknown))
        return names
    if name in ("layer", "epoch"):
        value = int(raw)
        if value < 1:
            raise ValueError(raw)
        return value
    if name == "pair":
        a, b = (int(v) for v in raw.split(","))
        if a < 0 or b < 0:
            raise ValueError(raw)
        return (a, b)
    text = raw.strip()
    if not text or len(text) > 40:
        raise ValueError(raw)
    return text


def split_query(query: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The URL's parameters as (run options, view parameters)."""
    run = {k: v for k, v in query.items() if k not in VIEW_KEYS}
    view = {k: v for k, v in query.items() if k in VIEW_KEYS}
    return run, view


def view_from_query(query: Mapping[str, Any]) -> tuple[View, list[str]]:
    """The view the URL asks for; each bad value falls back to the default with a notice."""
    values: dict[str, Any] = {}
    notices: list[str] = []
    for key, raw in query.items():
        if key not in VIEW_KEYS:
            continue
        if isinstance(raw, (list, tuple)):
            raw = raw[-1] if raw else ""
        try:
            values[key] = _parse(key, str(raw))
        except ValueError:
            accepted = (
                "names from " + ", ".join(HIDEABLE)
                if key == "hide"
                else "names from " + ", ".join(OPENABLE)
                if key == "open"
                else {
                    "present": "1 or 0",
                    "gates": "1 or 0",
                    "layer": "a layer counted from 1",
                    "epoch": "a snapshot's epoch",
                    "pair": "two positions, as 0,1",
                }.get(key, "a name of up to 40 characters")
            )
            notices.append(
                f"Parameter {key}={str(raw)[:40]} is not valid and was ignored; it takes {accepted}."
            )
    return View(**values), notices
