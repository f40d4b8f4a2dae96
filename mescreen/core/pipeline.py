"""The whole analysis of one recording: `analyze_video(path, options, progress) -> SessionResult`.

Three streaming passes over the file, none holding more than a few frames (the read-ahead of
mescreen.core.video.prefetched):

1. faces: every frame is demuxed, every `mesh_every`-th (landmark stage) or `detect_every`-th
   (paper stage) is converted and its faces found: a full-frame search every 2 s (BlazeFace,
   or Haar on a shrunk gray copy) and in between each face followed (the face mesh on the
   region of its previous landmarks, or template matching). Detections are linked into tracks,
   the patient's track is chosen over the whole video, then interpolated over the frames
   between detections: crop geometry and, for the landmark stage, head pose, eye and mouth
   aperture and landmark confidence.
2. aus: every frame is decoded, the patient's face cropped with the stored geometry, the AU
   stage updated and the spotting feature (256 values, float16) kept per frame.
3. emotion: after spotting, the file is read again up to the last episode, converting only the
   onset and apex frames, whose crops go to the emotion CNN (each micro-expression's flow image
   is made in a worker thread as soon as both its crops are read, while the pass goes on); the
   landmark stage runs the mesh on these frames again for the episodes' onset and apex landmarks.

Decoding 640x360 H.264 costs under 1 ms of CPU per frame, so the extra passes cost less than
keeping crops (16 KiB per frame, which would make memory grow with video length) or predicting
faces forward; each pass decodes in a background thread a few frames ahead
(mescreen.core.video.prefetched). Measured figures are in bench/RESULTS.md.

Per-frame emotion: the per-frame network (mescreen.core.frame_emotion) reads every crop of pass 2,
in batches; its trace (neutral + 7 emotions) is the series' `emotion_prob`, unsmoothed. The AU
stage reads each batch's frames, in order, once their emotion is known: a frame's p(neutral) is its
weight in the person's neutral level (mescreen.core.au).
Episodes: micro-expressions come from the movement spotter, macro-expressions from the emotion
trace; how each gets its emotion and confidence is in mescreen.core.expressions.
"""

from __future__ import annotations

import os
from array import array
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Literal, Sequence

import cv2
import numpy as np

from mescreen.core.au_activity import active_names
from mescreen.core.errors import NoFaceError
from mescreen.core.face import (
    FaceDetector, FaceDetectorParams, FaceTracker, Placements, TrackParams, crop_face,
    interpolate_track,
)
from mescreen.core.expressions import macro_episodes, micro_emotion
from mescreen.core.labels import FRAME_EMOTIONS
from mescreen.core.mesh import crop_landmarks, models_version as mesh_models_version
from mescreen.core.mesh_track import MeshTracker, roi_from_geometry
from mescreen.core.progress import Progress, ProgressCallback, report
from mescreen.core.result import Episode, FrameSeries, Screening, SessionClusters, SessionResult
from mescreen.core.spotting import APPEARANCE_BLOCKS, FEATURE_SIZE, Spotter, SpotterParams, appearance_feature
from mescreen.core.video import ReadLimits, VideoReader

if TYPE_CHECKING:  # the models are imported when loaded: TensorFlow is slow to import
    from mescreen.core.au import AUStage
    from mescreen.core.au_emotion import AUEmotionMapper
    from mescreen.core.emotion import EmotionClassifier
    from mescreen.core.frame_emotion import FrameEmotionModel
    from mescreen.core.subdivision import ReferenceClusters

#: Crops per call of the per-frame emotion network.
EMOTION_BATCH = 64
_NEUTRAL = FRAME_EMOTIONS.index("neutral")

#: Version of this pipeline's own logic (face, spotting, combination); models carry their own.
PIPELINE_VERSION = "2.2.0"  # 2: the landmark face stage is the default; 2.1: face-shape measures for the AU model;
# 2.2: the AU person normalisation rests on the frames the emotion model calls neutral

_REPORT_EVERY = 25  # frames between progress callbacks

FaceStage = Literal["mesh", "paper"]


