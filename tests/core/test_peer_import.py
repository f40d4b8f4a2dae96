"""OpenFace 2 and py-feat per-frame CSVs become a FrameSeries; malformed files get clear errors."""

from __future__ import annotations

import numpy as np
import pytest

from mescreen.core.errors import InputError
from mescreen.core.labels import AU_NAMES, EMOTIONS_FINE
from mescreen.core.errors import Cancelled
from mescreen.core.io.peer_import import TimingError, analyze_peer, detect_tool, read_peer_csv
from mescreen.core.episodes.clusters import ReferenceClusters


def _openface_csv(n: int = 120, fps: float = 30.0, spike_at: int = 60) -> bytes:
    """An OpenFace-shaped file (leading spaces in the header, as OpenFace writes) with one brief
    AU4+AU9+AU10 movement and a face lost for three frames."""
    aus = ["AU01", "AU04", "AU09", "AU10", "AU12", "AU45"]
    header = ["frame", "face_id", "timestamp", "confidence", "success"] + [f"{a}_r" for a in aus] + [f"{a}_c" for a in aus]
    lines = [", ".join(header)]
    for i in range(n):
        success = 0 if 10 <= i < 13 else 1
        moving = spike_at <= i < spike_at + 5
        r = [0.2, 3.0 if moving else 0.1, 2.5 if moving else 0.0, 2.0 if moving else 0.0, 0.0, 0.3]
        c = [0, 1 if moving else 0, 1 if moving else 0, 1 if moving else 0, 0, 0]
        lines.append(", ".join(str(v) for v in [i + 1, 0, f"{i / fps:.4f}", 0.95 if success else 0.1, success, *r, *c]))
    return ("\n".join(lines) + "\n").encode()


def test_openface_columns_map_to_mescreen_aus():
    peer = read_peer_csv(_openface_csv(), name="of.csv")
    s = peer.series
    assert peer.tool == "openface" and len(s) == 120 and peer.fps == pytest.approx(30.0, rel=1e-2)
    assert peer.aus_present == ["AU1", "AU4", "AU9", "AU10", "AU12"]  # AU45 is not one mescreen reads
    assert s.face_found.sum() == 117 and np.isnan(s.au_prob[10]).all()
    au4 = AU_NAMES.index("AU4")
    assert s.au_prob[60, au4] == 1.0 and s.au_prob[50, au4] == 0.0  # presence column
    assert peer.features.shape == (120, 5)
    assert peer.features[60, 1] == pytest.approx(3.0 / 5.0)  # AU4 intensity / 5, for spotting
    assert np.isnan(s.au_prob[:, AU_NAMES.index("AU2")]).all()  # not in the file: unknown, not zero


def test_real_openface_and_pyfeat_files(data_dir):
    openface = read_peer_csv(data_dir / "peer_outputs" / "OpenFace_Test.csv", fps=30)
    assert openface.tool == "openface" and len(openface.series) == 100
    assert openface.series.face_found.all()
    assert "AU26" in openface.aus_present
    feat = read_peer_csv(data_dir / "peer_outputs" / "Feat_Test.csv")
    assert feat.tool == "pyfeat" and len(feat.series) == 1
    happiness = feat.series.emotion_prob[0, EMOTIONS_FINE.index("happiness")]
    assert happiness == pytest.approx(0.98699605)
    assert np.isnan(feat.series.emotion_prob[0, EMOTIONS_FINE.index("contempt")])
    assert feat.series.au_prob[0, AU_NAMES.index("AU12")] == pytest.approx(0.9643792749395256)


@pytest.mark.parametrize("content, message", [
    (b"", "empty"),
    (b"frame,timestamp,success\n", "no rows"),
    (b"a,b,c\n1,2,3\n", "not an OpenFace 2 or py-feat"),
    (b"frame, timestamp, success, AU01_r, AU01_c\n1, 0.0, 0, 1.0, 1\n2, 0.03, 0, 0.5, 0\n", "no face"),
    (b"frame, timestamp, success, AU01_r, AU01_c\nx, 0.0, 1, 1.0, 1\n", "'frame'"),
    (b"frame, timestamp, success, AU01_r, AU01_c\n1, 0.5, 1, 1.0, 1\n2, 0.1, 1, 1.0, 1\n", "decreasing"),
    (b"\xff\xfe\x00garbage\x00\x01", "bad.csv"),
])
def test_malformed_files_are_refused_clearly(content, message):
    with pytest.raises(InputError, match=message):
        read_peer_csv(content, name="bad.csv")


def test_detect_tool_needs_au_columns():
    with pytest.raises(InputError):
        detect_tool(["frame", "timestamp", "success"])


