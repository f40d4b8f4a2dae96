"""Screening indicators and levels on constructed sessions whose expected outcome is known."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from mescreen.core import INTENDED_USE
from mescreen.core.errors import InputError
from mescreen.core.labels import AU_NAMES, EMOTIONS_FINE
from mescreen.core.result import Episode, FrameSeries, Screening, SessionClusters
from mescreen.core.screening import indicators as screening
from mescreen.core.screening.indicators import CONFIG_DIR

FPS = 10.0
V1 = CONFIG_DIR / "screening_v1.json"


def load_config(path: Path | None = None) -> dict:
    """The tests below pin screening v1's rules (tests/core/test_screening_v2.py covers v2)."""
    return screening.load_config(path or V1)


def screen(*args, **kwargs) -> Screening:
    return screening.screen(*args, config=kwargs.pop("config", None) or load_config(), **kwargs)


def make_series(seconds: float = 120.0, rates: dict[str, float] | None = None, face_share: float = 1.0,
                together: tuple[str, ...] = ("AU6", "AU12")) -> FrameSeries:
    """Frames at FPS; each AU in `rates` is active (p = 0.9) in that share of the face frames, else p = 0.1.
    The AUs in `together` are active in the same frames (so AU6+AU12 co-occur as much as possible)."""
    n = int(seconds * FPS)
    series = FrameSeries.empty(AU_NAMES, EMOTIONS_FINE)
    face = np.arange(n) < int(round(face_share * n))
    probs = np.full((n, len(AU_NAMES)), 0.1, dtype=np.float32)
    for au, rate in (rates or {}).items():
        k = int(round(rate * face.sum()))
        start = 0 if au in together else face.sum() - k  # others from the end, so they do not pile up
        probs[start:start + k, AU_NAMES.index(au)] = 0.9
    probs[~face] = np.nan
    series.frame_index = np.arange(n, dtype=np.int32)
    series.time_s = np.arange(n) / FPS
    series.face_found = face
    series.au_prob = probs
    return series


def episodes_of(counts: dict[str, int], aus: dict[str, list[str]] | None = None) -> list[Episode]:
    out = []
    for emotion, count in counts.items():
        for _ in range(count):
            i = len(out)
            out.append(Episode(onset_frame=20 * i, apex_frame=20 * i + 2, offset_frame=20 * i + 4, onset_s=2.0 * i,
                               apex_s=2.0 * i + 0.2, offset_s=2.0 * i + 0.4, kind="micro", score=3.0, emotion=emotion,
                               active_aus=list((aus or {}).get(emotion, []))))
    return out


CALM_RATES = {"AU12": 0.20, "AU6": 0.10, "AU4": 0.05, "AU1": 0.05}
CALM_EPISODES = {"happiness": 5, "surprise": 1, "disgust": 2, "sadness": 2}


def by_key(result: Screening) -> dict:
    return {i.key: i for i in result.indicators}


def raised_keys(result: Screening) -> set[str]:
    return {i.key for i in result.indicators + result.longitudinal if i.raised}


def test_calm_session_is_none():
    result = screen(make_series(rates=CALM_RATES), episodes_of(CALM_EPISODES), SessionClusters())
    assert result.level == "none" and result.reasons == [] and raised_keys(result) == set()
    ind = by_key(result)
    assert ind["negative_share"].value == pytest.approx(0.4)
    assert ind["surprise_share"].value == pytest.approx(0.1)
    assert ind["share_happiness"].value == pytest.approx(0.5)
    assert ind["au_rate_AU12"].value == pytest.approx(0.2)
    assert ind["duchenne_rate"].value == pytest.approx(0.1)
    assert ind["face_seconds"].value == pytest.approx(120.0)
    assert result.intended_use == INTENDED_USE
    assert result.config_version.startswith("screening_v1.json@")


def test_contempt_dimpler_alone_gives_watch_and_says_why():
    rates = dict(CALM_RATES, AU14=0.25)
    result = screen(make_series(rates=rates), episodes_of(CALM_EPISODES), SessionClusters())
    assert result.level == "watch"
    assert raised_keys(result) == {"au_rate_AU14"}
    assert len(result.reasons) == 1 and "AU14" in result.reasons[0] and "25%" in result.reasons[0]


def test_negative_pattern_gives_flag_naming_every_indicator():
    # 8 of 10 episodes negative, no smiles, frequent AU14: 1 + 1 + 1 + 0.5 = 3.5 >= 3
    series = make_series(rates={"AU14": 0.3, "AU4": 0.1})
    episodes = episodes_of({"disgust": 4, "sadness": 2, "anger": 2, "happiness": 1, "surprise": 1})
    result = screen(series, episodes, SessionClusters())
    assert result.level == "flag"
    assert raised_keys(result) == {"negative_share", "au_rate_AU14", "au_rate_AU12", "duchenne_rate"}
    assert len(result.reasons) == 4
    ind = by_key(result)
    assert ind["negative_share"].value == pytest.approx(0.8) and ind["negative_share"].threshold == pytest.approx(0.7)
    assert all(ind[k].reference for k in raised_keys(result))


