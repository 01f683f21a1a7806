"""Keras 3's Adam, written once: its constants and its update, step for step."""

from __future__ import annotations

import numpy as np

BETA_1, BETA_2, EPSILON = 0.9, 0.999, 1e-7  # Keras's defaults


def step_size(learning_rate: float, step: int) -> float:
    """Adam's bias-corrected step size at ``step`` (from 1)."""
    return float(learning_rate * np.sqrt(1 - BETA_2**step) / (1 - BETA_1**step))


def adam_update(
    params: list[np.ndarray],
    grads: list[np.ndarray],
    m: list[np.ndarray],
    v: list[np.ndarray],
    step: int,
    learning_rate: float,
) -> None:
    """Keras 3's Adam on NumPy arrays, in place; ``step`` counts from 1."""
    alpha = np.float32(step_size(learning_rate, step))
    for p, g, m_k, v_k in zip(params, grads, m, v):
        m_k += (g - m_k) * np.float32(1 - BETA_1)
        v_k += (g * g - v_k) * np.float32(1 - BETA_2)
        p -= alpha * m_k / (np.sqrt(v_k) + np.float32(EPSILON))
