"""A synthetic but complete SessionResult for dashboard tests: every chart and report section has
something to draw, and the numbers are known so tests can check what was drawn."""

from __future__ import annotations

import numpy as np
import pytest

from mescreen.core import INTENDED_USE
from mescreen.core.labels import AU_NAMES, EMOTIONS_FINE
from mescreen.core.result import (
    ClusterInfo, Episode, FrameSeries, Indicator, Screening, SessionClusters, SessionResult,
    SilhouetteCurve, VideoInfo,
)

FPS = 30.0
N_FRAMES = 300  # 10 s


def synthetic_landmarks(moved: list[int], shift: float = 0.03, seed: int = 0) -> dict[str, list[list[float]]]:
    """468 points in 0..1 with small jitter; the `moved` indices shift down by `shift` at apex
    (not a face: enough to check which region the evidence calls moving)."""
    rng = np.random.default_rng(seed)
    onset = rng.uniform(0.2, 0.8, (468, 2))
    apex = onset + rng.normal(0, 0.0005, onset.shape)
    apex[moved, 1] += shift
    return {"onset": onset.round(4).tolist(), "apex": apex.round(4).tolist()}


def make_result(n_frames: int = N_FRAMES, *, with_episodes: bool = True) -> SessionResult:
    rng = np.random.default_rng(0)
    n_au, n_em = len(AU_NAMES), len(EMOTIONS_FINE)
    time_s = np.arange(n_frames) / FPS
    face_found = np.ones(n_frames, bool)
    face_found[40:55] = False  # the patient looked away for half a second
    au_prob = rng.uniform(0, 0.3, (n_frames, n_au)).astype(np.float32)
    au_prob[~face_found] = np.nan
    emotion_prob = np.full((n_frames, n_em), np.nan, np.float32)
    episodes: list[Episode] = []
    if with_episodes:
        specs = [(60, 66, 72, "disgust", ["AU4", "AU9", "AU10"], "Disgust_ME1"),
                 (150, 156, 161, "sadness", ["AU1", "AU4", "AU15"], "Sadness_ME1"),
                 (220, 235, 260, "happiness", ["AU6", "AU12"], "Happiness_ME2")]
        for onset, apex, offset, emotion, aus, cluster in specs:
            window = slice(onset, offset + 1)
            probs = np.full(n_em, 0.02, np.float32)
            probs[EMOTIONS_FINE.index(emotion)] = 0.88
            emotion_prob[window] = probs
            for au in aus:
                au_prob[window, AU_NAMES.index(au)] = 0.9
            duration = (offset - onset) / FPS
            episodes.append(Episode(
                onset_frame=onset, apex_frame=apex, offset_frame=offset, onset_s=onset / FPS,
                apex_s=apex / FPS, offset_s=offset / FPS, kind=Episode.kind_for(duration),
                score=4.2, au_prob={au: 0.9 for au in aus}, active_aus=aus,
                emotion3_prob={"negative": 0.8, "positive": 0.1, "surprise": 0.1}, emotion=emotion,
                emotion_prob={e: float(p) for e, p in zip(EMOTIONS_FINE, probs)},
                cluster=cluster, cluster_aus=aus,
            ))
    if episodes:
        from mescreen.app.evidence import REGION_POINTS
        episodes[0].landmarks = synthetic_landmarks(REGION_POINTS["nose"])  # disgust: the nose wrinkles
    series = FrameSeries(
        frame_index=np.arange(n_frames, dtype=np.int32), time_s=time_s, face_found=face_found,
        face_confidence=np.where(face_found, 0.93, 0.0).astype(np.float32),
        face_size=np.where(face_found, 180.0, 0.0).astype(np.float32),
        blur=np.where(face_found, 120.0, 0.0).astype(np.float32),
        motion=np.where(face_found, rng.normal(0, 1, n_frames), np.nan).astype(np.float32),
        au_names=list(AU_NAMES), au_prob=au_prob, emotion_names=list(EMOTIONS_FINE),
        emotion_prob=emotion_prob, au_thresholds=[0.5] * len(AU_NAMES),
    )
    reference = [ClusterInfo(e.cluster, e.emotion, e.cluster_aus, 20) for e in episodes]
    clusters = SessionClusters(
        reference_version="clusters.json@abc123",
        counts={e.cluster: 1 for e in episodes}, reference_clusters=reference,
        own_silhouette=[SilhouetteCurve("disgust", [2, 3, 4], [0.41, 0.55, 0.38], 3)]
        if with_episodes else [],
    )
    indicators = [
        Indicator("negative_share", "Share of negative micro-expressions", 0.67 if with_episodes else None,
                  0.5, with_episodes, "2 of 3 episodes were negative", "Sharma et al. 2024"),
        Indicator("episode_rate", "Episodes per minute", 18.0, 10.0, False, "3 episodes in 10 s"),
    ]
    screening = Screening(
        level="watch" if with_episodes else "insufficient",
        reasons=["Share of negative micro-expressions 0.67 >= 0.5"] if with_episodes else [],
        indicators=indicators, config_version="screening_v1.json@def456", intended_use=INTENDED_USE,
    )
    video = VideoInfo("interview.mp4", 640, 360, FPS, n_frames, n_frames, n_frames / FPS,
                      codec="h264", sha256="0" * 64, analysed_fps=FPS)
    return SessionResult(
        video=video, series=series, episodes=episodes, clusters=clusters, screening=screening,
        versions={"pipeline": "0.1.0", "au": "au.npz@111111", "emotion": "emotion.keras@222222"},
        options={}, warnings=["Face not found in 15 frames."], created_at="2026-11-25T10:00:00Z",
    )


@pytest.fixture
def result() -> SessionResult:
    return make_result()


#: How well each emotion was read, as a session of frame emotion v3 records it (test-set recall).
V3_RECALL = {"neutral": 0.79, "happiness": 0.93, "surprise": 0.74, "sadness": 0.75, "anger": 0.69,
             "disgust": 0.08, "fear": 0.45, "contempt": 0.0}


def screened_result() -> SessionResult:
    """`make_result` screened by today's rules (mescreen.core.screening.indicators) with the v3 recall: its
    disgust and contempt are not read, fear is read poorly."""
    from mescreen.core.screening.indicators import screen

    result = make_result()
    result.series.emotion_recall = dict(V3_RECALL)
    result.screening = screen(result.series, result.episodes, result.clusters)
    return result


@pytest.fixture
def empty_result() -> SessionResult:
    """A recording in which nothing happened: every chart must say so rather than break."""
    return make_result(with_episodes=False)


@pytest.fixture(autouse=True)
def _no_warm_worker(monkeypatch):
    """Each dashboard under AppTest has its own database, hence its own job registry: with warm
    workers every test would start a process that loads all the models."""
    monkeypatch.setenv("MESCREEN_WARM_WORKER", "false")
