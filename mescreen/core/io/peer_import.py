"""Per-frame output of other face-analysis tools (OpenFace 2, py-feat) as a mescreen FrameSeries,
and the later mescreen stages (spotting, emotion, ME clusters, screening) run on it.

This lets researchers who already ran those tools use the dashboard without re-analysing video.
What each tool gives and how it is mapped:

- OpenFace 2 (`FeatureExtraction`): `frame, timestamp, confidence, success`, `AUxx_r` intensities
  (0-5) and `AUxx_c` presence (0/1). AU probability = `AUxx_c` (presence is OpenFace's own
  decision); the spotting signal is built from the `AUxx_r` intensities divided by 5. Header
  names may carry a leading space (OpenFace writes ", "), which is ignored.
- py-feat (Fex CSV): `frame`, optionally `approx_time`/`timestamp`, `FaceScore`, `FaceRect*`,
  `AUxx` probabilities (0-1) and emotion probabilities (anger, disgust, fear, happiness, sadness,
  surprise, neutral). AU probability = `AUxx`; emotions are used as given (py-feat has no contempt).

AUs mescreen reads that a tool does not output stay NaN. Frames the tool marks as failed (OpenFace
`success` 0, py-feat rows without a face) count as no-face frames. Malformed files raise
`InputError` saying what is wrong, never a pandas traceback.

Timing (the one owner of the check, for the dashboard and the command line): a file's time column
is used only when it is plausible for a face recording (between `PLAUSIBLE_FPS` frames per second,
time moving on from frame to frame); otherwise `TimingError` says what is wrong in plain words and
asks for the frame rate (the OpenFace sample has 1-ms steps: 100 frames in 0.1 s). A frame rate
given by the user defines the times from the frame numbers; a file without a time column is read
at `DEFAULT_FPS`, and the summary says so. Frames, duration and frame rate come from one place
(`PeerFrames.fps`, `.duration_s`, `describe()`) and the stored VideoInfo copies them.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any, Literal, Sequence

import numpy as np
import pandas as pd

from mescreen.core.errors import InputError
from mescreen.core.labels import AU_NAMES, EMOTIONS_FINE
from mescreen.core.io.openface_csv import au_from_openface_column
from mescreen.core.progress import Progress, ProgressCallback, report
from mescreen.core.result import Episode, FrameSeries, Screening, SessionResult, VideoInfo

PeerTool = Literal["openface", "pyfeat"]
TOOL_NAMES = {"openface": "OpenFace 2", "pyfeat": "py-feat"}
#: Used when a py-feat file has no time column (it was made from images or the rate was lost).
DEFAULT_FPS = 30.0
#: Frame rates a face recording can have (frames per second): below, not a video; above, not a
#: camera a clinic uses (high-speed micro-expression cameras record at 200).
PLAUSIBLE_FPS = (1.0, 240.0)
TimingSource = Literal["file", "given", "assumed"]
_TIMING_WORDS = {"file": "from the file's time column", "given": "as given",
                 "assumed": "assumed: the file has no time column"}
#: Presence threshold on the tools' AU values scaled 0..1, recorded as the series' AU thresholds.
ACTIVE_THRESHOLD = 0.5
IMPORT_VERSION = "1.0.0"

_PYFEAT_AU = re.compile(r"^AU(\d{1,2})$")


@dataclass
class PeerFrames:
    """An imported per-frame file: the series, the spotting features, and where it came from."""

    tool: PeerTool
    file_name: str
    fps: float
    series: FrameSeries
    features: np.ndarray  # (n, len(aus_present)) AU intensities scaled 0..1, NaN rows where no face
    aus_present: list[str]  # mescreen AUs the tool provided
    timing: TimingSource = "file"

    @property
    def duration_s(self) -> float:
        """From the first frame's start to the last frame's end: the frames the file spans over
        the frame rate (with times from the file, the same as its last time minus its first plus
        one frame)."""
        index = self.series.frame_index
        return float(index[-1] - index[0] + 1) / self.fps if len(index) else 0.0

    def describe(self) -> str:
        """The file in one line, the same figures wherever it is shown."""
        n = len(self.series)
        return (f"{self.file_name}: {TOOL_NAMES[self.tool]} file, {n} frame{'s' if n != 1 else ''}, "
                f"{self.duration_s:.1f} s at {self.fps:.4g} frames per second ({_TIMING_WORDS[self.timing]})")


class TimingError(InputError):
    """The file's times cannot be those of a face recording; the frame rate must be given."""