@dataclass
class AnalysisOptions:
    """What a caller may change. `previous` holds the patient's earlier screenings (for the
    longitudinal indicators); it is input, not a setting, so it is not recorded in the result."""

    max_fps: float | None = None
    face: FaceStage = "mesh"
    mesh_every: int = 3
    detect_every: int = 4
    full_detect_every_s: float = 2.0
    detector: FaceDetectorParams = field(default_factory=FaceDetectorParams)
    tracking: TrackParams = field(default_factory=TrackParams)
    spotter: SpotterParams = field(default_factory=SpotterParams)
    limits: ReadLimits = field(default_factory=ReadLimits)
    models_dir: Path | None = None
    previous: Sequence[Screening] = ()

    def to_dict(self) -> dict[str, Any]:
        out = {
            "max_fps": self.max_fps, "face": self.face, "mesh_every": self.mesh_every,
            "detect_every": self.detect_every,
            "full_detect_every_s": self.full_detect_every_s, "detector": asdict(self.detector),
            "tracking": asdict(self.tracking), "spotter": asdict(self.spotter), "limits": asdict(self.limits),
        }
        out["spotter"]["scales_s"] = list(self.spotter.scales_s)
        if self.tracking.near is not None:
            out["tracking"]["near"] = list(self.tracking.near)
        return out


@dataclass
class Models:
    """Every trained model the pipeline uses, loaded once (a batch run reuses one instance)."""

    au: AUStage
    emotion: EmotionClassifier
    mapper: AUEmotionMapper
    clusters: ReferenceClusters
    frame_emotion: FrameEmotionModel

    @classmethod
    def load(cls, models_dir: Path | None = None) -> "Models":
        """Raises ModelMissingError (naming the rebuild command) for the first absent model."""
        from mescreen.core.au import AUStage
        from mescreen.core.au_emotion import AUEmotionMapper
        from mescreen.core.emotion import EmotionClassifier
        from mescreen.core.frame_emotion import FrameEmotionModel
        from mescreen.core.subdivision import ReferenceClusters

        au, frame_emotion = AUStage.load(models_dir), FrameEmotionModel.load(models_dir)
        au.check_embedding(frame_emotion.version)
        return cls(
            au=au, emotion=EmotionClassifier.load(models_dir),
            mapper=AUEmotionMapper.load(models_dir), clusters=ReferenceClusters.load(models_dir),
            frame_emotion=frame_emotion,
        )

    def versions(self) -> dict[str, str]:
        """Everything `SessionResult.versions` records, known before analysing (batch skips
        recordings already analysed with the same versions)."""
        from mescreen.core.screening import load_config

        return {
            "pipeline": PIPELINE_VERSION, "opencv": cv2.__version__, "face_mesh": mesh_models_version(),
            "au": self.au.version, "emotion_cnn": self.emotion.version, "au_emotion": self.mapper.version,
            "clusters": self.clusters.version, "frame_emotion": self.frame_emotion.version,
            "screening_config": load_config()["config_version"],
        }


@dataclass
class FacePass:
    """Result of pass 1: each analysed frame's source index and time, and where the patient's face is."""

    frame_index: np.ndarray
    time_s: np.ndarray
    placements: Placements
    faces_seen: int  # most faces detected in one frame
    mesh: MeshTracker | None = None  # the landmark stage's models, for pass 3's landmarks


