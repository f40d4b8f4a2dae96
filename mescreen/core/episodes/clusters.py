"""ME sub-division: each emotion's AU combinations split into clusters by K-means (paper's Table 10).

Sharma et al. (BDCC 2024, 8(7), 78, Sec. 3.4) cluster the binary AU vectors of each emotion with
K-means and choose k by the average silhouette s(k) = mean over samples of (b - a) / max(a, b),
where a is a sample's mean distance to its own cluster and b to the nearest other cluster
(Rousseeuw 1987). This module does the same with a fixed random_state so the clusters, and the
names derived from them, are reproducible.

Naming rule (K-means numbering is arbitrary, so it is replaced by a deterministic order): an
emotion's clusters are sorted by size (largest first), then by their characteristic AU
combination in `au_order` order, then by centroid; the i-th is `<Emotion>_ME<i>`. A cluster's
characteristic combination is the set of AUs active in more than half of its members (if no AU
reaches half, the AUs with the highest share). Where that combination equals one the paper's
Table 10 gives (`TABLE10_KNOWN`), the paper's name is recorded beside ours (`paper_name`).
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from mescreen.core import datapaths
from mescreen.core.errors import InputError, ModelMissingError
from mescreen.core.labels import AU_NAMES, EMOTIONS_FINE
from mescreen.core.result import ClusterInfo, Episode, SessionClusters, SilhouetteCurve

#: File of the reference model in models/, and the command that rebuilds it.
REFERENCE_FILE = "me_clusters_reference.json"
REBUILD_COMMAND = "mescreen train clusters"
FORMAT = "mescreen.me_clusters/1"

#: Table 10 combinations whose AU sets are known to us (quoted in the project's issue; the full
#: table text was not available, see docs/table10_comparison.md). Name -> characteristic AUs.
TABLE10_KNOWN: dict[str, tuple[str, ...]] = {
    "Happiness_ME1": ("AU7", "AU12"),
    "Disgust_ME2": ("AU4", "AU9"),
}

#: Episodes needed before a session's (or a patient's) own episodes are clustered: with fewer,
#: an emotion rarely has the 3 distinct AU combinations a silhouette needs, and clusters of a
#: handful of episodes would read as patterns they are not.
MIN_OWN_EPISODES = 12


def emotion_title(emotion: str) -> str:
    """'disgust' -> 'Disgust' (the paper's cluster names are capitalised)."""
    return emotion[:1].upper() + emotion[1:]


@dataclass
class _Cluster:
    """One fitted cluster as stored in the model file."""

    name: str
    emotion: str
    aus: list[str]
    size: int
    centroid: list[float]
    au_share: dict[str, float]  # share of members with each AU (AUs present in any member)
    members: list[str] = field(default_factory=list)
    paper_name: str = ""

    def info(self) -> ClusterInfo:
        return ClusterInfo(name=self.name, emotion=self.emotion, aus=list(self.aus), size=self.size)


class MESubdivider:
    """Per-emotion K-means over binary AU vectors, k chosen by the average silhouette.

    k is tried over `k_min..k_max`, capped for each emotion at its number of distinct AU
    combinations and at n - 1 samples (the silhouette is undefined beyond). An emotion with
    fewer than 3 samples or fewer than 2 distinct combinations becomes a single cluster with an
    empty silhouette curve. Rows without any AU of `au_order` are left out: they say nothing
    about which AUs combine.
    """

    def __init__(
        self,
        k_min: int = 2,
        k_max: int = 8,
        random_state: int = 0,
        n_init: int = 10,
        name_tag: str = "ME",
        au_names: Sequence[str] | None = None,
    ) -> None:
        if k_min < 2 or k_max < k_min:
            raise ValueError("need 2 <= k_min <= k_max (the silhouette needs at least 2 clusters)")
        self.k_min = k_min
        self.k_max = k_max
        self.random_state = random_state
        self.n_init = n_init
        self.name_tag = name_tag
        self.au_names = list(au_names) if au_names is not None else None

    # ----------------------------------------------------------------------------- fitting
    def fit(
        self,
        X_au: np.ndarray,
        emotions: Sequence[str],
        sample_ids: Sequence[str] | None = None,
    ) -> "MESubdivider":
        """Cluster each emotion's rows of the binary matrix X_au (columns in `au_order_`)."""
        X = np.asarray(X_au, dtype=float)
        self.au_order_ = list(self.au_names) if self.au_names is not None else list(AU_NAMES)
        if X.ndim != 2 or X.shape[1] != len(self.au_order_):
            raise InputError(f"AU matrix must have {len(self.au_order_)} columns (one per AU), got shape {X.shape}")
        emotions = [str(e) for e in emotions]
        if len(emotions) != X.shape[0]:
            raise InputError("one emotion label is needed per AU row")
        ids = list(sample_ids) if sample_ids is not None else [str(i) for i in range(X.shape[0])]
        self.clusters_: list[_Cluster] = []
        self.silhouette_: list[SilhouetteCurve] = []
        self.labels_ = np.full(X.shape[0], "", dtype=object)
        has_au = X.sum(axis=1) > 0
        for emotion in _ordered_emotions(emotions):
            rows = np.flatnonzero((np.asarray(emotions) == emotion) & has_au)
            if rows.size == 0:
                continue
            clusters, curve, labels = self._fit_emotion(X[rows], emotion, [ids[i] for i in rows])
            self.clusters_.extend(clusters)
            self.silhouette_.append(curve)
            self.labels_[rows] = labels
        return self

    def _fit_emotion(
        self, X: np.ndarray, emotion: str, ids: list[str]
    ) -> tuple[list[_Cluster], SilhouetteCurve, np.ndarray]:
        from sklearn.cluster import KMeans
        from sklearn.metrics import silhouette_score
        from threadpoolctl import threadpool_limits

        n_distinct = np.unique(X, axis=0).shape[0]
        k_hi = min(self.k_max, n_distinct, X.shape[0] - 1)
        ks = list(range(self.k_min, k_hi + 1))
        scores: list[float] = []
        fits: list[np.ndarray] = []
        # One thread: binary AU rows tie exactly in distance, and how threads split the sums decided
        # those ties, so the clusters differed between machines with different core counts.
        with threadpool_limits(limits=1):
            for k in ks:
                km = KMeans(n_clusters=k, n_init=self.n_init, random_state=self.random_state).fit(X)
                fits.append(km.labels_)
                scores.append(float(silhouette_score(X, km.labels_, metric="euclidean")))
        if ks:
            best = int(np.argmax(scores))  # first maximum: the smaller k wins a tie
            chosen_k, raw = ks[best], fits[best]
        else:
            chosen_k, raw = 1, np.zeros(X.shape[0], dtype=int)
        curve = SilhouetteCurve(emotion=emotion, k=ks, silhouette=[round(s, 6) for s in scores], chosen_k=chosen_k)
        clusters = [self._describe(X[raw == c], emotion, [ids[i] for i in np.flatnonzero(raw == c)]) for c in range(chosen_k)]
        order = sorted(range(chosen_k), key=lambda c: self._sort_key(clusters[c]))
        labels = np.empty(X.shape[0], dtype=object)
        named = []
        for rank, c in enumerate(order, start=1):
            cluster = clusters[c]
            cluster.name = f"{emotion_title(emotion)}_{self.name_tag}{rank}"
            cluster.paper_name = _paper_name(emotion, cluster.aus)
            labels[raw == c] = cluster.name
            named.append(cluster)
        return named, curve, labels

    def _describe(self, members: np.ndarray, emotion: str, ids: list[str]) -> _Cluster:
        share = members.mean(axis=0)
        aus = characteristic_aus(share, self.au_order_)
        return _Cluster(
            name="", emotion=emotion, aus=aus, size=int(members.shape[0]),
            centroid=[round(float(v), 6) for v in share],
            au_share={a: round(float(s), 4) for a, s in zip(self.au_order_, share) if s > 0},
            members=sorted(ids),
        )

    def _sort_key(self, cluster: _Cluster) -> tuple:
        index = {a: i for i, a in enumerate(self.au_order_)}
        return (-cluster.size, [index[a] for a in cluster.aus], [-v for v in cluster.centroid])

    # ----------------------------------------------------------------------------- using
    def cluster_infos(self) -> list[ClusterInfo]:
        return [c.info() for c in self.clusters_]

    def predict(self, X_au: np.ndarray, emotions: Sequence[str]) -> list[str]:
        """Nearest-centroid cluster name per row ("" when the emotion has no clusters or no AU is active)."""
        X = np.asarray(X_au, dtype=float)
        return [self.nearest(row, emotion)[0] for row, emotion in zip(X, emotions)]

    def nearest(self, vector: np.ndarray, emotion: str) -> tuple[str, list[str]]:
        candidates = [c for c in self.clusters_ if c.emotion == emotion]
        if not candidates or not np.any(vector > 0):
            return "", []
        dists = [float(np.sum((np.asarray(c.centroid) - vector) ** 2)) for c in candidates]
        best = candidates[int(np.argmin(dists))]  # ties: the earlier (larger) cluster
        return best.name, list(best.aus)

    def vector(self, active_aus: Collection[str]) -> np.ndarray:
        """Binary vector over the model's AU order; AUs the model does not know are ignored."""
        active = set(active_aus)
        return np.array([1.0 if a in active else 0.0 for a in self.au_order_])

    # ----------------------------------------------------------------------------- storage
    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "params": {"k_min": self.k_min, "k_max": self.k_max, "random_state": self.random_state,
                       "n_init": self.n_init, "name_tag": self.name_tag},
            "au_order": list(self.au_order_),
            "silhouette": [asdict(c) for c in self.silhouette_],
            "clusters": [asdict(c) for c in self.clusters_],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "MESubdivider":
        if data.get("format") != FORMAT:
            raise InputError(f"not a mescreen ME cluster model (format {data.get('format')!r}, expected {FORMAT!r})")
        model = cls(**data["params"], au_names=data["au_order"])
        model.au_order_ = list(data["au_order"])
        model.silhouette_ = [SilhouetteCurve(**c) for c in data["silhouette"]]
        model.clusters_ = [_Cluster(**c) for c in data["clusters"]]
        return model

    def save(self, path: Path, extra: dict[str, Any] | None = None) -> None:
        """Plain JSON (never a pickle); `extra` records provenance (sources, counts, command)."""
        data = self.to_dict()
        if extra:
            data["provenance"] = extra
        path.write_text(json.dumps(data, indent=1, sort_keys=False) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> "MESubdivider":
        return cls.from_dict(json.loads(path.read_text(encoding="utf-8")))


def characteristic_aus(share: np.ndarray, au_order: Sequence[str]) -> list[str]:
    """AUs active in more than half of a cluster's members; if none, those with the top share."""
    share = np.asarray(share, dtype=float)
    picked = share > 0.5
    if not picked.any() and share.max(initial=0.0) > 0:
        picked = np.isclose(share, share.max())
    return [a for a, p in zip(au_order, picked) if p]


def _paper_name(emotion: str, aus: list[str]) -> str:
    for name, combo in TABLE10_KNOWN.items():
        if name.split("_")[0].lower() == emotion and set(combo) == set(aus):
            return name
    return ""


def _ordered_emotions(emotions: Sequence[str]) -> list[str]:
    """Fine emotions in EMOTIONS_FINE order, then any other label alphabetically; "" skipped."""
    present = {e for e in emotions if e}
    return [e for e in EMOTIONS_FINE if e in present] + sorted(present - set(EMOTIONS_FINE))


class ReferenceClusters:
    """The shipped reference model, loaded at runtime to name each detected episode's cluster."""

    def __init__(self, model: MESubdivider, version: str) -> None:
        self.model = model
        self.version = version

    @classmethod
    def load(cls, models_dir: Path | None = None) -> "ReferenceClusters":
        path = (models_dir or datapaths.models_dir()) / REFERENCE_FILE
        if not path.is_file():
            raise ModelMissingError(
                f"The ME cluster reference model ({REFERENCE_FILE}) is missing; rebuild it with "
                f"`{REBUILD_COMMAND}`."
            )
        try:
            model = MESubdivider.load(path)
        except (InputError, ValueError, KeyError, TypeError) as exc:
            raise ModelMissingError(
                f"The ME cluster reference model ({REFERENCE_FILE}) is unreadable ({exc}); rebuild it "
                f"with `{REBUILD_COMMAND}`."
            ) from exc
        return cls(model, datapaths.model_version(path))

    @property
    def clusters(self) -> list[ClusterInfo]:
        return self.model.cluster_infos()

    @property
    def silhouette(self) -> list[SilhouetteCurve]:
        return list(self.model.silhouette_)

    @property
    def au_order(self) -> list[str]:
        return list(self.model.au_order_)

    def paper_name(self, cluster_name: str) -> str:
        """The paper's Table 10 name of one of our clusters, "" where no combination matched."""
        return next((c.paper_name for c in self.model.clusters_ if c.name == cluster_name), "")

    def assign(self, emotion: str, active_aus: Collection[str]) -> tuple[str, list[str]]:
        """(cluster name, its characteristic AUs) for one episode; ("", []) when the emotion has no
        clusters or none of the episode's AUs is in the model's AU order."""
        return self.model.nearest(self.model.vector(active_aus), emotion)


def cluster_session(
    episodes: Sequence[Episode],
    reference: ReferenceClusters,
    min_episodes: int = MIN_OWN_EPISODES,
) -> SessionClusters:
    """Count a session's (or a patient's pooled) episodes per reference cluster, and cluster its
    own episodes when there are at least `min_episodes` with an emotion and an active AU."""
    reference_clusters = reference.clusters
    known_aus = set(reference.au_order)
    counts = {c.name: 0 for c in reference_clusters}
    usable: list[Episode] = []
    for episode in episodes:
        if not episode.emotion:
            continue
        name, _ = reference.assign(episode.emotion, episode.active_aus)
        if name:
            counts[name] += 1
        if known_aus.intersection(episode.active_aus):
            usable.append(episode)
    result = SessionClusters(
        reference_version=reference.version, counts=counts, reference_clusters=reference_clusters
    )
    if len(usable) < min_episodes:
        result.note = (
            f"This recording's own AU combinations were not clustered: {len(usable)} episode(s) with an "
            f"emotion and an active AU, at least {min_episodes} are needed."
        )
        return result
    own = MESubdivider(name_tag="P", au_names=reference.au_order).fit(
        np.stack([reference.model.vector(e.active_aus) for e in usable]),
        [e.emotion for e in usable],
        sample_ids=[f"episode@{e.onset_frame}" for e in usable],
    )
    result.own_clusters = own.cluster_infos()
    result.own_silhouette = list(own.silhouette_)
    result.note = (
        f"Own clusters from {len(usable)} episodes (named <Emotion>_P<n>, largest first); "
        "emotions with fewer than 3 episodes or a single AU combination form one cluster."
    )
    return result