class _Mapper:
    """Stands in for the trained AU->emotion mapper: AU9/AU10 read as disgust."""

    version = "fake-mapper"

    def predict_proba(self, active_aus):
        disgust = 0.9 if {"AU9", "AU10"} & set(active_aus) else 0.1
        rest = (1.0 - disgust) / (len(EMOTIONS_FINE) - 1)
        return {e: (disgust if e == "disgust" else rest) for e in EMOTIONS_FINE}


def test_imported_series_is_spotted_clustered_and_screened():
    try:
        clusters = ReferenceClusters.load()
    except Exception as exc:  # noqa: BLE001 - the shipped model lands with the clusters work
        pytest.skip(f"reference clusters not available: {exc}")
    peer = read_peer_csv(_openface_csv(n=300, spike_at=150), name="of.csv")
    result = analyze_peer(peer, mapper=_Mapper(), clusters=clusters)
    assert result.series.equals(peer.series)
    spotted = [e for e in result.episodes if e.onset_s <= 150 / 30 + 0.2 and e.offset_s >= 150 / 30]
    assert spotted, f"the AU4+AU9+AU10 movement at 5 s was not spotted: {result.episodes}"
    episode = spotted[0]
    assert {"AU4", "AU9", "AU10"} <= set(episode.active_aus)
    assert episode.emotion == "disgust" and episode.cluster.startswith("Disgust")
    assert result.screening.level == "insufficient"  # 10 s of face and one episode are too little
    assert "OpenFace" in result.warnings[0]
    assert result.versions["au_emotion"] == "fake-mapper"


def test_the_openface_sample_has_implausible_times_and_the_given_frame_rate_defines_them(data_dir):
    path = data_dir / "peer_outputs" / "OpenFace_Test.csv"
    with pytest.raises(TimingError, match=r"puts 100 frames in 0.099 s, 1000 frames per second.*Give the "
                                          r"recording's frame rate"):
        read_peer_csv(path)
    peer = read_peer_csv(path, fps=25)
    assert peer.timing == "given" and peer.fps == 25
    assert peer.series.time_s[:3] == pytest.approx([0.0, 0.04, 0.08])
    assert peer.duration_s == pytest.approx(4.0)
    assert peer.describe() == ("OpenFace_Test.csv: OpenFace 2 file, 100 frames, 4.0 s at 25 frames per second "
                               "(as given)")


@pytest.mark.parametrize("times, words", [
    ([0.0, 0.0, 0.0], "stays at 0 s"),
    ([0.0, 0.033, 0.033, 0.1], "repeats the same time"),
    ([0.0, 5.0, 10.0], "0.2 frames per second"),
])
def test_other_implausible_times_are_named(times, words):
    rows = "\n".join(f"{i + 1}, {t}, 1, 1.0, 1" for i, t in enumerate(times))
    content = f"frame, timestamp, success, AU01_r, AU01_c\n{rows}\n".encode()
    with pytest.raises(TimingError, match=words):
        read_peer_csv(content, name="odd.csv")
    assert read_peer_csv(content, name="odd.csv", fps=30).fps == 30


def test_an_implausible_frame_rate_is_refused_and_plausible_times_are_kept():
    with pytest.raises(InputError, match="1000 frames per second is not one"):
        read_peer_csv(_openface_csv(), name="of.csv", fps=1000)
    peer = read_peer_csv(_openface_csv(n=120, fps=24.0), name="of.csv")
    assert peer.timing == "file" and peer.fps == pytest.approx(24.0, rel=1e-3)
    assert peer.duration_s == pytest.approx(5.0, rel=1e-3)  # 120 frames at 24 per second
    assert "from the file's time column" in peer.describe()


def test_without_a_time_column_the_default_rate_is_assumed_and_said(data_dir):
    feat = read_peer_csv(data_dir / "peer_outputs" / "Feat_Test.csv")
    assert feat.timing == "assumed"
    assert feat.describe().endswith("1 frame, 0.0 s at 30 frames per second (assumed: the file has no time column)")


def test_the_stored_video_info_agrees_with_the_summary_and_cancel_stops_the_import():
    try:
        clusters = ReferenceClusters.load()
    except Exception as exc:  # noqa: BLE001
        pytest.skip(f"reference clusters not available: {exc}")
    peer = read_peer_csv(_openface_csv(n=300, spike_at=150), name="of.csv", fps=25)
    stages = []
    result = analyze_peer(peer, mapper=_Mapper(), clusters=clusters, progress=lambda p: stages.append(p.stage))
    video = result.video
    assert (video.frames_read, video.fps, video.duration_s) == (300, 25, pytest.approx(12.0))
    assert peer.describe() in result.warnings[0]
    assert {"spotting", "emotion", "screening"} <= set(stages)
    with pytest.raises(Cancelled):
        analyze_peer(peer, mapper=_Mapper(), clusters=clusters, progress=lambda p: p.stage != "spotting")