def find_patient_faces(
    reader: VideoReader, options: AnalysisOptions, progress: ProgressCallback | None = None
) -> FacePass:
    """Pass 1: look for faces on every `mesh_every`-th / `detect_every`-th frame (a full-frame
    search every `full_detect_every_s`, each followed face tracked otherwise; see
    `mescreen.core.mesh_track.MeshTracker` and `mescreen.core.face.FaceTracker`), link tracks,
    choose the patient's and place it on every frame."""
    full_every = max(1, round(options.full_detect_every_s * (reader.info.analysed_fps or 1.0)))
    tracker: MeshTracker | FaceTracker
    if options.face == "mesh":
        tracker = MeshTracker(options.tracking, options.mesh_every, full_every)
    else:
        tracker = FaceTracker(FaceDetector(options.detector), options.tracking, options.detect_every, full_every)
    indices = array("i")  # compact: a long video has hundreds of thousands of frames
    times = array("d")
    total = reader.expected_frames
    for pos, frame in enumerate(reader.frames(decode=tracker.wants)):
        indices.append(frame.index)
        times.append(frame.time_s)
        if frame.image is not None:
            tracker.observe(pos, frame.image)
        if pos % _REPORT_EVERY == 0:
            report(progress, Progress("faces", pos, total))
    n = len(indices)
    report(progress, Progress("faces", n, n))
    track = tracker.patient()
    placements = interpolate_track(track, n, options.tracking.max_gap_frames, hold_frames=tracker.detect_every - 1)
    return FacePass(
        np.frombuffer(indices, np.int32).copy(), np.frombuffer(times, np.float64).copy(), placements,
        tracker.most_faces, tracker if isinstance(tracker, MeshTracker) else None,
    )


def _no_face_ranges(found: np.ndarray, time_s: np.ndarray, limit: int = 5) -> str:
    """Spans without a face in words, e.g. '0.00-1.25 s, at 6.35 s' (a single frame is a moment,
    not a span from a time to itself)."""
    spans = []
    start = None
    for i, ok in enumerate(list(found) + [True]):
        if not ok and start is None:
            start = i
        elif ok and start is not None:
            first, last = f"{time_s[start]:.2f}", f"{time_s[i - 1]:.2f}"
            spans.append(f"{first}-{last} s" if first != last else f"at {first} s")
            start = None
    more = f" and {len(spans) - limit} more" if len(spans) > limit else ""
    return ", ".join(spans[:limit]) + more


class _SeriesBuilder:
    """Per-frame arrays filled in pass 2 (sized once: the frame count is known after pass 1)."""

    def __init__(self, faces: FacePass, au_names: list[str]) -> None:
        n = len(faces.frame_index)
        self.face_found = np.zeros(n, bool)
        self.confidence = np.zeros(n, np.float32)
        self.size = np.zeros(n, np.float32)
        self.blur = np.zeros(n, np.float32)
        self.au = np.full((n, len(au_names)), np.nan, np.float32)
        self.features = np.full((n, FEATURE_SIZE), np.nan, np.float16)
        self.measures = np.full((n, faces.placements.measures.shape[1]), np.nan, np.float32)
        self.emotion = np.full((n, len(FRAME_EMOTIONS)), np.nan, np.float32)

    def geometry_arrays(self) -> dict[str, np.ndarray]:
        """The optional FrameSeries arrays of the landmark stage (none for the paper stage)."""
        if self.measures.shape[1] == 0:
            return {}
        m = self.measures  # columns as mescreen.core.mesh_track.MEASURES
        return {
            "head_pose": m[:, 0:3].copy(), "eye_aperture": m[:, 3:5].copy(),
            "mouth_aperture": m[:, 5].copy(), "landmark_confidence": m[:, 6].copy(),
        }


def _au_pass(
    reader: VideoReader, faces: FacePass, models: Models, progress: ProgressCallback | None
) -> _SeriesBuilder:
    """Pass 2: crop every frame with a face, read its emotion and AUs, keep the spotting feature."""
    au_names = list(models.au.au_names)
    out = _SeriesBuilder(faces, au_names)
    n = len(faces.frame_index)
    batch = FaceBatch(models.au, models.frame_emotion, out.au, out.emotion)
    for pos, frame in enumerate(reader.frames(stop_after=n - 1)):
        place = faces.placements[pos] if pos < n else None
        if place is not None and frame.image is not None:
            crop, blur = crop_face(frame.image, place.geometry)
            out.face_found[pos] = True
            out.confidence[pos] = place.confidence
            out.size[pos] = place.geometry.side
            out.blur[pos] = blur
            out.measures[pos] = faces.placements.measures[pos]
            out.features[pos] = appearance_feature(crop)
            batch.add(pos, crop, out.measures[pos] if out.measures.shape[1] else None)
        if pos % _REPORT_EVERY == 0:
            report(progress, Progress("aus", pos, n))
    batch.flush()
    report(progress, Progress("aus", n, n))
    return out


