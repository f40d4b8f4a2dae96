"""Real-video check: segment labels are read and rates / AUCs computed per segment."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from mescreen.training.face_reading import Segment, read_segments, report_markdown, segment_report


def test_segments_with_aus_are_read(tmp_path: Path) -> None:
    labels = tmp_path / "clip.labels.csv"
    labels.write_text(
        "clip,start_s,end_s,expression,aus,confidence,note\n"
        "clip.mp4,0.5,2.4,sadness,1+4+15+43,high,crying\n"
        "clip.mp4,6.0,9.4,mixed,,low,hand over mouth\n"
        "clip.mp4,10.5,19.7,happiness,6+12+25,high,laughing\n"
    )
    segments = read_segments(labels)
    assert [s.expression for s in segments] == ["sadness", "happiness"]
    assert segments[0].aus == ("AU1", "AU4", "AU15", "AU43") and segments[1].start_s == 10.5


def test_rates_inside_and_outside_and_auc() -> None:
    time_s = np.arange(20) * 1.0
    proba = np.zeros((20, 2), np.float32)
    proba[10:, 0] = 0.9  # AU12 on in the second half only
    proba[3, :] = np.nan  # a frame without a face
    stage = SimpleNamespace(au_names=["AU12", "AU43"], thresholds=np.array([0.5, 2.0], np.float32))
    segments = [Segment(10, 19, "happiness", ("AU12", "AU6")), Segment(0, 9, "sadness", ("AU43",))]
    report = segment_report(time_s, proba, stage, segments)
    rows = {(r["segment"], r["au"]): r for r in report["rows"]}
    smile = rows[("happiness 10.0-19.0 s", "AU12")]
    assert smile["active_in"] == 1.0 and smile["active_out"] == 0.0 and smile["auc"] == 1.0
    assert smile["frames_out"] == 9  # the frame without a face counts nowhere
    assert rows[("happiness 10.0-19.0 s", "AU6")]["read"] is False  # not a detector AU
    assert rows[("sadness 0.0-9.0 s", "AU43")]["read"] is False  # threshold above 1: never active
    assert report["cross"]["sadness 0.0-9.0 s"]["AU12"] == 0.0
    text = report_markdown("clip.mp4", {"original": report})
    assert "AU12 (lip corner puller)" in text and "not in the detector" in text
    assert pytest.approx(1.0) == report["cross"]["happiness 10.0-19.0 s"]["AU12"]


def test_grimace_targets_read_crying_laughing_and_sad_faces() -> None:
    from mescreen.training.au_card import grimace_lines

    time_s = np.arange(20) * 1.0
    proba = np.zeros((20, 2), np.float32)
    proba[10:, :] = 0.9  # AU12 and AU6 on in the laugh
    proba[0, :] = 0.9  # ... and in one of the ten crying frames: 10%, still within the target
    stage = SimpleNamespace(au_names=["AU12", "AU6"], thresholds=np.array([0.5, 0.5], np.float32))
    segments = [Segment(10, 19, "happiness", ("AU12", "AU6")), Segment(0, 9, "sadness", ("AU12", "AU6"))]
    report = segment_report(time_s, proba, stage, segments)
    wild = {"split": "valid", "faces": {"sadness": 50, "neutral": 60},
            "emotions": {"sadness": {"AU4": {"auc": 0.91}, "AU15": {"auc": 0.79}}}}
    text = "\n".join(grimace_lines({"clip.mp4": {"original": report}}, wild))
    assert "| clip.mp4, original | 0.10 / 1.00 | 0.10 / 1.00 | met |" in text
    assert "| FER+ valid, 50 sad and 60 neutral faces | 0.910 | 0.790 | NOT met |" in text  # AU15 below 0.80
    proba[1, 0] = 0.9  # a second crying frame with AU12: 20%
    report = segment_report(time_s, proba, stage, segments)
    assert "| clip.mp4, original | 0.20 / 1.00 | 0.10 / 1.00 | NOT met |" in "\n".join(grimace_lines({"clip.mp4": {"original": report}}, None))


def test_a_rebuilt_au_card_keeps_the_history_of_the_card_it_replaces(tmp_path) -> None:
    from mescreen.training.au_card import with_history

    card = tmp_path / "au_detector.md"
    assert with_history("# Card\n\ntoday\n", card) == "# Card\n\ntoday\n"  # no card before
    card.write_text("# Card\n\nold figures\n\n## History\n\n### v5.1 (2026-11-29)\nold\n")
    assert with_history("# Card\n\ntoday\n", card) == "# Card\n\ntoday\n\n## History\n\n### v5.1 (2026-11-29)\nold\n"
    card.write_text("# Card\n\nno history yet\n")
    assert with_history("# Card\n\ntoday\n", card) == "# Card\n\ntoday\n"
