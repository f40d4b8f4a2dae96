"""Synthetic `SessionResult`s of the real shape, for store tests and benchmarks.

Numbers are random but shaped like the pipeline's output (smooth AU probabilities, NaN where no
face, emotion probabilities only near episodes, every optional part filled), so round trips and
timings exercise what real sessions contain. Nothing here is analysis output: never show it as such.
"""

from __future__ import annotations

import numpy as np

from mescreen.core.labels import AU_NAMES, EMOTIONS_3, EMOTIONS_FINE
from mescreen.core.result import (
    ClusterInfo,
    Episode,
    FrameSeries,
    Indicator,
    Screening,
    SessionClusters,
    SessionResult,
    SilhouetteCurve,
    VideoInfo,
)

LEVELS = ("none", "watch", "flag", "insufficient")


def synthetic_series(n_frames: int, fps: float = 30.0, seed: int = 0) -> FrameSeries:
    rng = np.random.default_rng(seed)
    n_au, n_em = len(AU_NAMES), len(EMOTIONS_FINE)
    face = rng.random(n_frames) > 0.05
    walk = np.cumsum(rng.normal(0.0, 0.05, (n_frames, n_au)), axis=0)
    au = (1.0 / (1.0 + np.exp(-3.0 * np.sin(walk)))).astype(np.float32)
    au[~face] = np.nan
    emotion = np.full((n_frames, n_em), np.nan, np.float32)
    near = rng.random(n_frames) < 0.05
    emotion[near] = rng.dirichlet(np.ones(n_em), int(near.sum())).astype(np.float32)
    motion = rng.gamma(2.0, 0.5, n_frames).astype(np.float32)
    motion[~face] = np.nan
    return FrameSeries(
        frame_index=np.arange(n_frames, dtype=np.int32),
        time_s=np.arange(n_frames, dtype=np.float64) / fps,
        face_found=face,
        face_confidence=np.where(face, rng.uniform(0.5, 1.0, n_frames), 0.0).astype(np.float32),
        face_size=np.where(face, rng.uniform(120, 260, n_frames), 0.0).astype(np.float32),
        blur=np.where(face, rng.uniform(20, 400, n_frames), 0.0).astype(np.float32),
        motion=motion, au_names=list(AU_NAMES), au_prob=au,
        emotion_names=list(EMOTIONS_FINE), emotion_prob=emotion, au_thresholds=[0.5] * n_au,
        emotion_recall={e: round(0.1 + 0.12 * i, 4) for i, e in enumerate(EMOTIONS_FINE)},
    )


def _episode(rng: np.random.Generator, n_frames: int, fps: float) -> Episode:
    onset = int(rng.integers(0, max(n_frames - 40, 1)))
    length = int(rng.integers(4, 40))
    apex, offset = onset + length // 2, onset + length
    emotion = str(rng.choice(EMOTIONS_FINE))
    aus = [str(a) for a in rng.choice(AU_NAMES, 3, replace=False)]
    fine = rng.dirichlet(np.ones(len(EMOTIONS_FINE)))
    three = rng.dirichlet(np.ones(len(EMOTIONS_3)))
    return Episode(
        onset_frame=onset, apex_frame=apex, offset_frame=offset,
        onset_s=onset / fps, apex_s=apex / fps, offset_s=offset / fps,
        kind=Episode.kind_for(length / fps), score=float(rng.uniform(2, 9)),
        au_prob={a: float(rng.random()) for a in AU_NAMES}, active_aus=aus,
        emotion3_prob=dict(zip(EMOTIONS_3, map(float, three))), emotion=emotion,
        emotion_prob=dict(zip(EMOTIONS_FINE, map(float, fine))),
        cluster=f"{emotion.capitalize()}_ME{int(rng.integers(1, 4))}", cluster_aus=aus[:2],
    )


def synthetic_result(
    n_frames: int = 300, *, n_episodes: int = 6, fps: float = 30.0, seed: int = 0,
    level: str | None = None,
) -> SessionResult:
    """A complete result for an `n_frames` recording (a 60-minute 30 fps session is 108,000)."""
    rng = np.random.default_rng(seed)
    episodes = [_episode(rng, n_frames, fps) for _ in range(n_episodes)]
    reference = [ClusterInfo(f"{e.capitalize()}_ME1", e, ["AU4", "AU7"], 12) for e in EMOTIONS_FINE]
    negative = float(rng.random())
    indicators = [
        Indicator("negative_share", "Share of negative micro-expressions", negative, 0.6, negative > 0.6,
                  f"{negative:.2f} of labelled micro-expressions", "Sharma et al. 2024"),
        Indicator("me_rate", "Micro-expressions per minute", float(rng.uniform(0, 5)), None, False, "", ""),
        Indicator("face_coverage", "Frames with a usable face", None, 0.5, False, "not computed", ""),
    ]
    return SessionResult(
        video=VideoInfo(
            file_name=f"session-{seed}.mp4", width=1280, height=720, fps=fps,
            declared_frames=n_frames, frames_read=n_frames, duration_s=n_frames / fps,
            codec="h264", rotation=0, sha256=f"{seed:064x}", analysed_fps=fps,
        ),
        series=synthetic_series(n_frames, fps, seed),
        episodes=episodes,
        clusters=SessionClusters(
            reference_version="clusters-v1-abc123",
            counts={c.name: int(rng.integers(0, 5)) for c in reference},
            reference_clusters=reference,
            own_clusters=[ClusterInfo("Disgust_own1", "disgust", ["AU9"], 3)],
            own_silhouette=[SilhouetteCurve("disgust", [2, 3, 4], [0.41, 0.52, 0.38], 3)],
            note="synthetic",
        ),
        screening=Screening(
            level=level or str(rng.choice(LEVELS)), reasons=["synthetic reason"],  # type: ignore[arg-type]
            indicators=indicators, config_version="screening_v1",
            intended_use="A screening aid, never a diagnosis.",
            longitudinal=[Indicator("negative_share_change", "Change since last session", 0.1)],
        ),
        versions={"pipeline": "0.1.0", "au": "au-v1-1234abcd", "emotion": "emotion-v1-5678ef01"},
        options={"fps": fps, "keep_video": False},
        warnings=["synthetic data"],
        created_at="2026-11-25T10:00:00+00:00",
    )