class FaceBatch:
    """Per-frame emotion and AUs of face crops gathered into batches: one emotion-network call per
    EMOTION_BATCH crops (much faster than one by one; memory stays at one batch of crops), then the
    AU stage reads the batch's frames in order with each frame's p(neutral). Frames never added
    (no face) keep NaN. Starts the AU stage afresh (one person per video)."""

    def __init__(self, au: AUStage, emotion: FrameEmotionModel, au_into: np.ndarray, emotion_into: np.ndarray) -> None:
        self.au, self.emotion = au, emotion
        self.au_into, self.emotion_into = au_into, emotion_into
        self.items: list[tuple[int, np.ndarray, np.ndarray | None]] = []
        self.au.check_embedding(emotion.version)
        self.au.reset()

    def add(self, pos: int, crop: np.ndarray, geometry: np.ndarray | None) -> None:
        self.items.append((pos, crop, geometry))
        if len(self.items) >= EMOTION_BATCH:
            self.flush()

    def flush(self) -> None:
        if not self.items:
            return
        positions = [pos for pos, _, _ in self.items]
        crops = np.stack([crop for _, crop, _ in self.items])
        probs, features = self.emotion.predict_with_features(crops)
        self.emotion_into[positions] = probs
        self.au_into[positions] = self.au.update_many(
            crops, [geometry for _, _, geometry in self.items], probs[:, _NEUTRAL], features)
        self.items = []


class PairImages:
    """The ME network's input image of each micro-expression's (onset, apex) crop pair, made in a
    worker thread as soon as pass 3 has read both crops. Why: for the shipped model the image is
    an optical flow (TV-L1, about 0.8 s per pair on one core) which would otherwise start only
    after pass 3 has read up to the last episode; this way it runs on the other core while pass 3
    decodes. A pair whose crops are not both read (no face) gets no image."""

    def __init__(self, make: Callable[[np.ndarray, np.ndarray], np.ndarray], pairs: Iterable[tuple[int, int]],
                 pool: Executor) -> None:
        self._make, self._pool = make, pool
        self._due: dict[int, list[tuple[int, int]]] = {}  # position of a pair's later frame -> pairs
        for pair in dict.fromkeys(pairs):
            self._due.setdefault(max(pair), []).append(pair)
        self.futures: dict[tuple[int, int], Future[np.ndarray]] = {}

    def read(self, position: int, crops: dict[int, np.ndarray]) -> None:
        """Pass 3 has read the frame at `position` (and every one before it)."""
        for onset, apex in self._due.pop(position, []):
            if onset in crops and apex in crops:
                self.futures[(onset, apex)] = self._pool.submit(self._make, crops[onset], crops[apex])


@dataclass
class EpisodeFrames:
    """What pass 3 reads of the onset and apex frames, by frame position: the model crops and
    (landmark stage) the mesh landmarks in crop coordinates."""

    crops: dict[int, np.ndarray] = field(default_factory=dict)
    landmarks: dict[int, list[list[float]]] = field(default_factory=dict)


def _episode_frames(
    reader: VideoReader, faces: FacePass, positions: Sequence[int], progress: ProgressCallback | None,
    images: PairImages,
) -> EpisodeFrames:
    """Pass 3: crops (and landmarks) of the given frame positions only (converted, all others
    just decoded); each pair of `images` is started once both its crops are read."""
    wanted = {p for p in positions if faces.placements.found[p]}
    out = EpisodeFrames()
    if not wanted:
        return out
    last = max(wanted)
    for pos, frame in enumerate(reader.frames(decode=lambda p: p in wanted, stop_after=last)):
        if pos in wanted and frame.image is not None:
            geometry = faces.placements[pos].geometry  # type: ignore[union-attr]
            out.crops[pos] = crop_face(frame.image, geometry)[0]
            mesh = faces.mesh.landmarks(frame.image, roi_from_geometry(geometry)) if faces.mesh else None
            if mesh is not None:
                out.landmarks[pos] = crop_landmarks(mesh.points, geometry)
            images.read(pos, out.crops)
        if pos % (_REPORT_EVERY * 4) == 0:
            report(progress, Progress("emotion", pos, last + 1))
    return out


