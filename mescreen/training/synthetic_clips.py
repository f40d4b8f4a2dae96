"""Clips with a known answer, built from real frames of the shared videos, for checks of the
episode spotter and of the face stage under motion.

Why: the shared clips hold no long neutral or talking stretch, no brief expression in a calm
face and no fast head movement, and other real clips are not available here. These clips are
made from the shared clips' own frames, so the face stage and the models read real faces:

- a neutral stretch: the clip's neutral frames played forwards and backwards (`ping_pong`);
- a brief expression spliced into it (`spliced`): neutral, the clip's own expression onset, a
  short apex and the onset played backwards, neutral again; the labels give its exact ends;
- talking (`talking`): the neutral stretch with the jaw opened and closed at syllable rate by a
  warp anchored on the face mesh's lip and jaw landmarks (the mouth opening painted dark), the
  lips' AU25 / AU26 cycling without any other facial action;
- motion (`moving`): a camera pan, head roll and yaw (a perspective warp, the picture turned
  about a vertical axis through the face) at given angular speeds, with motion blur (each frame
  the mean of sub-frames over its exposure); `visible` says on which frames the face is in view.

Everything is written with OpenCV into a folder the caller names, never into the repository:
the frames are research data (the shared data's README).
"""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

#: Columns of a labels file (mescreen.training.face_reading.read_labels reads them).
LABEL_COLUMNS = ("clip", "start_s", "end_s", "expression", "aus", "confidence", "note")


@dataclass
class Clip:
    """Frames at a frame rate, with by-construction labels (start_s, end_s, expression, note)."""

    frames: list[np.ndarray]
    fps: float
    labels: list[tuple[float, float, str, str]] = field(default_factory=list)

    @property
    def duration_s(self) -> float:
        return len(self.frames) / self.fps

    def write(self, folder: Path, name: str) -> Path:
        """`<name>.avi` (MJPG, quality 95) and `<name>.labels.csv` beside it; returns the video."""
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{name}.avi"
        h, w = self.frames[0].shape[:2]
        writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), self.fps, (w, h))
        writer.set(cv2.VIDEOWRITER_PROP_QUALITY, 95)
        for frame in self.frames:
            writer.write(frame)
        writer.release()
        with open(folder / f"{name}.labels.csv", "w", newline="") as handle:
            out = csv.writer(handle)
            out.writerow(LABEL_COLUMNS)
            for start, end, expression, note in self.labels:
                out.writerow([path.name, f"{start:.3f}", f"{end:.3f}", expression, "", "constructed", note])
        return path


def read_frames(path: Path, start_s: float = 0.0, stop_s: float = math.inf) -> tuple[list[np.ndarray], float]:
    """The BGR frames of a video between two times, and its frame rate."""
    capture = cv2.VideoCapture(str(path))
    fps = capture.get(cv2.CAP_PROP_FPS) or 25.0
    frames, index = [], 0
    while True:
        ok, frame = capture.read()
        if not ok or index / fps > stop_s:
            break
        if index / fps >= start_s:
            frames.append(frame)
        index += 1
    capture.release()
    return frames, fps


#: The shared clip the spotting clips are made from, and its parts (frame numbers, read by eye
#: and from the face stage: neutral until 0.57 s, the smile's onset 0.60-0.70 s, lips apart after).
SOURCE = "single_face.mp4"
NEUTRAL_FRAMES = range(0, 17)
SMILE_ONSET_FRAMES = range(18, 22)
SMILE_APEX_FRAMES = range(22, 26)


