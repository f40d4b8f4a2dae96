"""The emotion fusion learns what the AU readings add, keeps the frame model where AUs are
missing, and survives a save/load round trip as plain JSON."""

from __future__ import annotations

import numpy as np
import pytest

from mescreen.core.emotion_fusion import EmotionFusion
from mescreen.core.errors import ModelMissingError
from mescreen.core.labels import FRAME_EMOTIONS


def _data(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Frame model confuses sadness (3) with happiness (1); AU4 tells them apart."""
    y = rng.choice([1, 3], n)
    emotion = np.full((n, 8), 0.02)
    emotion[:, 1] = 0.86  # always says happiness
    au = rng.uniform(0, 0.2, (n, 2))
    au[y == 3, 0] += 0.7  # AU4 up in sadness
    return emotion, au, y


def test_an_au_that_tells_two_emotions_apart_corrects_the_frame_model(tmp_path) -> None:
    rng = np.random.default_rng(0)
    emotion, au, y = _data(400, rng)
    fusion = EmotionFusion(["AU4", "AU12"], C=1.0).fit(emotion, au, y)
    test_e, test_au, test_y = _data(200, rng)
    fused = fusion.predict_proba(test_e, test_au)
    assert np.mean(np.argmax(test_e, axis=1) == test_y) < 0.6
    assert np.mean(np.argmax(fused, axis=1) == test_y) > 0.95
    np.testing.assert_allclose(fused.sum(axis=1), 1.0, atol=1e-5)
    fusion.save(tmp_path / "emotion_fusion.json")
    loaded = EmotionFusion.load(tmp_path)
    np.testing.assert_allclose(loaded.predict_proba(test_e, test_au), fused, atol=1e-5)
    assert loaded.version


def test_frames_without_an_au_reading_keep_the_frame_model() -> None:
    rng = np.random.default_rng(1)
    emotion, au, y = _data(100, rng)
    fusion = EmotionFusion(["AU4", "AU12"]).fit(emotion, au, y)
    au[:5] = np.nan
    out = fusion.predict_proba(emotion, au)
    np.testing.assert_allclose(out[:5], emotion[:5].astype(np.float32))
    assert not np.allclose(out[5:], emotion[5:])


def test_columns_are_found_by_name_and_a_missing_au_or_file_is_a_clear_error(tmp_path) -> None:
    fusion = EmotionFusion(["AU4", "AU12"])
    assert fusion.columns(["AU1", "AU12", "AU4"]) == [2, 1]
    with pytest.raises(ModelMissingError, match="AU12"):
        fusion.columns(["AU4"])
    with pytest.raises(ModelMissingError, match="train emotion-fusion"):
        EmotionFusion.load(tmp_path)
    assert len(FRAME_EMOTIONS) == 8
