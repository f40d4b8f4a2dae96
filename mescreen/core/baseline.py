"""A person's neutral reading of each AU, estimated from their least expressive frames.

Why not a running median: the median of the last few seconds *is* the current expression once
it has been held for half the window, so a laugh or a sad face held for more than a few seconds
was normalised away. People spend part of any interview near their resting face, and on the
resting face each AU reads at its lowest, so a low quantile (default the 10th percentile) of a
person's own readings over a long span estimates their neutral while an expression is held for
up to (1 - q) / q times as long as the resting face was seen (9x for q = 0.1).

Memory is constant: one histogram of `bins` cells per AU over [0, 1], with exponential
forgetting (each frame's weight halves after `half_life` frames, default 5 minutes at 30 frames/s)
so that a change of light or pose over a long session is followed slowly.
"""

from __future__ import annotations

import numpy as np


class NeutralBaseline:
    """Streaming low quantile of per-AU values in [0, 1] (histogram estimate, fixed memory)."""

    def __init__(self, n_values: int, quantile: float = 0.1, half_life: float = 9000.0, bins: int = 200) -> None:
        if not 0.0 < quantile < 1.0:
            raise ValueError("quantile must lie strictly between 0 and 1")
        if half_life <= 0 or bins < 2:
            raise ValueError("half_life must be positive and bins at least 2")
        self.quantile = quantile
        self.half_life = half_life
        self.bins = bins
        self._decay = np.float32(0.5 ** (1.0 / half_life))
        self._counts = np.zeros((n_values, bins), np.float32)
        self._rows = np.arange(n_values)
        self.reset()

    def reset(self) -> None:
        """Forget everything seen (a new person or video)."""
        self._counts[:] = 0.0
        self.seen = 0

    def add(self, values: np.ndarray) -> None:
        """Count one frame's values (NaN entries are skipped for that value only)."""
        values = np.asarray(values, np.float32)
        self._counts *= self._decay
        ok = np.isfinite(values)
        cells = np.clip((values[ok] * self.bins).astype(np.int64), 0, self.bins - 1)
        self._counts[self._rows[ok], cells] += 1.0
        self.seen += 1

    def value(self) -> np.ndarray:
        """Current quantile per value (the centre of its histogram cell); NaN before any frame."""
        cumulative = np.cumsum(self._counts, axis=1)
        total = cumulative[:, -1]
        cell = np.argmax(cumulative >= self.quantile * total[:, None], axis=1)
        out = (cell + 0.5) / self.bins
        return np.where(total > 0, out, np.nan).astype(np.float32)
