"""The whole analysis of one recording: `analyze_video(path, options, progress) -> SessionResult`.

Three streaming passes over the file, none holding more than a few frames (the read-ahead of
mescreen.core.io.video.prefetched):

1. faces: every frame is demuxed, every `mesh_every`-th (landmark stage) or `detect_every`-th
   (paper stage) is searched or followed: a full-frame search every 2 s (BlazeFace, or Haar on
   a shrunk gray copy) and in between each face followed (the face mesh on the region of its
   previous landmarks, or template matching); the landmark stage converts every frame, and
   searches on every frame while a followed face is lost (mescreen.core.face.mesh_track).
   Detections are linked into tracks, the patient's face (its tracks joined across gaps) is
   chosen over the whole video, then interpolated over the frames between detections: crop
   geometry and, for the landmark stage, head pose, eye and mouth aperture and landmark
   confidence.
2. aus: every frame is decoded, the patient's face cropped with the stored geometry, the AU
   stage updated and the spotting feature (256 values, float16) kept per frame.
3. emotion: after spotting, the file is read again up to the last episode, converting only the
   onset and apex frames, whose crops go to the emotion CNN (each micro-expression's flow image
   is made in a worker thread as soon as both its crops are read, while the pass goes on); the
   landmark stage runs the mesh on these frames again for the episodes' onset and apex landmarks.

Decoding 640x360 H.264 costs under 1 ms of CPU per frame, so the extra passes cost less than
keeping crops (16 KiB per frame, which would make memory grow with video length) or predicting
faces forward; each pass decodes in a background thread a few frames ahead
(mescreen.core.io.video.prefetched). Measured figures are in bench/RESULTS.md.

Per-frame emotion: the per-frame network (mescreen.core.emotion.frame.model) reads every crop of pass 2,
in batches; its trace (neutral + 7 emotions) is the series' `emotion_prob`, unsmoothed. The AU
stage reads each batch's frames, in order, once their emotion is known: a frame's p(neutral) is its
weight in the person's neutral level (mescreen.core.aus.stage).
Episodes: expressions the emotion trace or the AUs show (mescreen.core.episodes.expressions),
micro when they last up to 0.5 s; the movement spotter's signal is kept as the series' `motion`
(movement alone, such as talking, is not an expression). How each episode gets its emotion and
confidence is in mescreen.core.episodes.expressions.
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

from mescreen.core.aus.activity import active_names
from mescreen.core.errors import NoFaceError
from mescreen.core.face.crop import crop_face
from mescreen.core.face.haar import FaceDetector, FaceDetectorParams, FaceTracker
from mescreen.core.face.tracks import Placements, TrackParams, interpolate_track
from mescreen.core.episodes.expressions import ExpressionParams, expression_episodes, micro_emotion
from mescreen.core.labels import FRAME_EMOTIONS
from mescreen.core.face.mesh import crop_landmarks, models_version as mesh_models_version
from mescreen.core.face.mesh_track import MeshTracker, roi_from_geometry
from mescreen.core.progress import Progress, ProgressCallback, report
from mescreen.core.result import Episode, FrameSeries, Screening, SessionClusters, SessionResult
from mescreen.core.episodes.spotting import APPEARANCE_BLOCKS, FEATURE_SIZE, Spotter, SpotterParams, appearance_feature
from mescreen.core.io.video import ReadLimits, VideoReader

if TYPE_CHECKING:  # the models are imported when loaded: TensorFlow is slow to import
    from mescreen.core.aus.stage import AUStage
    from mescreen.core.emotion.au_mapping import AUEmotionMapper
    from mescreen.core.emotion.micro.classifier import EmotionClassifier
    from mescreen.core.emotion.frame.model import FrameEmotionModel
    from mescreen.core.episodes.clusters import ReferenceClusters

#: Crops per call of the per-frame emotion network.
EMOTION_BATCH = 64
_NEUTRAL = FRAME_EMOTIONS.index("neutral")

#: Version of this pipeline's own logic (face, spotting, combination); models carry their own.
PIPELINE_VERSION = "2.3.0"  # 2: the landmark face stage is the default; 2.1: face-shape measures for the AU model;
# 2.2: the AU person normalisation rests on the frames the emotion model calls neutral; 2.3: episodes from the
# emotion trace and the AUs (issue 26)

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
    expressions: ExpressionParams = field(default_factory=ExpressionParams)
    limits: ReadLimits = field(default_factory=ReadLimits)
    models_dir: Path | None = None
    previous: Sequence[Screening] = ()

    def to_dict(self) -> dict[str, Any]:
        out = {
            "max_fps": self.max_fps, "face": self.face, "mesh_every": self.mesh_every,
            "detect_every": self.detect_every,
            "full_detect_every_s": self.full_detect_every_s, "detector": asdict(self.detector),
            "tracking": asdict(self.tracking), "spotter": asdict(self.spotter),
            "expressions": asdict(self.expressions), "limits": asdict(self.limits),
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
        from mescreen.core.aus.stage import AUStage
        from mescreen.core.emotion.au_mapping import AUEmotionMapper
        from mescreen.core.emotion.micro.classifier import EmotionClassifier
        from mescreen.core.emotion.frame.model import FrameEmotionModel
        from mescreen.core.episodes.clusters import ReferenceClusters

        au, frame_emotion = AUStage.load(models_dir), FrameEmotionModel.load(models_dir)
        au.check_embedding(frame_emotion.features_version)
        return cls(
            au=au, emotion=EmotionClassifier.load(models_dir),
            mapper=AUEmotionMapper.load(models_dir), clusters=ReferenceClusters.load(models_dir),
            frame_emotion=frame_emotion,
        )

    def versions(self) -> dict[str, str]:
        """Everything `SessionResult.versions` records, known before analysing (batch skips
        recordings already analysed with the same versions)."""
        from mescreen.core.screening.indicators import load_config

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
    `mescreen.core.face.mesh_track.MeshTracker` and `mescreen.core.face.haar.FaceTracker`), link tracks,
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
    try:
        for pos, frame in enumerate(reader.frames(decode=tracker.wants)):
            indices.append(frame.index)
            times.append(frame.time_s)
            if frame.image is not None:
                tracker.observe(pos, frame.image)
            if pos % _REPORT_EVERY == 0:
                report(progress, Progress("faces", pos, total))
    finally:
        if isinstance(tracker, MeshTracker):
            tracker.eyes.close()  # its worker thread: eye apertures are read in this pass only
    n = len(indices)
    report(progress, Progress("faces", n, n))
    track = tracker.patient()
    placements = interpolate_track(track, n, options.tracking.max_gap_frames, hold_frames=tracker.detect_every - 1,
                                   return_hold_frames=tracker.lost_every - 1)
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


#: A face crop less sharp than this share of the recording's median (variance of the Laplacian)
#: is motion-blurred: it is read, at a confidence lowered in proportion (`blurred_frames`).
BLURRED_CROP_SHARE = 0.5


def blurred_frames(blur: np.ndarray, found: np.ndarray, confidence: np.ndarray) -> np.ndarray:
    """Frames whose face crop is blurred (`BLURRED_CROP_SHARE`); their `confidence` is scaled in place
    by their sharpness over that limit, so a clinician sees which readings rest on a blurred face."""
    sharp = blur[found & (blur > 0)]
    if sharp.size == 0:
        return np.zeros(len(blur), bool)
    limit = BLURRED_CROP_SHARE * float(np.median(sharp))
    blurred = found & (blur < limit)
    confidence[blurred] *= (blur[blurred] / limit).astype(confidence.dtype)
    return blurred


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
        m = self.measures  # columns as mescreen.core.face.mesh_track.MEASURES
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
    with ThreadPoolExecutor(1, thread_name_prefix="mescreen-frame-batch") as pool:
        batch = FaceBatch(models.au, models.frame_emotion, out.au, out.emotion, pool)
        _crop_frames(reader, faces, out, batch, progress)
    report(progress, Progress("aus", n, n))
    return out


def _crop_frames(reader: VideoReader, faces: FacePass, out: _SeriesBuilder, batch: FaceBatch,
                 progress: ProgressCallback | None) -> None:
    """Pass 2's loop: every frame with a face cropped, its spotting feature kept, its crop batched."""
    n = len(faces.frame_index)
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


