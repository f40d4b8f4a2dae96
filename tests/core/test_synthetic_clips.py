"""The constructed clips' building blocks (mescreen.training.synthetic_clips) on drawn frames."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from mescreen.training.face_reading import read_labels
from mescreen.training.synthetic_clips import Clip, Motion, moving, ping_pong, spliced, syllable_openings


def _frame(value: int) -> np.ndarray:
    return np.full((90, 160, 3), value, np.uint8)


def test_ping_pong_turns_without_repeating_a_frame() -> None:
    assert ping_pong([0, 1, 2], 9) == [0, 1, 2, 1, 0, 1, 2, 1, 0]


def test_a_spliced_expression_is_labelled_from_its_first_to_its_last_frame(tmp_path: Path) -> None:
    clip = spliced([_frame(10), _frame(20)], [_frame(100), _frame(110)], [_frame(200)], 10.0, 1.0, 2.0, "happiness")
    assert len(clip.frames) == 10 + 5 + 20 and clip.frames[10][0, 0, 0] == 100 and clip.frames[12][0, 0, 0] == 200
    _, (start, end, expression, _), (after, last, _, _) = clip.labels
    assert (start, end, expression) == (1.0, pytest.approx(1.4), "happiness") and after == pytest.approx(1.5)
    path = clip.write(tmp_path, "clip")
    segments = read_labels(path.with_suffix(".labels.csv"))
    assert [s.expression for s in segments] == ["neutral", "happiness", "neutral"]
    assert int(cv2.VideoCapture(str(path)).get(cv2.CAP_PROP_FRAME_COUNT)) == 35


def test_syllables_open_and_close_the_jaw_several_times_a_second() -> None:
    openings = syllable_openings(300, 30.0)
    assert 0.0 <= openings.min() and openings.max() <= 1.0
    rises = np.sum((openings[1:] > 0.05) & (openings[:-1] <= 0.05))
    assert 15 <= rises <= 40  # about 4 a second while speaking, with pauses, over 10 s


def test_a_pan_moves_the_face_and_says_when_it_is_out_of_view() -> None:
    frames = [_frame(0) for _ in range(40)]
    for f in frames:
        cv2.circle(f, (80, 45), 10, (255, 255, 255), -1)
    # 60 degrees a second over a 60-degree view of 160 pixels: 160 pixels a second, swinging over +-40 degrees
    clip, visible = moving(frames, 20.0, Motion(pan_speed=60.0, pan_deg=40.0), [(80.0, 45.0, 20.0)] * 40)
    assert isinstance(clip, Clip) and len(clip.frames) == 40
    shifted = np.argwhere(clip.frames[5][:, :, 0] > 128)[:, 1].mean()
    assert shifted == pytest.approx(80 + 160 * 5 / 20, abs=1.5)
    assert visible[0] and not visible[12]  # by 0.6 s the face is 96 pixels right: out of the picture
