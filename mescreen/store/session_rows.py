"""Rows <-> results: how a `SessionResult` is written into a session's rows (series as compressed
blobs, episodes, indicators, summary) and read back, and the `SessionView` lists and charts use.

No transactions here: callers (mescreen.store.recordings, session_queries, transfer) hold them.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from mescreen.core.aus.activity import DEFAULT_THRESHOLD
from mescreen.core.screening.figures import emotion_shares, labelled_episodes
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
from mescreen.store import models
from mescreen.store.audit import as_utc
from mescreen.store.errors import StoreError
from mescreen.store.models import EpisodeRow, FrameArray, FrameSeriesBlob, RecordingSession
from mescreen.store.series_codec import CODEC, decode_array, encode_array


@dataclass(frozen=True)
class SessionView:
    """One session as charts and lists need it (no per-frame data)."""

    id: int
    number: int  # the patient's own session number, given at upload and never changed
    patient_code: str
    recorded_on: date
    uploader: str
    file_name: str
    content_hash: str
    status: str
    error: str | None
    created_at: datetime
    updated_at: datetime
    level: str | None
    indicators: dict[str, float | None]  # screening indicator key -> value
    raised: list[str]  # keys of the raised indicators
    emotion_shares: dict[str, float]  # fine emotion -> share of the labelled micro-expressions
    summary: dict[str, Any]  # n_frames, duration_s, face_ratio, episode counts (see _summary)
    versions: dict[str, str]
    video_path: str | None
    notes: str | None = None  # the clinician's note on this session
    indicator_labels: dict[str, str] = field(default_factory=dict)  # key -> label as screened


def fill_row(session: Session, row: RecordingSession, result: SessionResult) -> None:
    """Write `result` into `row` and its child rows (replacing any earlier result)."""
    plain = _plain_without_series(result)
    if row.id is not None and session.get(FrameSeriesBlob, row.id) is not None:
        row.indicators, row.episodes, row.series, row.frame_arrays = [], [], None, []
        session.flush()
    row.status, row.error = "done", None
    row.versions = plain["versions"]
    row.pipeline_version = result.versions.get("pipeline")
    row.video = plain["video"]
    row.summary = _summary(result)
    set_screening(row, plain["screening"])
    row.clusters = plain["clusters"]
    row.options = plain["options"]
    row.warnings = plain["warnings"]
    row.result_created_at = result.created_at
    row.episodes = [EpisodeRow(position=i, **episode) for i, episode in enumerate(plain["episodes"])]
    series = result.series
    row.series = FrameSeriesBlob(
        codec=CODEC, n_frames=len(series), au_names=list(series.au_names),
        emotion_names=list(series.emotion_names), au_thresholds=[float(t) for t in series.au_thresholds] or None,
        emotion_recall={e: float(r) for e, r in series.emotion_recall.items()} or None,
        **{name: encode_array(getattr(series, name)) for name in FrameSeries._ARRAYS},
    )
    row.frame_arrays = [FrameArray(name=name, data=encode_array(arr)) for name, arr in series.optional_arrays().items()]


def set_screening(row: RecordingSession, screening: dict[str, Any]) -> None:
    """The screening's level, reasons and indicator rows (a plain, JSON-safe dict)."""
    row.level = screening["level"]
    row.screening_reasons = screening["reasons"]
    row.screening_config_version = screening["config_version"]
    row.intended_use = screening["intended_use"]
    row.indicators = [
        models.Indicator(position=i, longitudinal=longitudinal, **indicator)
        for i, (longitudinal, indicator) in enumerate(
            [(False, d) for d in screening["indicators"]] + [(True, d) for d in screening["longitudinal"]]
        )
    ]


def _plain_without_series(result: SessionResult) -> dict[str, Any]:
    """`to_dict()` of everything but the series (stored as blobs; listing 108,000 frames as JSON
    would double the save time). JSON-safe, NaN as None, so PostgreSQL's JSON accepts every part."""
    empty = FrameSeries.empty(result.series.au_names, result.series.emotion_names)
    plain = replace(result, series=empty).to_dict()
    del plain["series"]
    return plain


def _summary(result: SessionResult) -> dict[str, Any]:
    """Figures the longitudinal charts plot, computed once at save time."""
    micro = [e for e in result.episodes if e.kind == "micro"]
    counts = Counter(e.emotion for e in labelled_episodes(result.episodes))
    n = len(result.series)
    duration = float(result.video.duration_s)
    return {
        "n_frames": n,
        "duration_s": duration if math.isfinite(duration) else None,
        "face_ratio": float(np.mean(result.series.face_found)) if n else None,
        "n_episodes": len(result.episodes),
        "n_micro": len(micro),
        "n_macro": len(result.episodes) - len(micro),
        "emotion_counts": dict(sorted(counts.items())),
        "emotion_shares": emotion_shares(result.episodes),
    }