def _read_table(source: str | Path | IO[bytes] | IO[str] | bytes, name: str) -> pd.DataFrame:
    if isinstance(source, bytes):
        source = io.BytesIO(source)
    try:
        frame = pd.read_csv(source, skipinitialspace=True, low_memory=False)
    except pd.errors.EmptyDataError:
        raise InputError(f"{name}: the file is empty.") from None
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        raise InputError(f"{name}: not a readable CSV file ({str(exc).splitlines()[0]}).") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    if frame.empty:
        raise InputError(f"{name}: the CSV has a header but no rows.")
    return frame


def detect_tool(columns: Sequence[str]) -> PeerTool:
    """Which tool wrote a CSV, from its columns."""
    cols = set(columns)
    if "success" in cols and any(au_from_openface_column(c) for c in cols):
        return "openface"
    if any(_PYFEAT_AU.match(c) for c in cols) and ("FaceScore" in cols or "input" in cols):
        return "pyfeat"
    raise InputError(
        "not an OpenFace 2 or py-feat per-frame CSV: expected OpenFace's frame, timestamp, success and "
        "AUxx_r/AUxx_c columns, or py-feat's frame, FaceScore and AUxx columns."
    )


def _number(frame: pd.DataFrame, column: str, name: str) -> np.ndarray:
    values = pd.to_numeric(frame[column], errors="coerce").to_numpy(float)
    if np.isnan(values).all():
        raise InputError(f"{name}: column {column!r} has no numbers.")
    return values


def _au_columns(columns: Sequence[str], suffix: str | None) -> dict[str, str]:
    """mescreen AU name -> the tool's column: OpenFace "AU01_r"/"AU01_c" (suffix "r"/"c"), or
    py-feat "AU01" (suffix None)."""
    out = {}
    for column in columns:
        if suffix is None:
            match = _PYFEAT_AU.match(column)
            au = f"AU{int(match.group(1))}" if match else None
        else:
            parsed = au_from_openface_column(column)
            au = parsed[0] if parsed and parsed[1] == suffix else None
        if au in AU_NAMES:
            out[au] = column
    return out


def _matrix(frame: pd.DataFrame, mapping: dict[str, str], name: str, scale: float = 1.0) -> np.ndarray:
    out = np.full((len(frame), len(AU_NAMES)), np.nan, np.float32)
    for au, column in mapping.items():
        out[:, AU_NAMES.index(au)] = np.clip(_number(frame, column, name) / scale, 0.0, 1.0)
    return out


def timing_problem(time_s: np.ndarray, frame_index: np.ndarray) -> str | None:
    """What is implausible about a file's times, in plain words (None when they are plausible)."""
    n = len(time_s)
    if n < 2:
        return None
    span_s, span_frames = float(time_s[-1] - time_s[0]), int(frame_index[-1] - frame_index[0])
    if span_s <= 0:
        return f"the time column stays at {time_s[0]:g} s over all {n} frames"
    if np.any(np.diff(time_s) <= 0):
        return "the time column repeats the same time for consecutive frames"
    fps = span_frames / span_s
    low, high = PLAUSIBLE_FPS
    if not low <= fps <= high:
        return (f"the time column puts {n} frames in {span_s:.3g} s, {fps:.4g} frames per second, but face "
                f"recordings have {low:g} to {high:g} frames per second, so these times cannot be right")
    return None


def _times(frame: pd.DataFrame, columns: Sequence[str], frame_index: np.ndarray, name: str,
           fps: float | None) -> tuple[np.ndarray, float, TimingSource]:
    """Times in seconds, the frame rate and where it came from (see the module docstring)."""
    if fps is not None:
        low, high = PLAUSIBLE_FPS
        if not low <= fps <= high:
            raise InputError(f"a frame rate of {fps:g} frames per second is not one a face recording has "
                             f"({low:g} to {high:g}).")
        return (frame_index - frame_index[0]) / fps, float(fps), "given"
    for column in columns:
        if column in frame.columns:
            times = _number(frame, column, name)
            if np.isnan(times).any() or np.any(np.diff(times) < 0):
                raise InputError(f"{name}: column {column!r} has missing or decreasing times.")
            problem = timing_problem(times, frame_index)
            if problem:
                raise TimingError(f"{name}: {problem}. Give the recording's frame rate: the times are then "
                                  "computed from the frame numbers.")
            if len(times) < 2:
                break
            return times, float(frame_index[-1] - frame_index[0]) / float(times[-1] - times[0]), "file"
    return (frame_index - frame_index[0]) / DEFAULT_FPS, DEFAULT_FPS, "assumed"


def _frame_index(frame: pd.DataFrame, name: str) -> np.ndarray:
    if "frame" not in frame.columns:
        raise InputError(f"{name}: no 'frame' column.")
    index = _number(frame, "frame", name)
    if np.isnan(index).any():
        raise InputError(f"{name}: the 'frame' column has empty or non-numeric values.")
    return index.astype(np.int32)


