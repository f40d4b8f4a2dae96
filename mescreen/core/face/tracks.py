"""Faces over a video: detections linked into tracks, the patient's track chosen, and the
patient's face placed on every frame.

`ScheduledTracker` runs full-frame searches and cheap follows over the frame stream (the Haar
stage's `FaceTracker` and the landmark stage's `MeshTracker` say how to search and follow),
`TrackBuilder` links detections into tracks by overlap, joins the tracks of one face across the
gaps where it was lost (`identities`) and picks the patient's (by default the most persistent,
then the largest: an interview often shows the interviewer too), and `interpolate_track` places
the patient's box and eye angle on the frames in between, bridging short detector misses.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Iterable, Literal, Sequence

import numpy as np

from mescreen.core.face.crop import Detection, FaceGeometry

SelectionStrategy = Literal["persistent", "largest"]


@dataclass(frozen=True)
class TrackParams:
    """How detections become the patient's per-frame face.

    `min_iou`: overlap needed to continue a track; `max_gap_frames`: longest run of detector
    misses bridged by interpolation (longer gaps are reported as "no face"); `strategy`:
    "persistent" picks the track seen on most detection frames (ties and tracks within
    `persistence_tolerance` of the best go to the largest), "largest" the largest median face;
    `near`: if set, (x, y) as fractions of the frame, the track passing closest to that point
    wins (a manual override when the default picks the interviewer). A face lost for longer
    than the gap limit (it left the picture, turned away, was hidden) comes back as a new track;
    the new track continues the old one when it starts after the old one ended, within
    `relink_sides` face sides of where the old one was last seen and at a size within a factor
    `relink_size` of it (`TrackBuilder.identities`), so the strategies choose between people,
    not between pieces of one person's track.
    """

    min_iou: float = 0.3
    max_gap_frames: int = 12
    strategy: SelectionStrategy = "persistent"
    persistence_tolerance: float = 0.8
    near: tuple[float, float] | None = None
    relink_sides: float = 2.5
    relink_size: float = 2.0


@dataclass
class Track:
    """Detections of one face over the video, keyed by frame index."""

    frames: list[int] = field(default_factory=list)
    detections: list[Detection] = field(default_factory=list)

    @property
    def last(self) -> Detection:
        return self.detections[-1]

    @property
    def median_side(self) -> float:
        return float(np.median([d.side for d in self.detections]))


def iou(a: Sequence[float], b: Sequence[float]) -> float:
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    ix = max(0.0, min(ax + aw, bx + bw) - max(ax, bx))
    iy = max(0.0, min(ay + ah, by + bh) - max(ay, by))
    inter = ix * iy
    union = aw * ah + bw * bh - inter
    return inter / union if union > 0 else 0.0


class TrackBuilder:
    """Links the detections of successive detection frames into tracks (greedy, by overlap, then
    by distance for a fast-moving face: `TrackParams.relink_sides`)."""

    def __init__(self, params: TrackParams | None = None) -> None:
        self.params = params or TrackParams()
        self.tracks: list[Track] = []

    def add(self, frame_index: int, detections: Iterable[Detection]) -> None:
        p = self.params
        live = self.live(frame_index)
        pairs = sorted(
            ((iou(t.last.box, d.box), ti, di) for ti, t in enumerate(live) for di, d in enumerate(detections)),
            reverse=True,
        )
        used_t: set[int] = set()
        used_d: set[int] = set()
        dets = list(detections)
        for overlap, ti, di in pairs:
            if overlap < p.min_iou or ti in used_t or di in used_d:
                continue
            self.extend(live[ti], frame_index, dets[di])
            used_t.add(ti)
            used_d.add(di)
        # A face that moved fast (a pan, a head turn) overlaps its last box little: a live track
        # left without a detection continues with the nearest one left that can be the same face.
        near = sorted((_gap(t.last, d), ti, di) for ti, t in enumerate(live) for di, d in enumerate(dets)
                      if ti not in used_t and di not in used_d and same_face(t.last, d, p))
        for _, ti, di in near:
            if ti in used_t or di in used_d:
                continue
            self.extend(live[ti], frame_index, dets[di])
            used_t.add(ti)
            used_d.add(di)
        for di, det in enumerate(dets):
            if di not in used_d:
                self.tracks.append(Track([frame_index], [det]))

    def live(self, frame_index: int) -> list[Track]:
        """Tracks whose last detection is recent enough to continue."""
        return [t for t in self.tracks if frame_index - t.frames[-1] <= self.params.max_gap_frames + 1]

    def extend(self, track: Track, frame_index: int, detection: Detection) -> None:
        track.frames.append(frame_index)
        track.detections.append(detection)

    def identities(self) -> list[Track]:
        """Each face's tracks joined across the gaps that ended them (`TrackParams`): taken in
        order of their start, a track continues the nearest face whose track ended before it
        started, was last seen within `relink_sides` of its first detection and at a similar
        size; otherwise it is a face of its own."""
        p = self.params
        faces: list[Track] = []
        for track in sorted(self.tracks, key=lambda t: t.frames[0]):
            first = track.detections[0]
            ended = [f for f in faces if f.frames[-1] < track.frames[0] and same_face(f.last, first, p)]
            if ended:
                face = min(ended, key=lambda f: _gap(f.last, first))
                face.frames.extend(track.frames)
                face.detections.extend(track.detections)
            else:
                faces.append(Track(list(track.frames), list(track.detections)))
        return faces

    def patient(self, frame_size: tuple[int, int]) -> Track | None:
        """The patient's face (all its tracks, `identities`) by the configured strategy, None
        when no face was ever found."""
        faces = self.identities()
        if not faces:
            return None
        p = self.params
        if p.near is not None:
            w, h = frame_size
            px, py = p.near[0] * w, p.near[1] * h
            return min(faces, key=lambda t: min(math.hypot(d.center[0] - px, d.center[1] - py) for d in t.detections))
        if p.strategy == "largest":
            return max(faces, key=lambda t: (t.median_side, len(t.frames)))
        most = max(len(t.frames) for t in faces)
        contenders = [t for t in faces if len(t.frames) >= p.persistence_tolerance * most]
        return max(contenders, key=lambda t: (t.median_side, len(t.frames)))


def _gap(a: Detection, b: Detection) -> float:
    """Distance between two detections' centres, in face sides."""
    return math.hypot(a.center[0] - b.center[0], a.center[1] - b.center[1]) / max(a.side, b.side, 1e-9)


