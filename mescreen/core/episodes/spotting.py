"""Micro-expression spotting: facial movement episodes (onset, apex, offset) from face crops.

Method (details and parameter meanings in docs/spotting.md): a multi-scale version of the
appearance-based feature-difference (FD) analysis of Moilanen, Zhao & Pietikäinen (ICPR 2014),
which Li et al. (IEEE TAC 2018, "Towards reading hidden emotions") used for ME spotting.

1. Each crop becomes a block feature (`appearance_feature`; other per-frame features, such as AU
   intensities imported from OpenFace, can be spotted the same way with each column a block):
   an 8x8 grid of blocks, each block 2x2 mean intensities of the crop shrunk to 16x16 by area
   averaging, centred per frame (so a global brightness change is not movement).
2. For a scale k (frames), the block difference between frame t and the average of frames t-k and
   t+k; F(t) is the mean of the largest third of block differences (MEs are local, so the most
   changed blocks carry them).
3. Contrast C(t) = F(t) - (F(t-k) + F(t+k)) / 2 (suppresses slow drift), then
   z(t) = (C - median) / (1.4826 * MAD) over the frames with a face, clipped at 0: the threshold
   is in units of the recording's own robust spread, so it adapts to video noise.
4. Peaks of z above `peak_z`, each the highest within 2k frames (the reach of one movement's
   response, so its side lobes are not counted again), are apexes; the episode extends either side
   while z stays above `edge_z`. The short scale (0.2 s) catches micro-expressions, the longer
   ones (0.8 s, 2 s) macro-expressions; episodes from all scales are merged, stronger first, an
   episode overlapping a stronger one being dropped.
5. onset->offset at most 0.5 s is "micro", otherwise "macro" (`Episode.kind_for`).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from mescreen.core.result import Episode

_GRID = 8  # blocks per side
_SHRINK = 16  # crop shrunk to this side before blocking (256 values: small enough to keep per frame)
FEATURE_SIZE = _SHRINK * _SHRINK
#: Blocks of the appearance feature (pass as `n_blocks` to `Spotter.spot`).
APPEARANCE_BLOCKS = _GRID * _GRID


def appearance_feature(crop: np.ndarray) -> np.ndarray:
    """Block feature of one face crop: (FEATURE_SIZE,) float32, blocks contiguous, frame-centred."""
    small = cv2.resize(crop, (_SHRINK, _SHRINK), interpolation=cv2.INTER_AREA)  # area average: 8x8 pixels each
    cell = _SHRINK // _GRID
    blocks = small.reshape(_GRID, cell, _GRID, cell).transpose(0, 2, 1, 3).reshape(-1).astype(np.float32)
    return blocks - blocks.mean()


@dataclass(frozen=True)
class SpotterParams:
    """Spotting parameters (see docs/spotting.md).

    scales_s: half-window k of each FD scale, in seconds (converted to frames at the analysed rate)
    peak_z: apex threshold, in robust standard deviations of the contrast signal
    edge_z: the episode lasts while the signal stays above this
    top_fraction: share of blocks averaged into F(t)
    min_face_frames: fewer frames with a face than this gives no episodes (no spread to judge by)
    """

    scales_s: tuple[float, ...] = (0.2, 0.8, 2.0)
    peak_z: float = 4.0
    edge_z: float = 1.0
    top_fraction: float = 1.0 / 3.0
    min_face_frames: int = 10


@dataclass
class SpotResult:
    """Episodes and the per-frame signal they came from (z, max over scales; NaN where no face)."""

    episodes: list[Episode]
    signal: np.ndarray


def _shift(x: np.ndarray, k: int) -> np.ndarray:
    """x[t + k] aligned with t (NaN beyond the ends)."""
    out = np.full_like(x, np.nan)
    if k > 0:
        out[:-k] = x[k:]
    elif k < 0:
        out[-k:] = x[:k]
    else:
        out[:] = x
    return out


def feature_difference(
    features: np.ndarray, k: int, top_fraction: float, n_blocks: int | None = None, chunk: int = 2048
) -> np.ndarray:
    """F(t): mean of the largest block differences between f(t) and (f(t-k) + f(t+k)) / 2.

    `n_blocks` splits each row into that many equal blocks (the appearance feature); None makes
    every column its own block (e.g. AU intensities imported from another tool). Computed over
    `chunk` frames at a time (plus k on each side), in float32, so memory does not grow with
    the recording's length."""
    n = features.shape[0]
    out = np.full(n, np.nan, np.float32)
    for start in range(0, n, chunk):
        stop = min(n, start + chunk)
        lo, hi = max(0, start - k), min(n, stop + k)
        out[start:stop] = _feature_difference(features[lo:hi].astype(np.float32), k, top_fraction, n_blocks)[
            start - lo : stop - lo
        ]
    return out