def session_view(row: RecordingSession, patient_code: str) -> SessionView:
    screening = [i for i in row.indicators if not i.longitudinal]
    summary = dict(row.summary or {})
    return SessionView(
        id=row.id, number=row.number, patient_code=patient_code, recorded_on=row.recorded_on, uploader=row.uploader,
        file_name=row.file_name, content_hash=row.content_hash, status=row.status, error=row.error,
        created_at=as_utc(row.created_at), updated_at=as_utc(row.updated_at), level=row.level,
        indicators={i.key: i.value for i in screening}, raised=[i.key for i in screening if i.raised],
        emotion_shares=dict(summary.get("emotion_shares", {})), summary=summary,
        versions=dict(row.versions or {}), video_path=row.video_path, notes=row.notes,
        indicator_labels={i.key: i.label for i in screening},
    )


def _indicator(row: models.Indicator) -> Indicator:
    return Indicator(
        key=row.key, label=row.label, value=row.value, threshold=row.threshold, raised=row.raised,
        evidence=row.evidence, reference=row.reference, low=row.low, high=row.high,
    )


def stored_screening(row: RecordingSession) -> Screening:
    return Screening(
        level=row.level, reasons=list(row.screening_reasons or []),  # type: ignore[arg-type]
        indicators=[_indicator(i) for i in row.indicators if not i.longitudinal],
        config_version=row.screening_config_version or "", intended_use=row.intended_use or "",
        longitudinal=[_indicator(i) for i in row.indicators if i.longitudinal],
    )


def _episode(row: EpisodeRow) -> Episode:
    return Episode(
        onset_frame=row.onset_frame, apex_frame=row.apex_frame, offset_frame=row.offset_frame,
        onset_s=row.onset_s, apex_s=row.apex_s, offset_s=row.offset_s, kind=row.kind,  # type: ignore[arg-type]
        score=row.score if row.score is not None else float("nan"), au_prob=dict(row.au_prob),
        active_aus=list(row.active_aus), emotion3_prob=dict(row.emotion3_prob), emotion=row.emotion,
        emotion_prob=dict(row.emotion_prob), cluster=row.cluster, cluster_aus=list(row.cluster_aus),
        confidence=row.confidence, landmarks=dict(row.landmarks or {}),
    )


def _series(blob: FrameSeriesBlob, extra: list[FrameArray]) -> FrameSeries:
    if blob.codec != CODEC:
        raise StoreError(f"per-frame data stored with unknown codec {blob.codec!r}: upgrade mescreen")
    arrays = {name: decode_array(getattr(blob, name)) for name in FrameSeries._ARRAYS}
    optional = {a.name: decode_array(a.data) for a in extra if a.name in FrameSeries.OPTIONAL_ARRAYS}
    return FrameSeries(au_names=list(blob.au_names), emotion_names=list(blob.emotion_names),
                       au_thresholds=list(blob.au_thresholds or []), emotion_recall=dict(blob.emotion_recall or {}),
                       **arrays, **optional)


#: Added to the warnings of a session whose AU thresholds were never recorded.
DEFAULT_THRESHOLD_NOTE = (
    f"This session was analysed before AU thresholds were stored and its AU model is unknown: an AU "
    f"counts as active at probability {DEFAULT_THRESHOLD} or more."
)


def _clusters(data: dict[str, Any]) -> SessionClusters:
    return SessionClusters(
        reference_version=data.get("reference_version", ""), counts=dict(data.get("counts", {})),
        reference_clusters=[ClusterInfo(**c) for c in data.get("reference_clusters", [])],
        own_clusters=[ClusterInfo(**c) for c in data.get("own_clusters", [])],
        own_silhouette=[SilhouetteCurve(**c) for c in data.get("own_silhouette", [])],
        note=data.get("note", ""),
    )


def stored_result(session: Session, row: RecordingSession) -> SessionResult | None:
    """The stored SessionResult, or None when the session is not done."""
    if row.status != "done":
        return None
    blob = session.get(FrameSeriesBlob, row.id)
    if blob is None:
        raise StoreError(f"session {row.id} is marked done but its per-frame data is missing")
    video = dict(row.video or {})
    warnings = list(row.warnings or [])
    if not blob.au_thresholds:
        warnings.append(DEFAULT_THRESHOLD_NOTE)
    return SessionResult(
        video=VideoInfo(**video), series=_series(blob, row.frame_arrays),
        episodes=[_episode(e) for e in row.episodes], clusters=_clusters(row.clusters or {}),
        screening=stored_screening(row), versions=dict(row.versions or {}), options=dict(row.options or {}),
        warnings=warnings, created_at=row.result_created_at or "",
    )