def same_face(a: Detection, b: Detection, p: TrackParams) -> bool:
    """Whether b, seen after a's track ended, can be the same face (`TrackParams`)."""
    return _gap(a, b) <= p.relink_sides and max(a.side, b.side) <= p.relink_size * max(min(a.side, b.side), 1e-9)


@dataclass(frozen=True)
class FramePlacement:
    """The patient's face in one frame: geometry to crop with, confidence, and how it was known."""

    geometry: FaceGeometry
    confidence: float
    detected: bool  # True on a detection frame, False when interpolated between two


class Placements:
    """The patient's face on every frame, as arrays (a few bytes per frame, so hours of video
    stay small): rows of `Detection.row()` (crop geometry cx, cy, side, angle, then the
    detector's per-frame measures, NaN where no face), confidence, and state 0 = no face,
    1 = interpolated or held, 2 = detected. Indexing gives a `FramePlacement` or None."""

    def __init__(self, n: int, width: int = 4) -> None:
        self.rows = np.zeros((n, width), np.float32)
        self.rows[:, 4:] = np.nan
        self.confidence = np.zeros(n, np.float32)
        self.state = np.zeros(n, np.int8)

    @property
    def geometry(self) -> np.ndarray:
        """(n, 4) crop geometry: cx, cy, side, angle."""
        return self.rows[:, :4]

    @property
    def measures(self) -> np.ndarray:
        """(n, width - 4) per-frame measures (none for the Haar stage)."""
        return self.rows[:, 4:]

    def __len__(self) -> int:
        return int(self.state.shape[0])

    def __getitem__(self, i: int) -> FramePlacement | None:
        if not -len(self) <= i < len(self):
            raise IndexError(i)
        if self.state[i] == 0:
            return None
        cx, cy, side, angle = (float(v) for v in self.geometry[i])
        return FramePlacement(FaceGeometry(cx, cy, side, angle), float(self.confidence[i]), bool(self.state[i] == 2))

    @property
    def found(self) -> np.ndarray:
        return self.state > 0

    def set(self, i: int, det: Detection, state: int) -> None:
        self.rows[i] = det.row()
        self.confidence[i] = det.confidence
        self.state[i] = state


