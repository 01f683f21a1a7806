"""What every played figure shares: the play and pause buttons and, under them, the slider with
one step per frame, both Plotly's own (``layout.sliders``, ``layout.updatemenus``), so the
browser plays the frames without asking the server.

Frame ``k`` of a played figure is named ``str(k)``; slider step ``k`` shows it.
"""

from __future__ import annotations

from typing import Any


def _animation(duration: int, redraw: bool) -> dict[str, Any]:
    # redraw: a frame next to a heatmap must redraw, or Plotly drops the heatmap while it moves.
    return {
        "mode": "immediate",
        "frame": {"duration": duration, "redraw": redraw},
        "transition": {"duration": 0},
    }


def slider(labels: list[str], prefix: str, y: float, redraw: bool = False) -> dict[str, Any]:
    """A slider whose step ``k`` (labelled ``labels[k]``) shows frame ``str(k)``; its top at paper ``y``."""
    return {
        "active": 0,
        "x": 0.2,
        "len": 0.8,
        "y": y,
        "yanchor": "top",
        "pad": {"t": 10},
        "currentvalue": {"prefix": prefix, "visible": True},
        "steps": [
            {"method": "animate", "label": label, "args": [[str(k)], _animation(0, redraw)]}
            for k, label in enumerate(labels)
        ],
    }


def play_buttons(y: float, frame_ms: int, redraw: bool = False) -> dict[str, Any]:
    """Play (from the frame shown, ``frame_ms`` a frame) and pause, left of a slider whose
    top is at paper ``y``."""
    play = {**_animation(frame_ms, redraw), "fromcurrent": True}
    play.pop("mode")
    return {
        "type": "buttons",
        "direction": "left",
        "showactive": False,
        "x": 0.0,
        "xanchor": "left",
        "y": y,
        "yanchor": "top",
        "pad": {"t": 18, "r": 10},
        "buttons": [
            {"label": "▶ play", "method": "animate", "args": [None, play]},
            {"label": "❚❚ pause", "method": "animate", "args": [[None], _animation(0, redraw)]},
        ],
    }


BUTTONS_PIXELS = 46  # the buttons' row, above the slider
CONTROLS_PIXELS = 130  # the buttons, the slider, its current value and its labels


def controls(
    labels: list[str], prefix: str, top: float, plot_pixels: float, frame_ms: int, redraw: bool = False
) -> dict[str, Any]:
    """Layout items: play and pause at paper ``top`` (a fraction of the ``plot_pixels`` high
    plot area, negative below it), and under them a slider as wide as the figure, which fits a
    phone's width too. The figure keeps ``CONTROLS_PIXELS`` below ``top`` for them."""
    buttons = play_buttons(top, frame_ms, redraw)
    bar = slider(labels, prefix, top - BUTTONS_PIXELS / plot_pixels, redraw)
    bar.update({"x": 0.0, "len": 1.0})
    return {"sliders": [bar], "updatemenus": [buttons]}