def set_apex_aus(ep: Episode, apex: np.ndarray, au_names: Sequence[str], thresholds: Sequence[float]) -> None:
    """The episode's AU probabilities at its apex, and its active AUs (mescreen.core.au_activity:
    NaN and unreliable AUs are never active). Shared with `mescreen.core.peer_import`."""
    ep.au_prob = {a: float(v) for a, v in zip(au_names, apex) if np.isfinite(v)}
    ep.active_aus = active_names(apex, au_names, thresholds)


def settle_emotion(ep: Episode, reference_clusters: ReferenceClusters) -> None:
    """Episode emotion = argmax of `emotion_prob` (empty when nothing is above zero), its
    confidence (that probability) and reference cluster. Shared with `mescreen.core.peer_import`."""
    best = max(ep.emotion_prob, key=lambda e: ep.emotion_prob[e], default="")
    ep.emotion = best if best and ep.emotion_prob[best] > 0 else ""
    ep.confidence = round(float(ep.emotion_prob[best]), 4) if ep.emotion else None
    if ep.emotion:
        ep.cluster, ep.cluster_aus = reference_clusters.assign(ep.emotion, ep.active_aus)


def cluster_and_screen(
    series: FrameSeries, episodes: list[Episode], reference_clusters: ReferenceClusters, previous: Sequence[Screening],
    progress: ProgressCallback | None = None,
) -> tuple[SessionClusters, Screening]:
    """The session's ME clusters and its screening: the last stages, shared with `mescreen.core.peer_import`."""
    from mescreen.core.screening import screen
    from mescreen.core.subdivision import cluster_session

    report(progress, Progress("clusters", 0, 1))
    clusters = cluster_session(episodes, reference_clusters)
    report(progress, Progress("screening", 0, 1))
    screening = screen(series, episodes, clusters, previous=previous)
    report(progress, Progress("screening", 1, 1))
    return clusters, screening


def _describe_episodes(
    episodes: list[Episode], positions: dict[int, int], series_au: np.ndarray, series_emotion: np.ndarray,
    models: Models, frames: EpisodeFrames, images: PairImages,
) -> None:
    """Fill each episode's apex AUs, landmarks and reference cluster; micro-expressions also get
    the ME network's reading fused with the per-frame emotion and the AU mapping
    (mescreen.core.expressions; macro-expressions come with their emotion)."""
    au_names = list(models.au.au_names)
    thresholds = np.asarray(models.au.thresholds, np.float64)
    pairs, usable = [], []
    for ep in episodes:
        set_apex_aus(ep, series_au[positions[ep.apex_frame]], au_names, thresholds)
        onset, apex_pos = positions[ep.onset_frame], positions[ep.apex_frame]
        if onset in frames.landmarks and apex_pos in frames.landmarks:
            ep.landmarks = {"onset": frames.landmarks[onset], "apex": frames.landmarks[apex_pos]}
        if ep.kind == "macro":
            settle_emotion(ep, models.clusters)
        elif (onset, apex_pos) in images.futures:
            pairs.append(images.futures[(onset, apex_pos)].result())
            usable.append(ep)
    for ep, cnn3 in zip(usable, models.emotion.read_images(pairs)):
        ep.emotion3_prob = {k: float(v) for k, v in cnn3.items()}
        ep.emotion_prob = micro_emotion(series_emotion[positions[ep.apex_frame]], ep.emotion3_prob,
                                        models.mapper.predict_proba(ep.active_aus))
        settle_emotion(ep, models.clusters)