class FaceBatch:
    """Per-frame emotion and AUs of face crops gathered into batches: one emotion-network call per
    EMOTION_BATCH crops (much faster than one by one), then the AU stage reads the batch's frames in
    order with each frame's p(neutral). Frames never added (no face) keep NaN. Starts the AU stage
    afresh (one person per video).

    With a `pool` (one worker thread) a full batch is read there while the caller cuts the next one:
    the networks release the GIL, so pass 2 uses both cores; batches still run one at a time, in
    order (the AU stage's person normalisation depends on it), and at most two batches of crops are
    held. `flush` reads what is left and waits for every batch."""

    def __init__(self, au: AUStage, emotion: FrameEmotionModel, au_into: np.ndarray, emotion_into: np.ndarray,
                 pool: Executor | None = None) -> None:
        self.au, self.emotion = au, emotion
        self.au_into, self.emotion_into = au_into, emotion_into
        self.items: list[tuple[int, np.ndarray, np.ndarray | None]] = []
        self._pool = pool
        self._running: Future[None] | None = None
        self.au.check_embedding(emotion.features_version)
        self.au.reset()

    def add(self, pos: int, crop: np.ndarray, geometry: np.ndarray | None) -> None:
        self.items.append((pos, crop, geometry))
        if len(self.items) >= EMOTION_BATCH:
            self._dispatch()

    def flush(self) -> None:
        self._dispatch()
        self._wait()

    def _dispatch(self) -> None:
        items, self.items = self.items, []
        if not items:
            return
        self._wait()  # the previous batch first: one at a time, in frame order
        if self._pool is None:
            self._read(items)
        else:
            self._running = self._pool.submit(self._read, items)

    def _wait(self) -> None:
        running, self._running = self._running, None
        if running is not None:
            running.result()  # re-raises a failure of the batch here

    def _read(self, items: list[tuple[int, np.ndarray, np.ndarray | None]]) -> None:
        positions = [pos for pos, _, _ in items]
        crops = np.stack([crop for _, crop, _ in items])
        probs, features = self.emotion.predict_with_features(crops)
        self.emotion_into[positions] = probs
        self.au_into[positions] = self.au.update_many(
            crops, [geometry for _, _, geometry in items], probs[:, _NEUTRAL], features)


