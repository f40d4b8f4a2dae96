"""The typed, JSON-serialisable result of analysing one recording (`SessionResult`).

Everything downstream (store, dashboard, reports, batch) consumes this one structure, so it is
kept plain: dataclasses of numbers, strings and numpy arrays, with an exact round trip through
`to_dict`/`from_dict` (arrays become lists with their dtype; NaN becomes null).
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Literal

import numpy as np

from mescreen.core.aus.activity import active_mask, readable, thresholds_or_default

EpisodeKind = Literal["micro", "macro"]
ScreeningLevel = Literal["none", "watch", "flag", "insufficient"]

#: Duration limit (onset to offset) below which an episode counts as a micro-expression.
MICRO_MAX_SECONDS = 0.5


@dataclass
class VideoInfo:
    """What the decoder reported about the input, and what was actually read."""

    file_name: str
    width: int
    height: int
    fps: float
    declared_frames: int
    frames_read: int
    duration_s: float
    codec: str = ""
    rotation: int = 0
    sha256: str = ""
    analysed_fps: float = 0.0


@dataclass
class FrameSeries:
    """Per-analysed-frame arrays, all of length n (one row per analysed frame).

    `au_prob` is (n, len(au_names)) person-normalised AU probabilities, NaN where no face;
    `au_thresholds` holds the AU model's decision threshold per AU (empty: unknown, for results
    made before they were recorded); "active" is answered by `au_active()` alone (see
    mescreen.core.aus.activity). `emotion_prob` is (n, len(emotion_names)), NaN where not computed;
    `emotion_recall` is the emotion model's recall per emotion on its test faces (empty: unknown),
    which decides how well each emotion is read (mescreen.core.emotion.recall).
    The optional face-geometry arrays (None when the face stage did not measure them) are:
    `head_pose` (n, 3) yaw/pitch/roll in degrees, `eye_aperture` (n, 2) right/left eye opening
    over eye width, `mouth_aperture` (n,) inner-lip distance over mouth width and
    `landmark_confidence` (n,) 0..1; all float32, NaN where no face.
    """

    frame_index: np.ndarray  # int32 (n,)
    time_s: np.ndarray  # float64 (n,)
    face_found: np.ndarray  # bool (n,)
    face_confidence: np.ndarray  # float32 (n,) 0..1: detector/track confidence
    face_size: np.ndarray  # float32 (n,) face box side in source pixels (0 when no face)
    blur: np.ndarray  # float32 (n,) variance of the Laplacian of the face crop (0 when no face)
    motion: np.ndarray  # float32 (n,) the spotting signal, NaN where no face
    au_names: list[str]
    au_prob: np.ndarray  # float32 (n, n_au)
    emotion_names: list[str]
    emotion_prob: np.ndarray  # float32 (n, n_emotion)
    au_thresholds: list[float] = field(default_factory=list)
    emotion_recall: dict[str, float] = field(default_factory=dict)
    head_pose: np.ndarray | None = None
    eye_aperture: np.ndarray | None = None
    mouth_aperture: np.ndarray | None = None
    landmark_confidence: np.ndarray | None = None

    _ARRAYS = (
        "frame_index", "time_s", "face_found", "face_confidence", "face_size", "blur",
        "motion", "au_prob", "emotion_prob",
    )
    OPTIONAL_ARRAYS = ("head_pose", "eye_aperture", "mouth_aperture", "landmark_confidence")

    def thresholds(self) -> np.ndarray:
        """(n_au,) the thresholds in force (the recorded ones, else the documented default)."""
        return thresholds_or_default(self.au_thresholds, len(self.au_names))

    def au_readable(self) -> np.ndarray:
        """(n_au,) bool: AUs the detector reads reliably; the others are shown as "not read"."""
        return readable(self.thresholds())

    def au_active(self) -> np.ndarray:
        """(n, n_au) bool: the one definition of an active AU (mescreen.core.aus.activity)."""
        return active_mask(self.au_prob, self.thresholds()) & self.face_found[:, None]

    def optional_arrays(self) -> dict[str, np.ndarray]:
        """The optional per-frame arrays this series has."""
        return {n: a for n in self.OPTIONAL_ARRAYS if (a := getattr(self, n)) is not None}

    def __len__(self) -> int:
        return int(self.frame_index.shape[0])

    @classmethod
    def empty(cls, au_names: list[str], emotion_names: list[str]) -> "FrameSeries":
        n_au, n_em = len(au_names), len(emotion_names)
        return cls(
            frame_index=np.zeros(0, np.int32), time_s=np.zeros(0, np.float64),
            face_found=np.zeros(0, bool), face_confidence=np.zeros(0, np.float32),
            face_size=np.zeros(0, np.float32), blur=np.zeros(0, np.float32),
            motion=np.zeros(0, np.float32), au_names=list(au_names),
            au_prob=np.zeros((0, n_au), np.float32), emotion_names=list(emotion_names),
            emotion_prob=np.zeros((0, n_em), np.float32),
        )

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "au_names": list(self.au_names), "emotion_names": list(self.emotion_names),
            "au_thresholds": [float(t) for t in self.au_thresholds],
            "emotion_recall": {e: float(r) for e, r in self.emotion_recall.items()},
        }
        for name in self._ARRAYS:
            out[name] = _array_to_json(getattr(self, name))
        for name, arr in self.optional_arrays().items():
            out[name] = _array_to_json(arr)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "FrameSeries":
        arrays = {name: _array_from_json(data[name]) for name in cls._ARRAYS}
        optional = {name: _array_from_json(data[name]) for name in cls.OPTIONAL_ARRAYS if data.get(name)}
        return cls(au_names=list(data["au_names"]), emotion_names=list(data["emotion_names"]),
                   au_thresholds=[float(t) for t in data.get("au_thresholds", [])],
                   emotion_recall={e: float(r) for e, r in (data.get("emotion_recall") or {}).items()},
                   **arrays, **optional)

    def equals(self, other: "FrameSeries") -> bool:
        """Exact equality, NaN equal to NaN (for round-trip tests)."""
        if (self.au_names, self.emotion_names, list(self.au_thresholds), self.emotion_recall) != (
            other.au_names, other.emotion_names, list(other.au_thresholds), other.emotion_recall
        ):
            return False
        mine, theirs = self.optional_arrays(), other.optional_arrays()
        if mine.keys() != theirs.keys() or not all(_arrays_equal(mine[n], theirs[n]) for n in mine):
            return False
        return all(_arrays_equal(getattr(self, n), getattr(other, n)) for n in self._ARRAYS)


@dataclass
class Episode:
    """One facial movement episode found by the spotter, with what the later stages said of it."""

    onset_frame: int
    apex_frame: int
    offset_frame: int
    onset_s: float
    apex_s: float
    offset_s: float
    kind: EpisodeKind
    score: float  # peak of the signal that raised it: emotion or AU probability (imported AUs: robust z of the movement)
    au_prob: dict[str, float] = field(default_factory=dict)  # AU probabilities at the apex
    active_aus: list[str] = field(default_factory=list)  # AUs over their decision threshold
    emotion3_prob: dict[str, float] = field(default_factory=dict)  # CNN: negative/positive/surprise
    emotion: str = ""  # fine emotion label (happiness, disgust, ..., or "" if undetermined)
    emotion_prob: dict[str, float] = field(default_factory=dict)  # fine emotion probabilities
    cluster: str = ""  # reference ME cluster, e.g. "Disgust_ME2" ("" if unassigned)
    cluster_aus: list[str] = field(default_factory=list)  # that cluster's characteristic AUs
    confidence: float | None = None  # 0..1 confidence in `emotion` (None: not estimated)
    # Face-mesh landmarks at onset and apex, {"onset": [[x, y], ...], "apex": [...]}, in 0..1
    # coordinates of the aligned face crop: de-identified evidence (features, not faces).
    landmarks: dict[str, list[list[float]]] = field(default_factory=dict)

    @property
    def duration_s(self) -> float:
        return self.offset_s - self.onset_s

    @staticmethod
    def kind_for(duration_s: float) -> EpisodeKind:
        return "micro" if duration_s <= MICRO_MAX_SECONDS else "macro"


@dataclass
class ClusterInfo:
    """One cluster of an emotion's AU combinations (reference or this patient's own)."""

    name: str  # e.g. "Disgust_ME2"
    emotion: str
    aus: list[str]  # characteristic combination: AUs active in most members
    size: int


@dataclass
class SilhouetteCurve:
    """Average silhouette s(k) for each k tried, for one emotion (the paper's Figure 5)."""

    emotion: str
    k: list[int]
    silhouette: list[float]
    chosen_k: int


@dataclass
class SessionClusters:
    """The session's cluster distribution against the reference model, and its own clustering."""

    reference_version: str = ""
    counts: dict[str, int] = field(default_factory=dict)  # reference cluster name -> episodes
    reference_clusters: list[ClusterInfo] = field(default_factory=list)
    own_clusters: list[ClusterInfo] = field(default_factory=list)  # empty when too few episodes
    own_silhouette: list[SilhouetteCurve] = field(default_factory=list)
    note: str = ""


@dataclass
class Indicator:
    """One screening indicator with the evidence behind it."""

    key: str  # stable identifier, e.g. "negative_share"
    label: str  # what a clinician reads
    value: float | None  # None when it cannot be computed
    threshold: float | None = None
    raised: bool = False
    evidence: str = ""  # numbers behind the value, in words
    reference: str = ""  # literature the rule comes from
    low: float | None = None  # 95% interval of the value, where one is defined
    high: float | None = None


@dataclass
class Screening:
    """Indicators combined into a level; never diagnostic wording."""

    level: ScreeningLevel
    reasons: list[str]
    indicators: list[Indicator]
    config_version: str
    intended_use: str
    longitudinal: list[Indicator] = field(default_factory=list)  # change vs earlier sessions


@dataclass
class SessionResult:
    """Everything the pipeline produced for one recording."""

    video: VideoInfo
    series: FrameSeries
    episodes: list[Episode]
    clusters: SessionClusters
    screening: Screening
    versions: dict[str, str]  # pipeline and every model used
    options: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    created_at: str = ""  # ISO 8601, UTC

    def to_dict(self) -> dict[str, Any]:
        out = {f.name: to_plain(getattr(self, f.name)) for f in fields(self) if f.name != "series"}
        out["series"] = self.series.to_dict()
        return out

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), allow_nan=False)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "SessionResult":
        clusters = dict(data["clusters"])
        clusters["reference_clusters"] = [ClusterInfo(**c) for c in clusters.get("reference_clusters", [])]
        clusters["own_clusters"] = [ClusterInfo(**c) for c in clusters.get("own_clusters", [])]
        clusters["own_silhouette"] = [SilhouetteCurve(**c) for c in clusters.get("own_silhouette", [])]
        screening = dict(data["screening"])
        screening["indicators"] = [Indicator(**i) for i in screening.get("indicators", [])]
        screening["longitudinal"] = [Indicator(**i) for i in screening.get("longitudinal", [])]
        return cls(
            video=VideoInfo(**data["video"]),
            series=FrameSeries.from_dict(data["series"]),
            episodes=[Episode(**e) for e in data["episodes"]],
            clusters=SessionClusters(**clusters),
            screening=Screening(**screening),
            versions=dict(data["versions"]),
            options=dict(data.get("options", {})),
            warnings=list(data.get("warnings", [])),
            created_at=data.get("created_at", ""),
        )

    @classmethod
    def from_json(cls, text: str) -> "SessionResult":
        return cls.from_dict(json.loads(text))

    def equals(self, other: "SessionResult") -> bool:
        """Exact equality including arrays (NaN equal to NaN): the store's round-trip check."""
        if not self.series.equals(other.series):
            return False
        mine, theirs = self.to_dict(), other.to_dict()
        mine.pop("series")
        theirs.pop("series")
        return mine == theirs