def test_two_half_weight_aus_make_watch_but_one_does_not():
    one = screen(make_series(rates=dict(CALM_RATES, AU4=0.4)), episodes_of(CALM_EPISODES), SessionClusters())
    two = screen(make_series(rates=dict(CALM_RATES, AU4=0.4, AU17=0.3)), episodes_of(CALM_EPISODES), SessionClusters())
    assert one.level == "none" and raised_keys(one) == {"au_rate_AU4"}
    assert two.level == "watch" and raised_keys(two) == {"au_rate_AU4", "au_rate_AU17"}


def test_too_little_face_is_insufficient_whatever_the_episodes():
    series = make_series(seconds=20.0, rates={"AU14": 0.5}, face_share=0.3)  # 6 s of face
    result = screen(series, episodes_of({"disgust": 10}), SessionClusters())
    assert result.level == "insufficient"
    assert "Too little face evidence" in result.reasons[0]
    assert by_key(result)["negative_share"].value == pytest.approx(1.0)  # still shown, with its evidence


def test_too_few_episodes_is_insufficient_unless_frames_raise_something():
    calm = screen(make_series(rates=CALM_RATES), episodes_of({"disgust": 2}), SessionClusters())
    assert calm.level == "insufficient"
    assert any("Too few episodes" in r for r in calm.reasons)
    assert by_key(calm)["negative_share"].value is None and by_key(calm)["share_disgust"].value is None
    dimpler = screen(make_series(rates=dict(CALM_RATES, AU14=0.3)), episodes_of({"disgust": 2}), SessionClusters())
    assert dimpler.level == "watch" and any("Too few episodes" in r for r in dimpler.reasons)


def test_smile_rules_need_a_minute_of_face():
    result = screen(make_series(seconds=40.0), episodes_of(CALM_EPISODES), SessionClusters())
    ind = by_key(result)
    assert ind["au_rate_AU12"].value is None and not ind["au_rate_AU12"].raised
    assert "60 s" in ind["au_rate_AU12"].evidence
    assert result.level == "none"


def test_frames_without_face_and_unread_aus_are_not_counted():
    series = make_series(rates={"AU14": 0.2}, face_share=0.5)
    ind = by_key(screen(series, episodes_of(CALM_EPISODES), SessionClusters()))
    assert ind["au_rate_AU14"].value == pytest.approx(0.2)  # of the 600 face frames, not of 1200
    series.au_names = [a for a in AU_NAMES if a != "AU14"]
    series.au_prob = np.delete(series.au_prob, AU_NAMES.index("AU14"), axis=1)
    ind = by_key(screen(series, episodes_of(CALM_EPISODES), SessionClusters()))
    assert ind["au_rate_AU14"].value is None and "not read" in ind["au_rate_AU14"].evidence


def test_case_study_clusters_are_matched_by_emotion_and_au_combination():
    episodes = episodes_of({"disgust": 4, "happiness": 6}, aus={"disgust": ["AU4", "AU9", "AU10"], "happiness": ["AU12"]})
    clusters = SessionClusters(reference_version="me_clusters_reference.json@abc")
    ind = by_key(screen(make_series(rates=CALM_RATES), episodes, clusters))["case_study_clusters"]
    assert ind.value == pytest.approx(0.4) and ind.raised
    assert "Disgust_ME2 {AU4, AU9} x4" in ind.evidence and "Sadness_ME1" in ind.evidence
    assert "(version abc)" in ind.evidence and ".json" not in ind.evidence  # no file name on a clinician's screen


def test_longitudinal_change_against_earlier_sessions():
    before = [screen(make_series(rates=CALM_RATES), episodes_of(CALM_EPISODES), SessionClusters()) for _ in range(3)]
    too_early = screen(make_series(rates=dict(CALM_RATES, AU4=0.4)),
                       episodes_of({"disgust": 4, "sadness": 2, "happiness": 4}), SessionClusters(),
                       previous=before[:2])
    assert too_early.longitudinal == []  # fewer than 3 earlier sessions: no change is judged
    worse = screen(make_series(rates=dict(CALM_RATES, AU4=0.4)),
                   episodes_of({"disgust": 4, "sadness": 2, "happiness": 4}), SessionClusters(), previous=before)
    changes = {i.key: i for i in worse.longitudinal}
    assert changes["change_negative_share"].value == pytest.approx(0.2) and changes["change_negative_share"].raised
    assert changes["change_au_rate_AU4"].value == pytest.approx(0.35) and changes["change_au_rate_AU4"].raised
    assert not changes["change_au_rate_AU12"].raised
    assert "over 3 earlier session(s)" in changes["change_negative_share"].evidence
    # AU4 (0.5) + two longitudinal changes (2 x 0.5) = 1.5 -> watch; without history it stays none
    assert worse.level == "watch"
    alone = screen(make_series(rates=dict(CALM_RATES, AU4=0.4)),
                   episodes_of({"disgust": 4, "sadness": 2, "happiness": 4}), SessionClusters())
    assert alone.level == "none" and alone.longitudinal == []


