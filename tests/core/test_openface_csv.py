"""OpenFace-style CSV export: columns, conventions, and a round trip through the peer reader."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from mescreen.core.labels import AU_NAMES, EMOTIONS_3
from mescreen.core.io.openface_csv import (
    au_from_openface_column, openface_au_column, openface_columns, to_openface_text, write_openface_csv,
)
from mescreen.core.io.peer_import import read_peer_csv
from mescreen.core.result import FrameSeries


def _series(n: int = 6) -> FrameSeries:
    rng = np.random.default_rng(0)
    au = rng.uniform(0, 1, (n, len(AU_NAMES))).astype(np.float32)
    found = np.ones(n, bool)
    found[2] = False
    au[2] = np.nan
    return FrameSeries(
        frame_index=np.arange(n, dtype=np.int32) * 2, time_s=np.arange(n) / 15.0, face_found=found,
        face_confidence=np.where(found, 0.9, 0.0).astype(np.float32), face_size=np.full(n, 100, np.float32),
        blur=np.ones(n, np.float32), motion=np.zeros(n, np.float32), au_names=list(AU_NAMES), au_prob=au,
        emotion_names=list(EMOTIONS_3), emotion_prob=np.full((n, 3), np.nan, np.float32),
        au_thresholds=[0.5] * len(AU_NAMES),
    )


def test_column_name_helpers() -> None:
    assert openface_au_column("AU4", "r") == "AU04_r"
    assert openface_au_column("au12", "c") == "AU12_c"
    assert au_from_openface_column(" AU04_r") == ("AU4", "r")
    assert au_from_openface_column("AU45_c") == ("AU45", "c")
    assert au_from_openface_column("pose_Rx") is None
    with pytest.raises(ValueError):
        openface_au_column("AU4", "x")
    columns = openface_columns(AU_NAMES)
    assert columns[:5] == ["frame", "face_id", "timestamp", "confidence", "success"]
    assert columns[5] == "AU01_r" and columns[-1] == "AU27_c"


def test_rows_follow_openface_conventions() -> None:
    series = _series()
    text = to_openface_text(series)
    assert text.splitlines()[0].startswith("frame, face_id, timestamp, confidence, success, AU01_r")
    table = pd.read_csv(io.StringIO(text), skipinitialspace=True)
    assert table["frame"].tolist() == [1, 3, 5, 7, 9, 11]  # 1-based source frame numbers
    assert table["success"].tolist() == [1, 1, 0, 1, 1, 1]
    assert table.loc[2, "confidence"] == 0 and (table.filter(like="AU").loc[2] == 0).all()
    au4 = AU_NAMES.index("AU4")
    ok = series.face_found
    assert table["AU04_r"][ok].to_numpy() == pytest.approx(series.au_prob[ok, au4] * 5, abs=0.006)
    assert table["AU04_c"][ok].tolist() == (series.au_prob[ok, au4] >= 0.5).astype(int).tolist()


def test_the_series_thresholds_decide_presence_and_must_match() -> None:
    series = _series()
    series.au_thresholds = [0.0] * len(AU_NAMES)
    series.au_thresholds[AU_NAMES.index("AU10")] = 2.0  # not read reliably: never present
    table = pd.read_csv(io.StringIO(to_openface_text(series)), skipinitialspace=True)
    presence = table.filter(like="_c")[series.face_found]
    assert presence.drop(columns="AU10_c").to_numpy().all()
    assert not presence["AU10_c"].any()
    series.au_thresholds = [0.5] * 3
    with pytest.raises(ValueError):
        to_openface_text(series)


def test_written_file_is_read_back_by_the_peer_importer(tmp_path) -> None:
    series = _series()
    path = tmp_path / "mescreen.csv"
    write_openface_csv(series, path)
    peer = read_peer_csv(path)
    assert peer.tool == "openface"
    assert peer.series.face_found.tolist() == series.face_found.tolist()
    assert peer.series.time_s == pytest.approx(series.time_s, abs=1e-3)
    au4 = AU_NAMES.index("AU4")
    ok = series.face_found
    assert peer.features[ok, peer.aus_present.index("AU4")] == pytest.approx(series.au_prob[ok, au4], abs=0.002)