def to_plain(value: Any) -> Any:
    """Dataclasses, numpy scalars and non-finite floats made JSON-safe."""
    if hasattr(value, "__dataclass_fields__"):
        return {k: to_plain(v) for k, v in asdict(value).items()}
    if isinstance(value, dict):
        return {str(k): to_plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_plain(v) for v in value]
    if isinstance(value, np.generic):
        return to_plain(value.item())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _array_to_json(arr: np.ndarray) -> dict[str, Any]:
    data = arr.tolist()
    if arr.dtype.kind == "f":
        data = _nan_to_none(data)
    return {"dtype": arr.dtype.str, "shape": list(arr.shape), "data": data}


def _array_from_json(obj: dict[str, Any]) -> np.ndarray:
    dtype = np.dtype(obj["dtype"])
    data = obj["data"]
    if dtype.kind == "f":
        data = _none_to_nan(data)
    return np.asarray(data, dtype=dtype).reshape(obj["shape"])


def _nan_to_none(data: Any) -> Any:
    if isinstance(data, list):
        return [_nan_to_none(v) for v in data]
    return None if isinstance(data, float) and not math.isfinite(data) else data


def _none_to_nan(data: Any) -> Any:
    if isinstance(data, list):
        return [_none_to_nan(v) for v in data]
    return math.nan if data is None else data


def _arrays_equal(a: np.ndarray, b: np.ndarray) -> bool:
    if a.dtype != b.dtype or a.shape != b.shape:
        return False
    if a.dtype.kind == "f":
        return bool(np.array_equal(a, b, equal_nan=True))
    return bool(np.array_equal(a, b))