def interpolate_track(track: Track | None, n_frames: int, max_gap_frames: int, hold_frames: int = 0,
                      return_hold_frames: int | None = None) -> Placements:
    """Per-frame placement for frames 0..n_frames-1: detections where seen, linear interpolation
    between two detections at most `max_gap_frames` + 1 apart, the detections either side of a
    longer gap (and the track's first and last) held for `hold_frames` into it (the frames
    between detection frames; before the face's return after a gap, `return_hold_frames`,
    default the same: 0 for a tracker that searched every frame while the face was lost), none
    elsewhere.

    Interpolating between known positions (instead of predicting forward) is possible because
    the pipeline detects over the whole video before it crops; it never lags behind a moving head.
    """
    if track is None or not track.frames:
        return Placements(n_frames)
    frames, dets = track.frames, track.detections
    back = hold_frames if return_hold_frames is None else return_hold_frames
    out = Placements(n_frames, dets[0].row().size)
    for i in range(max(0, frames[0] - hold_frames), min(frames[0], n_frames)):
        out.set(i, dets[0], 1)
    for i in range(frames[-1] + 1, min(frames[-1] + 1 + hold_frames, n_frames)):
        out.set(i, dets[-1], 1)
    for k, (f, det) in enumerate(zip(frames, dets)):
        if 0 <= f < n_frames:
            out.set(f, det, 2)
        if k + 1 == len(frames):
            break
        g = frames[k + 1]
        stop = min(g, n_frames)
        if g - f > max_gap_frames + 1:  # a gap where the face was lost: held into it from both sides
            for i in range(f + 1, min(f + 1 + hold_frames, stop)):
                out.set(i, det, 1)
            for i in range(max(f + 1, g - back), stop):
                out.set(i, dets[k + 1], 1)
            continue
        if stop <= f + 1:
            continue
        a, b = det.row(), dets[k + 1].row()
        t = (np.arange(f + 1, stop) - f)[:, None] / float(g - f)
        out.rows[f + 1 : stop] = a + t * (b - a)
        out.confidence[f + 1 : stop] = min(det.confidence, dets[k + 1].confidence)
        out.state[f + 1 : stop] = 1
    return out


class ScheduledTracker(ABC):
    """Full-frame searches and cheap follows over a frame stream, linked into tracks.

    A search runs every `full_every` frames, and on every `detect_every`-th frame while no face is
    followed or a followed face was lost; otherwise each live track is followed (`_follow`).
    A face that was followed and lost is searched for on every `lost_every`-th frame (the
    landmark stage: every frame) until as many faces are found again as were followed, for at
    most `lost_search_frames`; then the schedule above goes on. Every search made while a face
    is missing or none is followed is `thorough` (the subclass may look harder then).
    Subclasses say how to search (`_search_and_add`) and follow.
    """

    def __init__(self, params: TrackParams | None, detect_every: int, full_every: int,
                 lost_every: int | None = None, lost_search_frames: int | None = None) -> None:
        self.builder = TrackBuilder(params)
        self.detect_every = max(1, detect_every)
        self.full_every = max(self.detect_every, full_every)
        self.lost_every = self.detect_every if lost_every is None else max(1, min(lost_every, self.detect_every))
        self.lost_search_frames = 5 * self.full_every if lost_search_frames is None else lost_search_frames
        self.most_faces = 0  # most faces found by one full-frame search
        self.frame_size = (0, 0)
        self._wanted = 0  # faces followed when one of them was lost
        self._lost_at: int | None = None  # where a face went missing (None: none is missing)

    def wants(self, position: int) -> bool:
        """Whether the frame at this position needs its pixels. The decoder asks ahead of
        `observe`, so the answer cannot depend on whether a face is lost just now: every frame
        a lost face could be searched on is decoded."""
        return position % self.lost_every == 0

    @property
    def lost(self) -> bool:
        """Whether a followed face is missing (and still searched for on every `lost_every`-th frame)."""
        return self._lost_at is not None

    def observe(self, position: int, image: np.ndarray) -> None:
        self.frame_size = (image.shape[1], image.shape[0])
        if position % self.detect_every != 0:
            if self.lost and position - self._lost_at <= self.lost_search_frames:  # type: ignore[operator]
                self._search(position, image, thorough=True)
            return
        live = self.builder.live(position)
        if live and position % self.full_every != 0:
            follows = [(track, self._follow(track, image)) for track in live]
            if all(det is not None for _, det in follows):
                for track, det in follows:
                    self.builder.extend(track, position, det)  # type: ignore[arg-type]
                if len(live) >= self._wanted:
                    self._wanted, self._lost_at = 0, None
                return
            self._wanted = max(self._wanted, len(live))  # a followed face was lost
        # a full search: scheduled, nothing followed, or a followed face was lost
        self._search(position, image, thorough=self.lost or not live or self._wanted > 0)

    def _search(self, position: int, image: np.ndarray, thorough: bool) -> None:
        self._search_and_add(position, image, thorough)
        found = sum(1 for t in self.builder.tracks if t.frames[-1] == position)
        if found >= self._wanted:
            self._wanted, self._lost_at = 0, None
        elif self._lost_at is None:
            self._lost_at = position

    def patient(self) -> Track | None:
        return self.builder.patient(self.frame_size)

    @abstractmethod
    def _follow(self, track: Track, image: np.ndarray) -> Detection | None:
        """The track's face in this frame, or None when it was lost."""

    @abstractmethod
    def _search_and_add(self, position: int, image: np.ndarray, thorough: bool) -> None:
        """A full search of the frame (`thorough` while a face is missing); its faces extend or
        start tracks."""