def _feature_difference(features: np.ndarray, k: int, top_fraction: float, n_blocks: int | None) -> np.ndarray:
    n, d = features.shape
    blocks = features.reshape(n, n_blocks or d, -1)
    reference = (_shift(blocks, -k) + _shift(blocks, k)) / 2.0
    diff = np.abs(blocks - reference).mean(axis=2)  # (n, blocks); NaN if any frame lacks a face
    top = max(1, int(round(top_fraction * diff.shape[1])))
    ranked = np.partition(np.where(np.isnan(diff), -np.inf, diff), -top, axis=1)[:, -top:]
    out = ranked.mean(axis=1)
    out[np.isnan(diff).any(axis=1)] = np.nan
    return out


def robust_z(values: np.ndarray) -> np.ndarray:
    """(x - median) / (1.4826 * MAD) over the finite values; NaN stays NaN."""
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return np.full_like(values, np.nan)
    median = float(np.median(finite))
    spread = 1.4826 * float(np.median(np.abs(finite - median)))
    if spread <= 1e-9:
        spread = float(finite.std()) or 1.0
    return (values - median) / spread


class Spotter:
    """Finds movement episodes in a per-frame feature matrix (rows NaN where no face)."""

    def __init__(self, params: SpotterParams | None = None) -> None:
        self.params = params or SpotterParams()

    def spot(
        self, features: np.ndarray, time_s: np.ndarray, frame_index: np.ndarray, fps: float,
        n_blocks: int | None = None,
    ) -> SpotResult:
        """Episodes from per-frame features (n, d), any float dtype, NaN rows where no face;
        `n_blocks` as in `feature_difference`."""
        p = self.params
        n = features.shape[0]
        face = np.isfinite(features).all(axis=1) if n else np.zeros(0, bool)
        signal = np.full(n, np.nan, np.float32)
        if n == 0 or int(face.sum()) < p.min_face_frames or fps <= 0:
            return SpotResult([], signal)
        scales = sorted({max(1, int(round(s * fps))) for s in p.scales_s})
        candidates: list[tuple[float, int, int, int]] = []  # (score, onset, apex, offset) positions
        for k in scales:
            fd = feature_difference(features, k, p.top_fraction, n_blocks)
            contrast = fd - (_shift(fd, -k) + _shift(fd, k)) / 2.0
            contrast[~np.isfinite(fd)] = np.nan
            z = np.clip(robust_z(contrast), 0.0, None)  # spread of the unclipped contrast: the noise
            signal = np.fmax(signal, z.astype(np.float32))
            candidates.extend(self._episodes(z, k))
        return SpotResult(self._merge(candidates, time_s, frame_index), signal)

    def _episodes(self, z: np.ndarray, k: int) -> list[tuple[float, int, int, int]]:
        from scipy.signal import find_peaks  # here, not at the top: importing scipy.signal costs ~1 s of start-up

        p = self.params
        filled = np.nan_to_num(z, nan=-np.inf)
        peaks, _ = find_peaks(np.nan_to_num(z, nan=0.0), height=p.peak_z, distance=2 * k + 1)
        out = []
        for apex in peaks:
            onset = apex
            while onset > 0 and filled[onset - 1] > p.edge_z:
                onset -= 1
            offset = apex
            while offset < len(z) - 1 and filled[offset + 1] > p.edge_z:
                offset += 1
            out.append((float(z[apex]), int(onset), int(apex), int(offset)))
        return out

    @staticmethod
    def _merge(candidates: list[tuple[float, int, int, int]], time_s: np.ndarray, frame_index: np.ndarray) -> list[Episode]:
        """Strongest first; a candidate overlapping an accepted episode is the same movement seen
        at another scale (or a side lobe of it) and is dropped."""
        accepted: list[tuple[float, int, int, int]] = []
        for cand in sorted(candidates, reverse=True):
            if all(cand[3] < on or cand[1] > off for _, on, _, off in accepted):
                accepted.append(cand)
        episodes = []
        for score, on, ap, off in sorted(accepted, key=lambda c: c[2]):
            duration = float(time_s[off] - time_s[on])
            episodes.append(
                Episode(
                    onset_frame=int(frame_index[on]), apex_frame=int(frame_index[ap]), offset_frame=int(frame_index[off]),
                    onset_s=float(time_s[on]), apex_s=float(time_s[ap]), offset_s=float(time_s[off]),
                    kind=Episode.kind_for(duration), score=round(score, 3),
                )
            )
        return episodes