@dataclass
class SourceFaces:
    """The source clip's frames, frame rate and its neutral frames' mesh landmarks."""

    frames: list[np.ndarray]
    fps: float
    landmarks: list[np.ndarray]

    @property
    def neutral(self) -> list[np.ndarray]:
        return [self.frames[i] for i in NEUTRAL_FRAMES]

    @classmethod
    def read(cls, videos_dir: Path) -> "SourceFaces":
        from mescreen.core.face.mesh import roi_from_detection
        from mescreen.core.face.mesh_track import MeshTracker

        frames, fps = read_frames(videos_dir / SOURCE)
        tracker = MeshTracker()
        landmarks = []
        for i in NEUTRAL_FRAMES:
            faces = tracker.detector.detect(frames[i])
            result = tracker.landmarks(frames[i], roi_from_detection(faces[0])) if faces else None
            if result is None:
                raise ValueError(f"no face mesh on frame {i} of {SOURCE}")
            landmarks.append(result.points)
        return cls(frames, fps, landmarks)

    def clips(self, seconds: float = 30.0) -> dict[str, Clip]:
        """The spotting checks' clips: a neutral stretch, talking, a spliced 0.4 s smile and a
        0.4 s brow flash (each brief expression with 3 s of neutral either side)."""
        neutral = self.neutral
        n = round(seconds * self.fps)
        return {
            "neutral": Clip(ping_pong(neutral, n), self.fps,
                            [(0.0, (n - 1) / self.fps, "neutral", "neutral frames played forwards and backwards")]),
            "talking": talking(neutral, self.landmarks, self.fps, seconds),
            "spliced_smile": spliced(neutral, [self.frames[i] for i in SMILE_ONSET_FRAMES],
                                     [self.frames[i] for i in SMILE_APEX_FRAMES], self.fps, 3.0, 3.0, "happiness"),
            "brow_flash": brow_flash(neutral, self.landmarks, self.fps, 3.0, 3.0),
        }


def ping_pong(frames: Sequence[np.ndarray], n: int) -> list[np.ndarray]:
    """n frames: the sequence forwards, backwards, forwards... (no frame twice at a turn)."""
    if len(frames) < 2:
        return [frames[0]] * n
    cycle = list(frames) + list(frames[-2:0:-1])
    return [cycle[i % len(cycle)] for i in range(n)]


def spliced(neutral: Sequence[np.ndarray], onset: Sequence[np.ndarray], apex: Sequence[np.ndarray], fps: float,
            before_s: float, after_s: float, expression: str) -> Clip:
    """Neutral (ping-pong) for `before_s`, then the onset frames, the apex frames, the onset
    frames backwards (the offset), then neutral for `after_s`. The expression's label runs from
    its first to its last frame."""
    n_before, n_after = round(before_s * fps), round(after_s * fps)
    calm = ping_pong(neutral, n_before + n_after)
    moving = list(onset) + list(apex) + list(onset)[::-1]
    frames = calm[:n_before] + moving + calm[n_before:]
    start, end = n_before / fps, (n_before + len(moving) - 1) / fps
    labels = [(0.0, start - 1.0 / fps, "neutral", "neutral frames played forwards and backwards"),
              (start, end, expression, f"spliced: {len(onset)} onset, {len(apex)} apex, {len(onset)} offset frames"),
              (end + 1.0 / fps, (len(frames) - 1) / fps, "neutral", "neutral frames played forwards and backwards")]
    return Clip(frames, fps, labels)


# --------------------------------------------------------------------------- talking


def syllable_openings(n: int, fps: float, rate_hz: float = 4.0, seed: int = 0) -> np.ndarray:
    """Jaw opening 0..1 per frame of speech: phrases of 1.5-3 s at `rate_hz` syllables a second,
    each syllable opening to a random 30-100% and closing (sin^2), with pauses of 0.4-1 s."""
    rng = np.random.default_rng(seed)
    out = np.zeros(n, np.float32)
    t = rng.uniform(0.2, 0.6)
    syllable = 1.0 / rate_hz
    while t < n / fps:
        phrase_end = t + rng.uniform(1.5, 3.0)
        while t < phrase_end:
            lo, hi = int(t * fps), int(min(n, (t + syllable) * fps))
            phase = (np.arange(lo, hi) / fps - t) / syllable
            out[lo:hi] = np.maximum(out[lo:hi], rng.uniform(0.3, 1.0) * np.sin(np.pi * phase) ** 2)
            t += syllable
        t += rng.uniform(0.4, 1.0)
    return out


