"""Streaming per-person reference levels, in fixed memory with slow forgetting.

`NeutralFaceLevel`: a person's neutral reading of each AU, the mean reading over the frames the
emotion model calls neutral (weighted by p(neutral)), shrunk towards the population's resting
level while little neutral face has been seen (mescreen.core.aus.stage says why). Two arrays per person.

`NeutralBaseline`: a streaming quantile (one histogram of `bins` cells per value over [0, 1]). The
AU stage uses its 90th percentile for the person's open-eye aperture: eyes are open most of the
time, so a high quantile of the lid gap is the open eye, while blinks and closures are rare. An
optional prior counts as `prior_frames` frames at a population value, so a recording that opens
on shut eyes (a cry) is not taken as this person's open eyes. For the 90th percentile: frames
above the prior take over once they make a tenth of everything counted; frames below it move the
quantile only after about 9 x `prior_frames` of them.

It was also the AU neutral estimate before 2026-11-29 (the 10th percentile of the person's
readings), which assumes the resting face fills a tenth of the clip; mescreen.core.aus.stage gives the
figures that replaced it.

Forgetting: each frame's weight halves after `half_life` frames (default 9000, 5 minutes at 30
frames/s), so a change of light or pose over a long session is followed slowly.
"""

from __future__ import annotations

import numpy as np


class NeutralBaseline:
    """Streaming quantile of per-value readings in [0, 1] (histogram estimate, fixed memory),
    optionally starting from `prior_frames` frames at `prior` (one value per column)."""

    def __init__(
        self, n_values: int, quantile: float = 0.1, half_life: float = 9000.0, bins: int = 200,
        prior: np.ndarray | None = None, prior_frames: float = 0.0,
    ) -> None:
        if not 0.0 < quantile < 1.0:
            raise ValueError("quantile must lie strictly between 0 and 1")
        if half_life <= 0 or bins < 2 or prior_frames < 0:
            raise ValueError("half_life must be positive, bins at least 2 and prior_frames not negative")
        self.quantile = quantile
        self.half_life = half_life
        self.bins = bins
        self.prior = None if prior is None else np.broadcast_to(np.asarray(prior, np.float32), (n_values,))
        self.prior_frames = prior_frames
        self._decay = np.float32(0.5 ** (1.0 / half_life))
        self._counts = np.zeros((n_values, bins), np.float32)
        self._rows = np.arange(n_values)
        self.reset()

    def reset(self) -> None:
        """Forget everything seen (a new person or video); only the prior is left."""
        self._counts[:] = 0.0
        if self.prior is not None and self.prior_frames > 0:
            self._counts[self._rows, self._cell(self.prior)] = self.prior_frames
        self.seen = 0

    def _cell(self, values: np.ndarray) -> np.ndarray:
        return np.clip((values * self.bins).astype(np.int64), 0, self.bins - 1)

    def add(self, values: np.ndarray) -> None:
        """Count one frame's values (NaN entries are skipped for that value only)."""
        values = np.asarray(values, np.float32)
        self._counts *= self._decay
        ok = np.isfinite(values)
        self._counts[self._rows[ok], self._cell(values[ok])] += 1.0
        self.seen += 1

    def value(self) -> np.ndarray:
        """Current quantile per value (the centre of its histogram cell); NaN before any frame."""
        cumulative = np.cumsum(self._counts, axis=1)
        total = cumulative[:, -1]
        cell = np.argmax(cumulative >= self.quantile * total[:, None], axis=1)
        out = (cell + 0.5) / self.bins
        return np.where(total > 0, out, np.nan).astype(np.float32)


class NeutralFaceLevel:
    """Weighted running mean of per-AU values, each frame weighted by how neutral the face looks,
    shrunk towards a prior that counts as `prior_frames` fully neutral frames:

        level = (sum_t d^(T-t) w_t x_t + prior_frames * prior) / (sum_t d^(T-t) w_t + prior_frames)

    With no neutral-looking frame the level stays at the prior; after many it is the person's own.
    `d` halves a frame's weight after `half_life` frames. Memory: two arrays of n_values.
    """

    def __init__(self, prior: np.ndarray, prior_frames: float = 300.0, half_life: float = 9000.0) -> None:
        if prior_frames <= 0 or half_life <= 0:
            raise ValueError("prior_frames and half_life must be positive")
        self.prior = np.asarray(prior, np.float64)
        self.prior_frames = prior_frames
        self.half_life = half_life
        self._decay = 0.5 ** (1.0 / half_life)
        self.reset()

    def reset(self) -> None:
        """Forget everything seen (a new person or video)."""
        self._weight = 0.0
        self._sum = np.zeros_like(self.prior)
        self.seen = 0

    def add(self, values: np.ndarray, neutral: float) -> None:
        """Count one frame's values with weight `neutral` in [0, 1] (p of a neutral face)."""
        values = np.asarray(values, np.float64)
        if values.shape != self.prior.shape or not np.all(np.isfinite(values)):
            raise ValueError(f"values must be {self.prior.shape} finite numbers")
        w = float(np.clip(neutral, 0.0, 1.0)) if np.isfinite(neutral) else 0.0
        self._weight = self._weight * self._decay + w
        self._sum = self._sum * self._decay + w * values
        self.seen += 1

    @property
    def neutral_frames(self) -> float:
        """How much neutral face the level rests on (decayed sum of weights, in frames)."""
        return self._weight

    def value(self) -> np.ndarray:
        """The current level per value."""
        return (self._sum + self.prior_frames * self.prior) / (self._weight + self.prior_frames)
