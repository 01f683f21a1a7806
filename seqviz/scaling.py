"""How numbers become what the model reads: a :class:`Scaling` (none, or standardised with the
training part's own mean and standard deviation) and a :class:`Numeric` table of features and
targets, as typed and as scaled. Data only: parsing lives in ``seqviz.numeric`` and
``seqviz.csvdata``, the dataset that holds a table in ``seqviz.sequence``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from seqviz.errors import SeqvizError

ScalingKind = Literal["none", "standardise"]  # the keys of SCALINGS (a test holds them equal)
SCALINGS = {
    "none": "the numbers as they are",
    "standardise": "each feature and the target minus its training mean, over its training "
    "standard deviation",
}


@dataclass(frozen=True)
class Scaling:
    """How numbers become what the model reads: ``(value - mean) / scale``."""

    kind: str  # "none" | "standardise" (SCALINGS)
    input_mean: tuple[float, ...]
    input_scale: tuple[float, ...]
    target_mean: float = 0.0
    target_scale: float = 1.0

    @classmethod
    def fit(cls, kind: str, inputs: np.ndarray, targets: np.ndarray) -> Scaling:
        """The scaling of ``kind`` for training inputs (positions, F) and targets (positions,).
        A constant column keeps a scale of 1, so it is only centred."""
        if kind not in SCALINGS:
            raise SeqvizError(f"Unknown scaling {kind!r}; choose one of: {', '.join(SCALINGS)}.")
        features = inputs.shape[1]
        if kind == "none":
            return cls(kind, (0.0,) * features, (1.0,) * features)
        spread = inputs.std(0)
        target_spread = float(targets.std())
        return cls(
            kind,
            tuple(float(m) for m in inputs.mean(0)),
            tuple(float(s) if s > 0 else 1.0 for s in spread),
            float(targets.mean()),
            target_spread if target_spread > 0 else 1.0,
        )

    def inputs(self, raw: np.ndarray) -> np.ndarray:
        return np.asarray((raw - np.asarray(self.input_mean)) / np.asarray(self.input_scale))

    def targets(self, raw: np.ndarray) -> np.ndarray:
        return np.asarray((raw - self.target_mean) / self.target_scale)

    def unscale(self, outputs: np.ndarray) -> np.ndarray:
        """Model outputs back in the target's own units."""
        return np.asarray(outputs * self.target_scale + self.target_mean)


@dataclass(frozen=True)
class Numeric:
    """Per position the features and the target, as given and as the model reads them.

    ``x`` and ``y`` are the scaled values rounded to float32 (what training sees), as tuples so
    equal inputs compare and hash equal (the loss floor groups positions by them)."""

    columns: tuple[str, ...]  # the feature names
    target: str  # the target's name
    raw_inputs: tuple[tuple[float, ...], ...]  # (positions, F)
    raw_targets: tuple[float, ...]
    scaling: Scaling
    x: tuple[tuple[float, ...], ...]
    y: tuple[float, ...]

    @classmethod
    def build(
        cls,
        columns: Sequence[str],
        target: str,
        inputs: np.ndarray,
        targets: np.ndarray,
        scaling: str | Scaling,
    ) -> Numeric:
        """Scale ``inputs`` (positions, F) and ``targets`` (positions,); a string ``scaling`` is
        fitted to them (training), a :class:`Scaling` is applied as it is (a test part)."""
        inputs = np.asarray(inputs, np.float64).reshape(len(targets), -1)
        targets = np.asarray(targets, np.float64)
        fitted = Scaling.fit(scaling, inputs, targets) if isinstance(scaling, str) else scaling
        x = fitted.inputs(inputs).astype(np.float32).astype(np.float64)
        y = fitted.targets(targets).astype(np.float32).astype(np.float64)
        return cls(
            tuple(columns),
            target,
            tuple(tuple(float(v) for v in row) for row in inputs),
            tuple(float(v) for v in targets),
            fitted,
            tuple(tuple(float(v) for v in row) for row in x),
            tuple(float(v) for v in y),
        )

    @property
    def features(self) -> int:
        return len(self.columns)

    @property
    def x_array(self) -> np.ndarray:
        """(positions, F), float32."""
        return np.asarray(self.x, np.float32).reshape(len(self.x), self.features)

    @property
    def y_array(self) -> np.ndarray:
        return np.asarray(self.y, np.float32)
