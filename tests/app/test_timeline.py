"""Over-time tables: values per completed session and change from the patient's first sessions."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pandas as pd
import pytest

from mescreen.app import timeline
from mescreen.store.session_rows import SessionView


def _view(i: int, day: date, negative: float | None, shares: dict[str, float], status: str = "done") -> SessionView:
    now = datetime(2026, 11, 25, tzinfo=timezone.utc)
    return SessionView(
        id=i, number=i, patient_code="P", recorded_on=day, uploader="ada", file_name="f.mp4", content_hash="0",
        status=status, error=None, created_at=now, updated_at=now, level="none",
        indicators={"negative_share": negative}, raised=["negative_share"] if negative and negative > 0.7 else [],
        emotion_shares=shares, summary={"n_episodes": 4}, versions={}, video_path=None,
    )


def _shares(**given: float) -> dict[str, float]:
    return {e: given.get(e, 0.0) for e in ("neutral", "happiness", "surprise", "sadness", "anger", "disgust",
                                          "fear", "contempt")}


VIEWS = [
    _view(2, date(2026, 2, 1), 0.4, _shares(sadness=0.5, disgust=0.5)),
    _view(1, date(2026, 1, 1), 0.2, _shares(sadness=1.0)),
    _view(3, date(2026, 3, 1), 0.9, _shares(disgust=1.0)),
    _view(5, date(2026, 3, 15), 0.5, {}),  # no labelled episode: shares unknown
    _view(6, date(2026, 3, 20), 0.3, _shares(sadness=0.25, disgust=0.75)),
    _view(4, date(2026, 4, 1), None, {}, status="failed"),
]


def test_change_is_from_the_mean_of_all_earlier_sessions_once_there_are_enough():
    frame = timeline.indicator_frame(VIEWS, {"negative_share": "Negative share"})
    assert frame["session"].tolist() == [1, 2, 3, 5, 6]  # by date; the failed session is left out
    assert frame["metric"].unique().tolist() == ["Negative share"]
    change = frame["change"].tolist()
    assert all(pd.isna(c) for c in change[:3])  # fewer than 3 earlier sessions: not shown
    assert change[3:] == pytest.approx([0.5 - 0.5, 0.3 - 0.5])


def test_a_session_without_labelled_episodes_is_a_gap_not_zero():
    frame = timeline.emotion_share_frame(VIEWS)
    sadness = frame[frame["metric"] == "sadness"]
    values = sadness["value"].tolist()
    assert values[:3] == [1.0, 0.5, 0.0] and pd.isna(values[3]) and values[4] == 0.25
    assert sadness["change"].tolist()[4] == pytest.approx(0.25 - 0.5)


def test_sessions_table_names_raised_indicators():
    table = timeline.sessions_table(VIEWS, {"negative_share": "Negative share"})
    assert table.loc[table["session"] == 3, "raised indicators"].item() == "Negative share"
    assert len(table) == 6


def test_no_sessions_gives_empty_frames():
    assert timeline.indicator_frame([]).empty and timeline.emotion_share_frame([]).empty


def test_sessions_keep_their_own_numbers_and_are_listed_in_recording_order():
    frame = timeline.indicator_frame(VIEWS)
    assert frame["number"].tolist() == [1, 2, 3, 5, 6]  # the stored numbers, not the places 1..5
    table = timeline.sessions_table(VIEWS)
    assert table["session"].tolist() == [1, 2, 3, 5, 6, 4]
    assert table["recording order"].tolist() == [1, 2, 3, 4, 5, 6]


def test_change_names_its_baseline():
    frame = timeline.indicator_frame(VIEWS)
    row = frame[frame["session"] == 6].iloc[0]
    assert row["baseline"] == pytest.approx(0.5) and row["earlier"] == 4
    assert "earlier analysed sessions" in timeline.BASELINE_WORDS


def test_two_sessions_side_by_side_keep_missing_values_missing():
    first, second = VIEWS[1], VIEWS[3]  # session 1 (sadness 1.0) and session 5 (no labelled episodes)
    table = timeline.compare(first, second, {"negative_share": "Negative share"}).set_index("figure")
    assert table.loc["Negative share"].tolist() == ["20%", "50%", "+30 points"]  # a share, in its unit
    assert table.loc["Share of episodes read as sadness"].tolist() == ["100%", "-", "-"]


def test_the_comparison_names_each_figure_once_in_its_unit_and_leaves_out_what_neither_has():
    """Issue 27: rows "face seconds", "share anger" showed no values beside the emotion-share rows."""
    from dataclasses import replace

    first = replace(VIEWS[1], indicators={"face_seconds": 19.7, "share_sadness": 1.0, "episode_rate": None},
                    indicator_labels={"face_seconds": "Seconds of video with a face"})
    second = replace(VIEWS[0], indicators={"face_seconds": 31.0, "share_sadness": 0.5, "episode_rate": None})
    table = timeline.compare(first, second).set_index("figure")
    assert table.loc["Seconds of video with a face"].tolist() == ["19.7 s", "31.0 s", "+11.3"]
    assert table.loc["Share of episodes read as sadness"].tolist() == ["100%", "50%", "-50 points"]
    assert table.loc["Share of episodes read as disgust"].tolist() == ["0%", "50%", "+50 points"]
    assert not any("share_" in f or f.startswith("share ") for f in table.index)
    assert "episode_rate" not in table.index and "episode rate" not in table.index  # neither has a value
    assert len(table.index) == len(set(table.index))
