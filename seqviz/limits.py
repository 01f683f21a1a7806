"""Every limit on what one run may ask for, in one place.

The defaults suit a personal machine. A hosted demo tightens them through environment
variables: ``SEQVIZ_SHARED=1`` switches to the shared-server preset, and each limit can be
set on its own (``SEQVIZ_MAX_TOKENS``, ``SEQVIZ_MAX_DISTINCT``, ``SEQVIZ_MAX_UNITS``,
``SEQVIZ_MAX_EPOCHS``, ``SEQVIZ_MAX_CONCURRENT``, ``SEQVIZ_TIME_BUDGET``,
``SEQVIZ_MAX_CSV_BYTES``, ``SEQVIZ_MAX_CSV_ROWS``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Limits:
    max_tokens: int = 200  # tokens in one typed sequence
    max_distinct: int = 50  # distinct tokens (vocabulary size)
    max_units: int = 256  # units per recurrent layer
    max_layers: int = 3  # stacked recurrent layers
    max_epochs: int = 5000  # training epochs
    max_snapshots: int = 200  # weight snapshots kept for the epoch scrubber
    max_chars: int = 4000  # characters of typed text, refused before parsing
    max_concurrent: int = 2  # trainings at once on one server (app only)
    time_budget: float = 60.0  # seconds one training may take before it is stopped
    # A CSV (rows are timesteps): its size in bytes (.streamlit/config.toml's
    # server.maxUploadSize, in MiB, matches the default), rows of numbers and columns.
    max_csv_bytes: int = 1024 * 1024
    max_csv_rows: int = 2000
    max_csv_columns: int = 20


SHARED_SERVER = Limits(
    max_tokens=60,
    max_distinct=20,
    max_units=64,
    max_epochs=1000,
    max_snapshots=60,
    max_chars=1000,
    max_concurrent=1,
    time_budget=30.0,
    max_csv_bytes=256 * 1024,
    max_csv_rows=1000,
    max_csv_columns=10,
)

_ENV_FIELDS = {
    "SEQVIZ_MAX_TOKENS": ("max_tokens", int),
    "SEQVIZ_MAX_DISTINCT": ("max_distinct", int),
    "SEQVIZ_MAX_UNITS": ("max_units", int),
    "SEQVIZ_MAX_EPOCHS": ("max_epochs", int),
    "SEQVIZ_MAX_CONCURRENT": ("max_concurrent", int),
    "SEQVIZ_TIME_BUDGET": ("time_budget", float),
    "SEQVIZ_MAX_CSV_BYTES": ("max_csv_bytes", int),
    "SEQVIZ_MAX_CSV_ROWS": ("max_csv_rows", int),
}


def limits_from_env(environ: Mapping[str, str] | None = None) -> Limits:
    """The limits in force: the preset chosen by ``SEQVIZ_SHARED``, then per-limit overrides.

    A malformed or non-positive override is ignored, so a typo in a deployment never
    loosens a limit by accident nor stops the server from starting.
    """
    env = os.environ if environ is None else environ
    shared = env.get("SEQVIZ_SHARED", "").strip().lower() in {"1", "true", "yes", "on"}
    limits = SHARED_SERVER if shared else Limits()
    for key, (field, cast) in _ENV_FIELDS.items():
        raw = env.get(key)
        if raw is None:
            continue
        try:
            value = cast(raw)
        except ValueError:
            continue
        if value > 0:
            limits = replace(limits, **{field: value})
    return limits