#: Face-mesh points (MediaPipe numbering) the warps are anchored on.
_UPPER_INNER_LIP = (78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308)
_LOWER_INNER_LIP = (78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308)
_MOUTH_CORNERS, _CHIN, _EYE_CORNERS = (61, 291), 152, (33, 263)


def _face_axes(xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unit vectors along the eye line (image left to right) and down the face."""
    across = xy[_EYE_CORNERS[1]] - xy[_EYE_CORNERS[0]]
    across = across / np.linalg.norm(across)
    return across, np.array([-across[1], across[0]], np.float32)


def _displaced(image: np.ndarray, shift: np.ndarray, direction: np.ndarray) -> np.ndarray:
    """The frame with each pixel's content moved by shift (pixels, per pixel) along direction."""
    h, w = image.shape[:2]
    gy, gx = np.mgrid[0:h, 0:w].astype(np.float32)
    return cv2.remap(image, gx - shift * direction[0], gy - shift * direction[1], cv2.INTER_LINEAR,
                     borderMode=cv2.BORDER_REPLICATE)


def _face_coordinates(shape: tuple[int, ...], origin: np.ndarray, across: np.ndarray, down: np.ndarray
                      ) -> tuple[np.ndarray, np.ndarray]:
    """Every pixel's position along the eye line (v) and down the face (s) from `origin`."""
    gy, gx = np.mgrid[0:shape[0], 0:shape[1]].astype(np.float32)
    dx, dy = gx - origin[0], gy - origin[1]
    return dx * across[0] + dy * across[1], dx * down[0] + dy * down[1]


def open_jaw(image: np.ndarray, points: np.ndarray, opening: float) -> np.ndarray:
    """The frame with the jaw dropped by `opening` x 0.3 mouth widths: everything below the inner
    lips moves down (the lips part in a lens, the corners stay, fading out below the chin), and
    the gap is painted as the dark inside of a mouth."""
    if opening <= 0.0:
        return image
    xy = points[:, :2].astype(np.float32)
    across, down = _face_axes(xy)
    corners = xy[list(_MOUTH_CORNERS)]
    centre = corners.mean(0)
    half_width = float(np.linalg.norm(corners[1] - corners[0])) / 2.0
    drop = opening * 0.6 * half_width
    lip_line = float(((xy[13] + xy[14]) / 2.0 - centre) @ down)  # between the inner lips' middles
    chin = float((xy[_CHIN] - centre) @ down)
    v, s = _face_coordinates(image.shape, centre, across, down)
    ramp = np.clip((s - lip_line) / 3.0 + 0.5, 0.0, 1.0)
    side = np.clip(1.0 - (v / half_width) ** 2, 0.0, 1.0)
    below = np.clip(1.0 - (s - chin) / max(chin - lip_line, 1.0), 0.0, 1.0)
    warped = _displaced(image, drop * ramp * side * below, down)
    upper = xy[list(_UPPER_INNER_LIP)]
    lower = xy[list(_LOWER_INNER_LIP)]
    lower_side = np.clip(1.0 - (((lower - centre) @ across) / half_width) ** 2, 0.0, 1.0)
    lower = lower + (drop * lower_side)[:, None] * down
    mask = np.zeros(image.shape[:2], np.uint8)
    cv2.fillPoly(mask, [np.round(np.vstack([upper, lower[::-1]])).astype(np.int32)], 255)
    alpha = cv2.GaussianBlur(mask, (5, 5), 0).astype(np.float32)[:, :, None] / 255.0
    mouth = np.array([35, 25, 45], np.float32)  # BGR: the dark inside of a mouth
    return (warped * (1.0 - alpha) + mouth * alpha).astype(np.uint8)


_BROWS = (70, 63, 105, 66, 107, 300, 293, 334, 296, 336)
_UPPER_LIDS = (159, 386)


def raise_brows(image: np.ndarray, points: np.ndarray, amount: float) -> np.ndarray:
    """The frame with both brows raised by `amount` x 0.6 of the brow-to-lid gap (AU1+2, a brow
    flash): the brows move up, the skin between them and the upper lids stretches, the forehead
    above moves less the higher it is."""
    if amount <= 0.0:
        return image
    xy = points[:, :2].astype(np.float32)
    across, down = _face_axes(xy)
    origin = xy[list(_UPPER_LIDS)].mean(0)
    brows = xy[list(_BROWS)]
    brow = float(((brows - origin) @ down).mean())  # negative: above the lids
    half = float(np.abs((brows - origin) @ across).max())
    v, s = _face_coordinates(image.shape, origin, across, down)
    gap = -brow
    weight = np.where(s >= brow, np.clip(-s / gap, 0.0, 1.0), np.clip(1.0 - (brow - s) / (1.5 * gap), 0.0, 1.0))
    weight *= np.clip(1.0 - (np.abs(v) - half) / (0.3 * half), 0.0, 1.0)
    return _displaced(image, amount * 0.6 * gap * weight, -down)


def talking(neutral: Sequence[np.ndarray], landmarks: Sequence[np.ndarray], fps: float, seconds: float,
            seed: int = 0) -> Clip:
    """The neutral frames (ping-pong) with the jaw moved at syllable rate; labelled neutral
    throughout (talking is not an expression). `landmarks[i]` are frame i's mesh points."""
    n = round(seconds * fps)
    order = ping_pong(list(range(len(neutral))), n)
    openings = syllable_openings(n, fps, seed=seed)
    frames = [open_jaw(neutral[i], landmarks[i], float(a)) for i, a in zip(order, openings)]
    return Clip(frames, fps, [(0.0, (n - 1) / fps, "neutral", "talking: jaw moved at syllable rate")])


def brow_flash(neutral: Sequence[np.ndarray], landmarks: Sequence[np.ndarray], fps: float, before_s: float,
               after_s: float, onset_s: float = 0.1, apex_s: float = 0.2) -> Clip:
    """Neutral (ping-pong), then both brows raised over `onset_s`, held for `apex_s` and lowered
    over `onset_s` (a brow flash, AU1+2, the commonest brief expression in conversation), then
    neutral. Labelled "surprise" from the first to the last raised frame."""
    n_before, n_ramp, n_apex = round(before_s * fps), max(1, round(onset_s * fps)), round(apex_s * fps)
    ramp = np.arange(1, n_ramp + 1) / n_ramp
    envelope = np.concatenate([np.zeros(n_before), ramp, np.ones(n_apex), ramp[::-1], np.zeros(round(after_s * fps))])
    order = ping_pong(list(range(len(neutral))), len(envelope))
    frames = [raise_brows(neutral[i], landmarks[i], float(a)) for i, a in zip(order, envelope)]
    raised = np.flatnonzero(envelope > 0)
    start, end = raised[0] / fps, raised[-1] / fps
    labels = [(0.0, start - 1.0 / fps, "neutral", "neutral frames played forwards and backwards"),
              (start, end, "surprise", f"brow flash: brows raised over {onset_s} s, held {apex_s} s, lowered"),
              (end + 1.0 / fps, (len(frames) - 1) / fps, "neutral", "neutral frames played forwards and backwards")]
    return Clip(frames, fps, labels)


# --------------------------------------------------------------------------- motion


@dataclass(frozen=True)
class Motion:
    """A camera pan (degrees of view per second, swinging back and forth over +-`pan_deg`), head
    roll and yaw (each swinging over +-its amplitude at its speed, in degrees and degrees per
    second), and the exposure as a share of the frame interval (motion blur; 0: sharp).
    `fov_deg` is the camera's horizontal field of view (turns a pan angle into pixels)."""

    pan_speed: float = 0.0
    pan_deg: float = 10.0
    roll_speed: float = 0.0
    roll_deg: float = 0.0
    yaw_speed: float = 0.0
    yaw_deg: float = 0.0
    exposure: float = 0.0
    fov_deg: float = 60.0
    sub_frames: int = 5


def _triangle(t: float, amplitude: float, speed: float) -> float:
    """A swing between -amplitude and +amplitude at constant speed, starting at 0."""
    if amplitude <= 0 or speed <= 0:
        return 0.0
    period = 4.0 * amplitude / speed
    phase = (t / period) % 1.0
    return amplitude * (4 * phase if phase < 0.25 else 2 - 4 * phase if phase < 0.75 else 4 * phase - 4)


def motion_matrix(motion: Motion, t: float, size: tuple[int, int], centre: tuple[float, float],
                  face_side: float) -> np.ndarray:
    """3x3 homography of the frame at time t: yaw about a vertical axis through `centre` (the
    face seen as a picture turned in depth, at a distance of four face sides), roll about
    `centre`, then the pan as a shift of the whole view."""
    w, h = size
    cx, cy = centre
    yaw = math.radians(_triangle(t, motion.yaw_deg, motion.yaw_speed))
    distance = 4.0 * face_side
    src = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32)
    dst = []
    for x, y in src:
        dx, dy = x - cx, y - cy
        depth = distance + dx * math.sin(yaw)
        scale = distance / depth
        dst.append([cx + dx * math.cos(yaw) * scale, cy + dy * scale])
    turn = cv2.getPerspectiveTransform(src, np.array(dst, np.float32))
    roll = np.vstack([cv2.getRotationMatrix2D((cx, cy), _triangle(t, motion.roll_deg, motion.roll_speed), 1.0),
                      [0, 0, 1]])
    pixels_per_degree = w / motion.fov_deg
    shift = np.array([[1, 0, _triangle(t, motion.pan_deg, motion.pan_speed) * pixels_per_degree], [0, 1, 0],
                      [0, 0, 1]], np.float64)
    return shift @ roll @ turn