def test_no_diagnostic_wording_anywhere_a_clinician_reads():
    series = make_series(rates={"AU14": 0.3})
    result = screen(series, episodes_of({"disgust": 8, "happiness": 2}), SessionClusters())
    text = " ".join(result.reasons + [i.label + " " + i.evidence for i in result.indicators + result.longitudinal])
    for word in ("depress", "diagnos", "disorder", "patient has"):
        assert word not in text.lower()


def test_every_rule_has_threshold_reference_and_version():
    config = load_config()
    assert config["version"] == "screening_v1"
    keys = [r["key"] for r in config["rules"]]
    assert len(keys) == len(set(keys))
    for rule in config["rules"]:
        assert rule["reference"] and isinstance(rule["threshold"], float)
    assert {"negative_share", "surprise_share", "au_rate_AU12", "duchenne_rate", "au_rate_AU14",
            "case_study_clusters"} <= set(keys)


def test_broken_config_is_a_clear_error(tmp_path: Path):
    bad = tmp_path / "screening_bad.json"
    bad.write_text(json.dumps({"rules": [{"key": "x", "kind": "nonsense"}]}))
    with pytest.raises(InputError, match="incomplete or unknown"):
        load_config(bad)
    bad.write_text("{not json")
    with pytest.raises(InputError, match="could not be read"):
        load_config(bad)


def test_screening_survives_the_session_result_round_trip():
    from mescreen.core.result import SessionResult, VideoInfo

    series = make_series(rates=CALM_RATES)
    result = screen(series, episodes_of(CALM_EPISODES), SessionClusters())
    session = SessionResult(video=VideoInfo("x.mp4", 1, 1, FPS, 1, 1, 1.0), series=series,
                            episodes=episodes_of(CALM_EPISODES), clusters=SessionClusters(), screening=result,
                            versions={})
    again = SessionResult.from_json(session.to_json())
    assert again.screening == result


def test_subdivision_and_screening_fill_a_session_result(tmp_path: Path):
    """Both steps as the pipeline chains them, on a session whose clusters and level are known."""
    from mescreen.core.result import SessionResult, VideoInfo
    from mescreen.core.episodes.clusters import REFERENCE_FILE, MESubdivider, ReferenceClusters, cluster_session

    aus = ["AU4", "AU9", "AU10", "AU12", "AU14", "AU25"]
    X = np.array([[1, 1, 0, 0, 0, 0]] * 6 + [[0, 0, 1, 0, 0, 1]] * 4 + [[0, 0, 0, 1, 0, 0]] * 5, dtype=float)
    emotions = ["disgust"] * 10 + ["happiness"] * 5
    MESubdivider(au_names=aus).fit(X, emotions).save(tmp_path / REFERENCE_FILE)
    reference = ReferenceClusters.load(tmp_path)

    episodes = episodes_of({"disgust": 8, "happiness": 2}, aus={"disgust": ["AU4", "AU9"], "happiness": ["AU12"]})
    for episode in episodes:
        episode.cluster, episode.cluster_aus = reference.assign(episode.emotion, episode.active_aus)
    clusters = cluster_session(episodes, reference)
    series = make_series(rates={"AU14": 0.3})
    screening = screen(series, episodes, clusters)

    assert clusters.counts == {"Disgust_ME1": 8, "Disgust_ME2": 0, "Happiness_ME1": 2}
    assert episodes[0].cluster == "Disgust_ME1" and episodes[0].cluster_aus == ["AU4", "AU9"]
    # disgust 0.8, AU14, no smiles, Disgust_ME2 {AU4, AU9} in 8 of 10 episodes: 1+1+1+0.5+1
    assert screening.level == "flag"
    assert raised_keys(screening) == {"negative_share", "au_rate_AU14", "au_rate_AU12", "duchenne_rate",
                                      "case_study_clusters"}
    session = SessionResult(video=VideoInfo("x.mp4", 1, 1, FPS, 1, 1, 1.0), series=series, episodes=episodes,
                            clusters=clusters, screening=screening,
                            versions={"me_clusters": reference.version, "screening": screening.config_version})
    assert SessionResult.from_json(session.to_json()).equals(session)


def test_empty_session_is_insufficient_not_an_error():
    result = screen(FrameSeries.empty(AU_NAMES, EMOTIONS_FINE), [], SessionClusters())
    assert result.level == "insufficient" and "0 frames" in result.reasons[0]
    assert all(not i.raised for i in result.indicators)


def test_the_episode_evidence_reads_as_plain_words():
    from mescreen.core.screening.indicators import _episode_summary

    one = episodes_of({"happiness": 1})
    assert _episode_summary(one, one, {"macro", "micro"}).startswith("1 episode found; 1 counted (macro-expressions or ")
    assert _episode_summary(one * 2, one, {"micro"}).startswith("2 episodes found; 1 counted (micro-expressions with")