def read_peer_csv(source: str | Path | IO[bytes] | IO[str] | bytes, *, name: str | None = None,
                  fps: float | None = None) -> PeerFrames:
    """Read an OpenFace 2 or py-feat per-frame CSV (tool detected from its columns). `fps`, when
    given, defines the times from the frame numbers; TimingError when it is not given and the
    file's own times are implausible."""
    name = name or (Path(source).name if isinstance(source, (str, Path)) else "upload.csv")
    frame = _read_table(source, name)
    tool = detect_tool(frame.columns)
    frame_index = _frame_index(frame, name)
    n = len(frame)
    if tool == "openface":
        success = _number(frame, "success", name) > 0.5
        confidence = np.clip(np.nan_to_num(_number(frame, "confidence", name)), 0, 1) if "confidence" in frame else success.astype(float)
        time_s, rate, timing = _times(frame, ["timestamp"], frame_index, name, fps)
        presence = _au_columns(frame.columns, "c")
        intensity = _au_columns(frame.columns, "r")
        if not presence and not intensity:
            raise InputError(f"{name}: no AU columns mescreen reads ({', '.join(AU_NAMES)}).")
        au_prob = _matrix(frame, presence, name)
        for au in set(intensity) - set(presence):  # intensity-only AU: present when above 1 (A level)
            au_prob[:, AU_NAMES.index(au)] = (_number(frame, intensity[au], name) >= 1.0).astype(np.float32)
        features = _matrix(frame, intensity or presence, name, scale=5.0 if intensity else 1.0)
        present = sorted(set(presence) | set(intensity), key=AU_NAMES.index)
        size = _landmark_size(frame)
        emotion_prob = np.full((n, len(EMOTIONS_FINE)), np.nan, np.float32)
    else:
        au_cols = _au_columns(frame.columns, None)
        if not au_cols:
            raise InputError(f"{name}: no AU columns mescreen reads ({', '.join(AU_NAMES)}).")
        au_prob = _matrix(frame, au_cols, name)
        score = pd.to_numeric(frame["FaceScore"], errors="coerce").to_numpy(float) if "FaceScore" in frame else None
        success = np.isfinite(au_prob[:, [AU_NAMES.index(a) for a in au_cols]]).all(axis=1)
        if score is not None:
            success &= np.isfinite(score)
        confidence = np.clip(np.nan_to_num(score), 0, 1) if score is not None else success.astype(float)
        time_s, rate, timing = _times(frame, ["approx_time", "timestamp", "time"], frame_index, name, fps)
        features = au_prob.copy()
        present = sorted(au_cols, key=AU_NAMES.index)
        size = np.fmax(pd.to_numeric(frame.get("FaceRectWidth"), errors="coerce").to_numpy(float),
                       pd.to_numeric(frame.get("FaceRectHeight"), errors="coerce").to_numpy(float)) \
            if "FaceRectWidth" in frame and "FaceRectHeight" in frame else np.zeros(n)
        emotion_prob = np.full((n, len(EMOTIONS_FINE)), np.nan, np.float32)
        for j, emotion in enumerate(EMOTIONS_FINE):
            if emotion in frame.columns:
                emotion_prob[:, j] = pd.to_numeric(frame[emotion], errors="coerce").to_numpy(float)
    if not success.any():
        raise InputError(f"{name}: the tool found no face in any of its {n} frames.")
    # The spotter treats a row with any NaN as "no face", so only the AUs the tool gave are features.
    features = features[:, [AU_NAMES.index(a) for a in present]]
    au_prob[~success] = np.nan
    features[~success] = np.nan
    emotion_prob[~success] = np.nan
    series = FrameSeries(
        frame_index=frame_index, time_s=np.asarray(time_s, np.float64), face_found=success,
        face_confidence=np.where(success, confidence, 0.0).astype(np.float32),
        face_size=np.where(success, np.nan_to_num(size), 0.0).astype(np.float32),
        blur=np.zeros(n, np.float32),  # the tools do not report sharpness
        motion=np.full(n, np.nan, np.float32), au_names=list(AU_NAMES), au_prob=au_prob,
        emotion_names=list(EMOTIONS_FINE), emotion_prob=emotion_prob,
        au_thresholds=[ACTIVE_THRESHOLD] * len(AU_NAMES),
    )
    return PeerFrames(tool, name, rate, series, features, present, timing)


