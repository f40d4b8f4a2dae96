"""How well each emotion is read: the owner's words and limit, the shipped model's recall (copied
from its card's FER+ test confusion matrix), and the screening leaving unread emotions unjudged."""

from __future__ import annotations

import json

import numpy as np
import pytest

from mescreen.core.datapaths import model_version, models_dir
from mescreen.core.emotion.recall import (
    READ_LIMIT, RECALL_KEY, not_read, reading_sentence, reading_text, recall_from_meta,
)
from mescreen.core.labels import FRAME_EMOTIONS
from mescreen.core.result import SessionClusters
from mescreen.core.screening.indicators import indicator_emotions, load_config, screen
from mescreen.training.frame_emotion_recall import confusion_from_card, recall_per_class
from tests.core.test_screening_v2 import _by_key, _episodes, make_series

#: The v3 pattern: disgust and contempt hardly recognised, fear poorly, the rest fairly well or well.
RECALL = {"neutral": 0.79, "happiness": 0.93, "surprise": 0.74, "sadness": 0.75, "anger": 0.69,
          "disgust": 0.08, "fear": 0.45, "contempt": 0.0}


def test_words_follow_the_recall_bands_and_say_unknown_when_unknown():
    assert reading_sentence("disgust", RECALL).startswith("Disgust is not read by this version")
    assert "8% of the disgust faces" in reading_sentence("disgust", RECALL)
    assert reading_sentence("fear", RECALL) == ("Fear is read poorly by this version (it recognised 45% of the "
                                                "fear faces in a test set): treat its share with care.")
    assert "read fairly well" in reading_sentence("anger", RECALL)
    assert "read well" in reading_sentence("happiness", RECALL)
    assert reading_text(["sadness"], {}) == ("How well this emotion is read: unknown (the emotion model of this "
                                             "session recorded no test figures).")
    assert reading_text(["fear", "sadness"], {"fear": 0.45}).endswith("How well sadness is read: unknown.")


def test_not_read_is_below_the_limit_and_unknown_is_not_unread():
    assert not_read(list(RECALL), RECALL) == ["disgust", "contempt"]
    assert not_read(["fear"], {"fear": READ_LIMIT}) == [] and not_read(["fear"], {}) == []
    with pytest.raises(ValueError, match="in \\[0, 1\\]"):
        recall_from_meta({RECALL_KEY: {"fear": 45.0}})
    assert recall_from_meta({}) == {}


def test_the_shipped_model_records_the_recall_its_card_published():
    folder = models_dir()
    meta = json.loads((folder / "frame_emotion.json").read_text())
    recall = recall_from_meta(meta)
    assert set(recall) == set(FRAME_EMOTIONS)
    labels, confusion = confusion_from_card((folder / "cards" / "frame_emotion.md").read_text(),
                                            model_version(folder / "frame_emotion.weights.npz"))
    assert confusion.sum() > 1000  # a FER+ test table, not a stub
    assert recall == pytest.approx(recall_per_class(labels, confusion), abs=1e-4)


def test_card_table_to_recall():
    card = ("### Output of `mescreen evaluate frame-emotion` for m.npz@1\n\n#### FER+ test, 3 faces\n\n"
            "Confusion, network (rows true, columns predicted):\n\n"
            "| true \\ predicted | " + " | ".join(FRAME_EMOTIONS) + " |\n" + "|---" * 9 + "|\n"
            + "".join(f"| {e} | " + " | ".join("3" if j == i else "1" for j in range(8)) + " |\n"
                      for i, e in enumerate(FRAME_EMOTIONS)) + "\nConfusion, baseline:\n")
    labels, confusion = confusion_from_card(card, "m.npz@1")
    assert labels == FRAME_EMOTIONS and confusion.shape == (8, 8)
    assert recall_per_class(labels, confusion) == {e: 0.3 for e in FRAME_EMOTIONS}
    with pytest.raises(ValueError, match="no section"):
        confusion_from_card(card, "other.npz@2")


def test_indicators_counting_an_unread_emotion_are_not_judged_like_unread_aus():
    series = make_series(sad_share=0.5)
    series.emotion_recall = dict(RECALL)
    episodes = _episodes(micro=3, macro=3)  # six sadness episodes: every share can be computed
    got = _by_key(screen(series, episodes, SessionClusters()))
    for key in ("time_share_sharma_emotions", "negative_share"):  # both count disgust
        assert got[key].value is None and not got[key].raised, key
        assert "Not judged:" in got[key].evidence and "disgust" in got[key].evidence.split("Not judged:")[1]
        assert "not read by the emotion model" in got[key].evidence
    assert got["share_disgust"].value is None and got["share_contempt"].value is None
    assert got["time_share_sadness"].value == pytest.approx(0.5) and got["time_share_sadness"].raised
    assert got["share_sadness"].value == pytest.approx(1.0)
    unknown = _by_key(screen(make_series(sad_share=0.5), episodes, SessionClusters()))  # no recall: as before
    assert unknown["time_share_sharma_emotions"].value == pytest.approx(0.5)
    assert unknown["negative_share"].value == pytest.approx(1.0) and unknown["negative_share"].raised


def test_indicator_emotions_names_what_each_emotion_indicator_counts():
    rules = {r["key"]: r for r in load_config()["rules"]}
    assert indicator_emotions("negative_share", rules) == ["anger", "contempt", "disgust", "fear", "sadness"]
    assert indicator_emotions("change_time_share_sadness", rules) == ["sadness"]
    assert indicator_emotions("share_fear", rules) == ["fear"]
    assert indicator_emotions("au12_per_minute", rules) == [] and indicator_emotions("face_seconds", rules) == []
    assert np.isclose(READ_LIMIT, 0.35)
