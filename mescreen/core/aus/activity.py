"""The one answer to "is this AU active?", used by every reader (pipeline, screening, peer import,
CSV exports, dashboard, PDF).

An AU is active in a frame when its person-normalised probability is finite and reaches that AU's
decision threshold. Each detector stores one threshold per AU, chosen out of fold in training; an
AU whose threshold is above 1 is one the detector cannot read reliably: it is never active and is
shown as "not read", never judged by a screening rule. Sessions stored before the thresholds were
recorded with the series use the thresholds of the AU model version they were analysed with where
it is known (store migration 0002), else `DEFAULT_THRESHOLD` (noted in the session's warnings).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

#: Threshold assumed for an old session whose AU model's thresholds are unknown.
DEFAULT_THRESHOLD = 0.5

#: Thresholds above this mark an AU the detector cannot read reliably ("not read").
READABLE_LIMIT = 1.0


def thresholds_or_default(thresholds: Sequence[float] | np.ndarray | None, n_au: int) -> np.ndarray:
    """(n_au,) float thresholds; `DEFAULT_THRESHOLD` for every AU when none are known."""
    if thresholds is None or len(thresholds) == 0:
        return np.full(n_au, DEFAULT_THRESHOLD, np.float64)
    out = np.asarray(thresholds, np.float64)
    if out.shape != (n_au,):
        raise ValueError(f"{n_au} AU thresholds needed, got {out.shape}")
    return out


def readable(thresholds: Sequence[float] | np.ndarray) -> np.ndarray:
    """(n_au,) bool: AUs the detector reads reliably (the others are "not read")."""
    return np.asarray(thresholds, np.float64) <= READABLE_LIMIT


def active_mask(prob: np.ndarray, thresholds: Sequence[float] | np.ndarray) -> np.ndarray:
    """Bool array shaped like `prob` (..., n_au): finite, readable and at or above threshold."""
    p = np.asarray(prob, np.float64)
    th = np.asarray(thresholds, np.float64)
    with np.errstate(invalid="ignore"):
        return np.isfinite(p) & (p >= th) & readable(th)


def active_names(prob: Sequence[float] | np.ndarray, names: Sequence[str],
                 thresholds: Sequence[float] | np.ndarray) -> list[str]:
    """Names of the AUs active in one frame's (n_au,) probabilities."""
    mask = active_mask(np.asarray(prob, np.float64), thresholds)
    return [name for name, on in zip(names, mask) if on]