def _landmark_size(frame: pd.DataFrame) -> np.ndarray:
    """Face size in pixels from OpenFace's 2-D landmarks (x_0..x_67, y_0..y_67), 0 if absent."""
    xs = [c for c in frame.columns if re.fullmatch(r"x_\d+", c)]
    ys = [c for c in frame.columns if re.fullmatch(r"y_\d+", c)]
    if not xs or not ys:
        return np.zeros(len(frame))
    x = frame[xs].apply(pd.to_numeric, errors="coerce").to_numpy(float)
    y = frame[ys].apply(pd.to_numeric, errors="coerce").to_numpy(float)
    with np.errstate(invalid="ignore"):
        return np.fmax(np.nanmax(x, 1) - np.nanmin(x, 1), np.nanmax(y, 1) - np.nanmin(y, 1))


def _episode_emotion(peer: PeerFrames, episode: Episode, mapper: Any) -> dict[str, float]:
    """py-feat's own emotion probabilities at the apex when it has them; otherwise the AU->emotion
    mapper applied to the apex's active AUs (OpenFace gives no emotions)."""
    apex = int(np.searchsorted(peer.series.frame_index, episode.apex_frame))
    row = peer.series.emotion_prob[apex]
    if np.isfinite(row).any():
        probs = {e: float(v) for e, v in zip(EMOTIONS_FINE, row) if np.isfinite(v)}
        total = sum(probs.values())
        return {e: v / total for e, v in probs.items()} if total > 0 else {}
    return {e: float(v) for e, v in mapper.predict_proba(episode.active_aus).items()}


def analyze_peer(peer: PeerFrames, *, mapper: Any = None, clusters: Any = None,
                 previous: Sequence[Screening] = (), models_dir: Path | None = None,
                 progress: ProgressCallback | None = None) -> SessionResult:
    """Spotting, emotion, ME clusters and screening on an imported series. `mapper` and `clusters`
    default to the shipped AU->emotion mapper and reference clusters (ModelMissingError if absent).
    `progress` is told each stage and may return False to cancel (Cancelled)."""
    from mescreen.core.pipeline import cluster_and_screen, set_apex_aus, settle_emotion
    from mescreen.core.episodes.spotting import Spotter
    from mescreen.core.episodes.clusters import ReferenceClusters

    if clusters is None:
        clusters = ReferenceClusters.load(models_dir)
    if mapper is None and peer.tool == "openface":
        from mescreen.core.emotion.au_mapping import AUEmotionMapper

        mapper = AUEmotionMapper.load(models_dir)
    series = peer.series
    report(progress, Progress("spotting", 0, 1))
    spot = Spotter().spot(peer.features, series.time_s, series.frame_index, peer.fps)
    series.motion = spot.signal
    report(progress, Progress("spotting", 1, 1))
    positions = {int(f): i for i, f in enumerate(series.frame_index)}
    thresholds = series.thresholds()
    report(progress, Progress("emotion", 0, 1))  # a step, not frames: the panel counts frames only above 1
    for ep in spot.episodes:
        set_apex_aus(ep, series.au_prob[positions[ep.apex_frame]], series.au_names, thresholds)
        ep.emotion_prob = _episode_emotion(peer, ep, mapper)
        settle_emotion(ep, clusters)
        if peer.tool == "openface":  # show the mapper's reading over the episode, as the pipeline does
            window = slice(positions[ep.onset_frame], positions[ep.offset_frame] + 1)
            series.emotion_prob[window] = [ep.emotion_prob.get(e, 0.0) for e in EMOTIONS_FINE]
    session_clusters, screening = cluster_and_screen(series, spot.episodes, clusters, previous, progress)
    n = len(series)
    missing = [a for a in AU_NAMES if a not in peer.aus_present]
    warnings = [f"Imported from {TOOL_NAMES[peer.tool]} output: the AUs and face detection are that "
                f"tool's, not mescreen's. {peer.describe()}."]
    if missing:
        warnings.append(f"{TOOL_NAMES[peer.tool]} gives no values for {', '.join(missing)}.")
    versions = {"import": f"peer_import {IMPORT_VERSION} ({TOOL_NAMES[peer.tool]})", "clusters": clusters.version,
                "screening_config": screening.config_version}
    if mapper is not None and hasattr(mapper, "version"):
        versions["au_emotion"] = mapper.version
    video = VideoInfo(file_name=peer.file_name, width=0, height=0, fps=peer.fps, declared_frames=n,
                      frames_read=n, duration_s=peer.duration_s, codec=f"csv ({TOOL_NAMES[peer.tool]})",
                      analysed_fps=peer.fps)
    return SessionResult(
        video=video, series=series, episodes=spot.episodes, clusters=session_clusters, screening=screening,
        versions=versions, options={"source": peer.tool}, warnings=warnings,
        created_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
    )