class PairImages:
    """The ME network's input image of each micro-expression's (onset, apex) crop pair, made in a
    worker thread as soon as pass 3 has read both crops. Why: for the shipped model the image is
    an optical flow (TV-L1, about 0.35 s per pair on one core) which would otherwise start only
    after pass 3 has read up to the last episode; this way it runs on the other core while pass 3
    decodes. A pair whose crops are not both read (no face) gets no image. A crop is dropped from
    the caller's `crops` once the last pair it belongs to has started, so a long recording's many
    episodes do not pile up crops."""

    def __init__(self, make: Callable[[np.ndarray, np.ndarray], np.ndarray], pairs: Iterable[tuple[int, int]],
                 pool: Executor) -> None:
        self._make, self._pool = make, pool
        self._due: dict[int, list[tuple[int, int]]] = {}  # position of a pair's later frame -> pairs
        self._last_use: dict[int, int] = {}  # crop position -> the position after which no pair needs it
        for pair in dict.fromkeys(pairs):
            self._due.setdefault(max(pair), []).append(pair)
            for position in pair:
                self._last_use[position] = max(self._last_use.get(position, -1), max(pair))
        self.futures: dict[tuple[int, int], Future[np.ndarray]] = {}

    def wants(self, position: int) -> bool:
        """Whether a pair needs the crop at `position`."""
        return position in self._last_use

    def read(self, position: int, crops: dict[int, np.ndarray]) -> None:
        """Pass 3 has read the frame at `position` (and every one before it)."""
        for onset, apex in self._due.pop(position, []):
            if onset in crops and apex in crops:
                self.futures[(onset, apex)] = self._pool.submit(self._make, crops[onset], crops[apex])
        for done in [p for p in crops if self._last_use.get(p, -1) <= position]:
            del crops[done]