def moving(frames: Sequence[np.ndarray], fps: float, motion: Motion, faces: Sequence[tuple[float, float, float] | None],
           ) -> tuple[Clip, np.ndarray]:
    """The frames moved as `motion` says, blurred over their exposure; and per frame whether the
    face (`faces[i]` = its centre x, y and side in the source frame, None without a face) is in
    view: its centre inside the frame by half a face side. The warp turns about the clip's
    median face centre."""
    known = np.array([f for f in faces if f is not None], np.float64)
    h, w = frames[0].shape[:2]
    centre = (float(np.median(known[:, 0])), float(np.median(known[:, 1]))) if len(known) else (w / 2.0, h / 2.0)
    side = float(np.median(known[:, 2])) if len(known) else h / 3.0
    out, visible = [], np.zeros(len(frames), bool)
    steps = max(1, motion.sub_frames) if motion.exposure > 0 else 1
    for i, frame in enumerate(frames):
        acc = np.zeros(frame.shape, np.float32)
        for k in range(steps):
            t = (i + motion.exposure * (k / max(steps - 1, 1) - 0.5)) / fps if steps > 1 else i / fps
            acc += cv2.warpPerspective(frame, motion_matrix(motion, t, (w, h), centre, side), (w, h),
                                       borderMode=cv2.BORDER_REPLICATE)
        out.append((acc / steps).astype(np.uint8))
        if faces[i] is not None:
            x, y, s = faces[i]
            px, py, pw = cv2.perspectiveTransform(np.array([[[x, y]]], np.float64),
                                                  motion_matrix(motion, i / fps, (w, h), centre, side))[0, 0].tolist() + [s]
            margin = pw / 2.0
            visible[i] = margin <= px <= w - margin and margin <= py <= h - margin
    return Clip(out, fps), visible