def analyze_video(
    path: str | Path,
    options: AnalysisOptions | None = None,
    progress: ProgressCallback | None = None,
    models: Models | None = None,
) -> SessionResult:
    """Analyse one recording (or a still, as a one-frame video).

    Raises InputError (unreadable, empty, truncated before the first frame, too large),
    NoFaceError (no face in any frame), ModelMissingError (a trained model is absent) or
    Cancelled (the callback returned False). Frames without a face stay in the series with
    `face_found` False and NaN AUs, and the result's warnings name their time spans.
    """
    options = options or AnalysisOptions()
    reader = VideoReader(path, max_fps=options.max_fps, limits=options.limits)
    models = models or Models.load(options.models_dir)

    faces = find_patient_faces(reader, options, progress)
    n = len(faces.frame_index)
    if not faces.placements.found.any():
        raise NoFaceError(
            f"{reader.path.name}: no face was found in any of its {n} frame(s). mescreen needs the "
            "patient's face, frontal and well lit, filling at least a tenth of the picture's height."
        )
    built = _au_pass(reader, faces, models, progress)

    report(progress, Progress("spotting", 0, 1))
    fps = reader.info.analysed_fps
    spot = Spotter(options.spotter).spot(
        built.features, faces.time_s, faces.frame_index, fps, n_blocks=APPEARANCE_BLOCKS
    )
    # Micro-expressions from movement; macro-expressions from the emotion the face shows over time.
    episodes = sorted([e for e in spot.episodes if e.kind == "micro"]
                      + macro_episodes(built.emotion, faces.time_s, faces.frame_index, fps),
                      key=lambda e: (e.onset_s, e.offset_s))
    report(progress, Progress("spotting", 1, 1))

    positions = {int(f): i for i, f in enumerate(faces.frame_index)}
    needed = sorted({positions[e.onset_frame] for e in episodes} | {positions[e.apex_frame] for e in episodes})
    pool = ThreadPoolExecutor(os.cpu_count() or 1, thread_name_prefix="mescreen-me-image")
    opencv_threads = cv2.getNumThreads()
    cv2.setNumThreads(1)  # TV-L1 at 128x128 gains nothing from OpenCV's threads (same flow) but costs CPU
    try:
        images = PairImages(models.emotion.network_image, [
            (positions[e.onset_frame], positions[e.apex_frame]) for e in episodes if e.kind == "micro"], pool)
        frames = _episode_frames(reader, faces, needed, progress, images)
        _describe_episodes(episodes, positions, built.au, built.emotion, models, frames, images)
    finally:  # a cancelled or failed pass 3 leaves no image queued
        pool.shutdown(wait=True, cancel_futures=True)
        cv2.setNumThreads(opencv_threads)
    read_to = needed[-1] + 1 if needed else 0
    report(progress, Progress("emotion", read_to, read_to))

    series = FrameSeries(
        frame_index=faces.frame_index, time_s=faces.time_s, face_found=built.face_found,
        face_confidence=built.confidence, face_size=built.size, blur=built.blur, motion=spot.signal,
        au_names=list(models.au.au_names), au_prob=built.au, emotion_names=list(FRAME_EMOTIONS),
        emotion_prob=built.emotion, au_thresholds=[float(t) for t in models.au.thresholds],
        **built.geometry_arrays(),
    )

    clusters, screening = cluster_and_screen(series, episodes, models.clusters, options.previous, progress)

    warnings = list(reader.warnings)
    missing = int((~built.face_found).sum())
    if missing:
        warnings.append(
            f"No face in {missing} of {n} frames ({_no_face_ranges(built.face_found, faces.time_s)}); "
            "those frames have no AU values and cannot contain episodes."
        )
    if faces.faces_seen > 1:
        warnings.append(
            f"Up to {faces.faces_seen} faces were seen in one frame; the analysis follows one of them "
            f"(strategy '{options.tracking.strategy}'). Set the patient's position if it picked the wrong person."
        )
    versions = models.versions()
    return SessionResult(
        video=reader.info, series=series, episodes=episodes, clusters=clusters, screening=screening,
        versions=versions, options=options.to_dict(), warnings=warnings,
        created_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
    )