@dataclass
class EpisodeFrames:
    """What pass 3 reads of the onset and apex frames, by frame position: the model crops (held only
    until their pairs' images have started, `PairImages.read`) and (landmark stage) the mesh
    landmarks in crop coordinates."""

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
            if images.wants(pos):
                out.crops[pos] = crop_face(frame.image, geometry)[0]
            mesh = faces.mesh.landmarks(frame.image, roi_from_geometry(geometry)) if faces.mesh else None
            if mesh is not None:
                out.landmarks[pos] = crop_landmarks(mesh.points, geometry)
            images.read(pos, out.crops)
        if pos % (_REPORT_EVERY * 4) == 0:
            report(progress, Progress("emotion", pos, last + 1))
    return out


def set_apex_aus(ep: Episode, apex: np.ndarray, au_names: Sequence[str], thresholds: Sequence[float]) -> None:
    """The episode's AU probabilities at its apex, and its active AUs (mescreen.core.aus.activity:
    NaN and unreliable AUs are never active). Shared with `mescreen.core.io.peer_import`."""
    ep.au_prob = {a: float(v) for a, v in zip(au_names, apex) if np.isfinite(v)}
    ep.active_aus = active_names(apex, au_names, thresholds)


def settle_emotion(ep: Episode, reference_clusters: ReferenceClusters) -> None:
    """Episode emotion = argmax of `emotion_prob` (empty when nothing is above zero), its
    confidence (that probability) and reference cluster. Shared with `mescreen.core.io.peer_import`."""
    best = max(ep.emotion_prob, key=lambda e: ep.emotion_prob[e], default="")
    ep.emotion = best if best and ep.emotion_prob[best] > 0 else ""
    ep.confidence = round(float(ep.emotion_prob[best]), 4) if ep.emotion else None
    if ep.emotion:
        ep.cluster, ep.cluster_aus = reference_clusters.assign(ep.emotion, ep.active_aus)


def cluster_and_screen(
    series: FrameSeries, episodes: list[Episode], reference_clusters: ReferenceClusters, previous: Sequence[Screening],
    progress: ProgressCallback | None = None,
) -> tuple[SessionClusters, Screening]:
    """The session's ME clusters and its screening: the last stages, shared with `mescreen.core.io.peer_import`."""
    from mescreen.core.screening.indicators import screen
    from mescreen.core.episodes.clusters import cluster_session

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
    (mescreen.core.episodes.expressions; macro-expressions come with their emotion)."""
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
    blurred = blurred_frames(built.blur, built.face_found, built.confidence)

    report(progress, Progress("spotting", 0, 1))
    fps = reader.info.analysed_fps
    spot = Spotter(options.spotter).spot(
        built.features, faces.time_s, faces.frame_index, fps, n_blocks=APPEARANCE_BLOCKS
    )
    episodes = expression_episodes(built.emotion, built.au, models.au.au_names, models.au.thresholds,
                                   faces.time_s, faces.frame_index, fps, options.expressions)
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
        emotion_recall=dict(models.frame_emotion.per_class_recall), **built.geometry_arrays(),
    )

    clusters, screening = cluster_and_screen(series, episodes, models.clusters, options.previous, progress)

    warnings = list(reader.warnings)
    missing = int((~built.face_found).sum())
    if missing:
        warnings.append(
            f"No face in {missing} of {n} frames ({_no_face_ranges(built.face_found, faces.time_s)}); "
            "those frames have no AU values and cannot contain episodes."
        )
    if blurred.any():
        warnings.append(
            f"The face is blurred (motion) in {int(blurred.sum())} of {n} frames "
            f"({_no_face_ranges(~blurred, faces.time_s)}); they are read at a lower face confidence."
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
