"""ME sub-division: per-emotion K-means with silhouette selection, naming, storage, runtime use."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from mescreen.core.errors import ModelMissingError
from mescreen.core.labels import AU_NAMES, EMOTIONS_FINE
from mescreen.core.result import Episode
from mescreen.core.episodes.clusters import (
    REFERENCE_FILE, MESubdivider, ReferenceClusters, characteristic_aus, cluster_session,
)

AUS = ["AU1", "AU2", "AU4", "AU5", "AU9", "AU10", "AU12", "AU25"]


def _rows(spec: list[tuple[str, list[str], int]]) -> tuple[np.ndarray, list[str]]:
    """(emotion, active AUs, copies) -> binary matrix over AUS and emotion labels."""
    X, emotions = [], []
    for emotion, aus, copies in spec:
        X += [[1 if a in aus else 0 for a in AUS]] * copies
        emotions += [emotion] * copies
    return np.array(X, dtype=float), emotions


SPEC = [
    ("disgust", ["AU4", "AU9"], 8),
    ("disgust", ["AU10", "AU25"], 5),
    ("disgust", ["AU1", "AU2", "AU5"], 3),
    ("surprise", ["AU1", "AU2"], 6),
    ("surprise", ["AU5", "AU25"], 4),
    ("sadness", ["AU1", "AU4"], 2),  # too few to cluster: one cluster
]


def _fit(spec=SPEC, **kwargs) -> MESubdivider:
    X, emotions = _rows(spec)
    return MESubdivider(au_names=AUS, **kwargs).fit(X, emotions, sample_ids=[f"s{i}" for i in range(len(emotions))])


def test_recovers_constructed_groups_with_deterministic_names():
    model = _fit()
    by_name = {c.name: c for c in model.clusters_}
    assert [c.name for c in model.clusters_ if c.emotion == "disgust"] == ["Disgust_ME1", "Disgust_ME2", "Disgust_ME3"]
    assert by_name["Disgust_ME1"].aus == ["AU4", "AU9"] and by_name["Disgust_ME1"].size == 8
    assert by_name["Disgust_ME2"].aus == ["AU10", "AU25"] and by_name["Disgust_ME2"].size == 5
    assert by_name["Disgust_ME3"].aus == ["AU1", "AU2", "AU5"]
    assert by_name["Surprise_ME1"].aus == ["AU1", "AU2"] and by_name["Surprise_ME2"].aus == ["AU5", "AU25"]
    # the paper's Table 10 name is recorded where the combination matches
    assert by_name["Disgust_ME1"].paper_name == "Disgust_ME2"
    assert by_name["Disgust_ME2"].paper_name == ""
    curves = {c.emotion: c for c in model.silhouette_}
    assert curves["disgust"].chosen_k == 3 and curves["disgust"].k == [2, 3]  # capped at 3 distinct combinations
    assert curves["disgust"].silhouette[1] == pytest.approx(1.0)
    assert curves["sadness"].chosen_k == 1 and curves["sadness"].k == []
    assert by_name["Sadness_ME1"].size == 2


def test_names_do_not_depend_on_row_order():
    X, emotions = _rows(SPEC)
    order = np.random.default_rng(3).permutation(len(emotions))
    shuffled = MESubdivider(au_names=AUS).fit(X[order], [emotions[i] for i in order])
    original = MESubdivider(au_names=AUS).fit(X, emotions)
    assert [(c.name, c.aus, c.size) for c in shuffled.clusters_] == [(c.name, c.aus, c.size) for c in original.clusters_]
    assert shuffled.predict(X, emotions) == original.predict(X, emotions)


def _paper_silhouette(X: np.ndarray, labels: np.ndarray) -> float:
    """s(i) = (b - a) / max(a, b), averaged (the paper's formula), written out by hand."""
    d = np.sqrt(((X[:, None, :] - X[None, :, :]) ** 2).sum(-1))
    scores = []
    for i in range(len(X)):
        own = labels == labels[i]
        if own.sum() == 1:
            scores.append(0.0)
            continue
        a = d[i, own].sum() / (own.sum() - 1)
        b = min(d[i, labels == other].mean() for other in set(labels) - {labels[i]})
        scores.append((b - a) / max(a, b))
    return float(np.mean(scores))


def test_silhouette_curve_follows_the_papers_formula():
    rng = np.random.default_rng(0)
    X = (rng.random((30, len(AUS))) < 0.35).astype(float)
    X[np.arange(30), rng.integers(0, len(AUS), 30)] = 1.0  # every row has an AU (empty rows are left out)
    model = MESubdivider(k_min=2, k_max=5, au_names=AUS).fit(X, ["fear"] * 30)
    curve = model.silhouette_[0]
    assert curve.k == [2, 3, 4, 5]
    from sklearn.cluster import KMeans

    for k, s in zip(curve.k, curve.silhouette):
        labels = KMeans(n_clusters=k, n_init=10, random_state=0).fit(X).labels_
        assert s == pytest.approx(_paper_silhouette(X, labels), abs=1e-5)
    assert curve.chosen_k == curve.k[int(np.argmax(curve.silhouette))]
    assert sum(c.size for c in model.clusters_) == 30


def test_rows_without_any_au_and_unlabelled_rows_are_left_out():
    X, emotions = _rows([("anger", ["AU4"], 3), ("anger", [], 4), ("", ["AU9"], 2)])
    model = MESubdivider(au_names=AUS).fit(X, emotions)
    assert [(c.name, c.size) for c in model.clusters_] == [("Anger_ME1", 3)]
    assert list(model.labels_) == ["Anger_ME1"] * 3 + [""] * 6


def test_characteristic_aus_majority_and_fallback():
    assert characteristic_aus(np.array([1.0, 0.6, 0.5, 0.0]), ["AU1", "AU2", "AU4", "AU5"]) == ["AU1", "AU2"]
    assert characteristic_aus(np.array([0.5, 0.5, 0.0, 0.0]), ["AU1", "AU2", "AU4", "AU5"]) == ["AU1", "AU2"]
    assert characteristic_aus(np.array([0.2, 0.4, 0.0, 0.0]), ["AU1", "AU2", "AU4", "AU5"]) == ["AU2"]


def test_bad_parameters_and_shapes_are_refused():
    with pytest.raises(ValueError):
        MESubdivider(k_min=1)
    from mescreen.core.errors import InputError

    with pytest.raises(InputError):
        MESubdivider(au_names=AUS).fit(np.zeros((3, 2)), ["anger"] * 3)


def test_save_load_round_trip_is_plain_json(tmp_path: Path):
    model = _fit()
    path = tmp_path / REFERENCE_FILE
    model.save(path, extra={"command": "test"})
    data = json.loads(path.read_text())
    assert data["au_order"] == AUS and data["provenance"] == {"command": "test"}
    assert {"centroid", "members", "aus", "size", "paper_name"} <= set(data["clusters"][0])
    loaded = MESubdivider.load(path)
    X, emotions = _rows(SPEC)
    assert loaded.predict(X, emotions) == model.predict(X, emotions)
    assert loaded.silhouette_ == model.silhouette_

    ref = ReferenceClusters.load(tmp_path)
    assert ref.version.startswith(f"{REFERENCE_FILE}@") and len(ref.version.split("@")[1]) == 12
    assert ref.assign("disgust", ["AU4", "AU9", "AU99"]) == ("Disgust_ME1", ["AU4", "AU9"])
    assert ref.assign("disgust", ["AU10"]) == ("Disgust_ME2", ["AU10", "AU25"])
    assert ref.assign("contempt", ["AU14"]) == ("", [])  # no clusters for this emotion
    assert ref.assign("disgust", []) == ("", [])  # no AU evidence
    assert ref.paper_name("Disgust_ME1") == "Disgust_ME2"


def test_missing_or_broken_reference_names_the_rebuild_command(tmp_path: Path):
    with pytest.raises(ModelMissingError, match="mescreen train clusters"):
        ReferenceClusters.load(tmp_path)
    (tmp_path / REFERENCE_FILE).write_text('{"format": "something else"}')
    with pytest.raises(ModelMissingError, match="mescreen train clusters"):
        ReferenceClusters.load(tmp_path)


def _episode(i: int, emotion: str, aus: list[str]) -> Episode:
    return Episode(onset_frame=10 * i, apex_frame=10 * i + 2, offset_frame=10 * i + 4, onset_s=i, apex_s=i + 0.05,
                   offset_s=i + 0.1, kind="micro", score=3.0, active_aus=aus, emotion=emotion)


@pytest.fixture()
def reference(tmp_path: Path) -> ReferenceClusters:
    _fit().save(tmp_path / REFERENCE_FILE)
    return ReferenceClusters.load(tmp_path)


def test_cluster_session_counts_and_too_few_for_own_clusters(reference: ReferenceClusters):
    episodes = [_episode(0, "disgust", ["AU4", "AU9"]), _episode(1, "disgust", ["AU9"]),
                _episode(2, "surprise", ["AU5"]), _episode(3, "", ["AU4"]), _episode(4, "happiness", ["AU12"])]
    result = cluster_session(episodes, reference)
    assert result.reference_version == reference.version
    assert result.counts == {"Disgust_ME1": 2, "Disgust_ME2": 0, "Disgust_ME3": 0, "Sadness_ME1": 0,
                             "Surprise_ME1": 0, "Surprise_ME2": 1}
    assert [c.name for c in result.reference_clusters] == list(result.counts)
    assert result.own_clusters == [] and "4 episode(s)" in result.note and "12" in result.note


def test_cluster_session_clusters_own_episodes_when_enough(reference: ReferenceClusters):
    episodes = ([_episode(i, "disgust", ["AU10", "AU25"]) for i in range(7)]
                + [_episode(10 + i, "disgust", ["AU4", "AU9"]) for i in range(4)]
                + [_episode(20 + i, "surprise", ["AU1", "AU2"]) for i in range(2)])
    result = cluster_session(episodes, reference, min_episodes=12)
    own = {c.name: c for c in result.own_clusters}
    assert own["Disgust_P1"].aus == ["AU10", "AU25"] and own["Disgust_P1"].size == 7
    assert own["Disgust_P2"].aus == ["AU4", "AU9"] and own["Disgust_P2"].size == 4
    assert own["Surprise_P1"].size == 2
    assert {c.emotion: c.chosen_k for c in result.own_silhouette} == {"disgust": 2, "surprise": 1}
    assert result.counts["Disgust_ME2"] == 7 and result.counts["Disgust_ME1"] == 4


def test_shipped_reference_model_is_current_and_complete():
    ref = ReferenceClusters.load()
    assert ref.au_order == AU_NAMES, "AU list changed: rebuild with `mescreen train clusters`"
    assert {c.emotion for c in ref.clusters} == set(EMOTIONS_FINE)
    assert {c.emotion for c in ref.silhouette} == set(EMOTIONS_FINE)
    for curve in ref.silhouette:
        assert curve.chosen_k == len([c for c in ref.clusters if c.emotion == curve.emotion])
    name, aus = ref.assign("happiness", ["AU6", "AU12", "AU25"])
    assert name.startswith("Happiness_ME") and "AU12" in aus


@pytest.mark.realdata
@pytest.mark.slow
def test_rebuilding_from_the_sheets_reproduces_the_shipped_model(data_dir: Path):
    from mescreen.training.clusters import fit_reference, load_coded_samples

    shipped = ReferenceClusters.load().model
    rebuilt = fit_reference(load_coded_samples(data_dir), shipped.k_min, shipped.k_max, shipped.random_state)
    assert rebuilt.to_dict()["clusters"] == shipped.to_dict()["clusters"]
    for mine, theirs in zip(rebuilt.silhouette_, shipped.silhouette_, strict=True):
        assert (mine.emotion, mine.k, mine.chosen_k) == (theirs.emotion, theirs.k, theirs.chosen_k)
        assert mine.silhouette == pytest.approx(theirs.silhouette, abs=1e-5)
