"""SessionResult survives JSON exactly, NaN included: every consumer depends on that."""

import json
import math

import numpy as np

from mescreen.core import INTENDED_USE
from mescreen.core.result import (
    ClusterInfo, Episode, FrameSeries, Indicator, Screening, SessionClusters, SessionResult,
    SilhouetteCurve, VideoInfo,
)


def _result() -> SessionResult:
    n = 5
    series = FrameSeries(
        frame_index=np.arange(n, dtype=np.int32),
        time_s=np.arange(n) / 30.0,
        face_found=np.array([True, True, False, True, True]),
        face_confidence=np.array([0.9, 0.8, 0.0, 0.7, 0.95], np.float32),
        face_size=np.array([120, 121, 0, 119, 118], np.float32),
        blur=np.array([50, 51, 0, 49, 48], np.float32),
        motion=np.array([0.1, 0.2, np.nan, 0.3, 0.1], np.float32),
        au_names=["AU4", "AU12"],
        au_prob=np.array([[0.1, 0.2], [0.3, 0.4], [np.nan, np.nan], [0.5, 0.6], [0.7, 0.8]], np.float32),
        emotion_names=["negative", "positive", "surprise"],
        emotion_prob=np.full((n, 3), np.nan, np.float32), au_thresholds=[0.45, 2.0],
        head_pose=np.array([[1, 2, 3], [4, 5, 6], [np.nan] * 3, [0, 0, 0], [7, 8, 9]], np.float32),
    )
    episode = Episode(
        onset_frame=0, apex_frame=1, offset_frame=3, onset_s=0.0, apex_s=1 / 30, offset_s=0.1,
        kind="micro", score=4.2, au_prob={"AU4": 0.3, "AU12": 0.4}, active_aus=["AU4"],
        emotion3_prob={"negative": 0.7, "positive": 0.2, "surprise": 0.1}, emotion="disgust",
        emotion_prob={"disgust": 0.6, "anger": 0.4}, cluster="Disgust_ME2", cluster_aus=["AU4", "AU9"],
        confidence=0.8, landmarks={"onset": [[0.1, 0.2]], "apex": [[0.11, 0.21]]},
    )
    clusters = SessionClusters(
        reference_version="ref@abc", counts={"Disgust_ME2": 1},
        reference_clusters=[ClusterInfo("Disgust_ME2", "disgust", ["AU4", "AU9"], 12)],
        own_silhouette=[SilhouetteCurve("disgust", [2, 3], [0.4, math.nan], 2)],
    )
    screening = Screening(
        level="insufficient", reasons=["too few episodes"],
        indicators=[Indicator("negative_share", "Share of negative episodes", None, 0.5)],
        config_version="screening_v1", intended_use=INTENDED_USE,
    )
    video = VideoInfo("x.mp4", 640, 360, 30.0, 5, 5, 5 / 30, "avc1", 0, "deadbeef", 30.0)
    return SessionResult(video, series, [episode], clusters, screening, {"pipeline": "0.1.0"})


def test_json_round_trip_is_exact():
    result = _result()
    text = result.to_json()
    json.loads(text)  # strict JSON: no NaN tokens
    back = SessionResult.from_json(text)
    assert back.equals(result)
    assert back.series.au_prob.dtype == np.float32
    assert np.isnan(back.series.au_prob[2]).all()
    assert back.episodes[0].duration_s == result.episodes[0].duration_s


def test_equals_detects_a_changed_value():
    a, b = _result(), _result()
    b.series.au_prob[0, 0] = 0.11
    assert not a.equals(b)
    c = _result()
    c.episodes[0].cluster = "Disgust_ME1"
    assert not a.equals(c)


def test_micro_macro_boundary():
    assert Episode.kind_for(0.5) == "micro"
    assert Episode.kind_for(0.51) == "macro"


def test_optional_arrays_and_thresholds_survive_the_round_trip_and_count():
    result = _result()
    back = SessionResult.from_json(result.to_json())
    assert back.series.au_thresholds == [0.45, 2.0]
    assert np.isnan(back.series.head_pose[2]).all() and back.series.eye_aperture is None
    d = _result()
    d.series.head_pose = None
    assert not result.equals(d)


def test_au_active_is_the_one_definition():
    series = _result().series
    active = series.au_active()
    # AU4 at threshold 0.45: frames 3 and 4 (0.5, 0.7); frame 2 has no face; AU12 is not read.
    assert active[:, 0].tolist() == [False, False, False, True, True]
    assert not active[:, 1].any()
    assert series.au_readable().tolist() == [True, False]
    series.au_thresholds = []  # unknown: the documented default applies
    assert series.thresholds().tolist() == [0.5, 0.5]
    assert series.au_active()[:, 1].tolist() == [False, False, False, True, True]
