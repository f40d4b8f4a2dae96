"""The micro-expression fusion measurement: each reading, the pipeline's product, and the scoring."""

from __future__ import annotations

import numpy as np
import pytest

from mescreen.core.episodes.expressions import micro_emotion
from mescreen.core.labels import EMOTIONS_3, EMOTIONS_FINE, FRAME_EMOTIONS
from mescreen.training.micro_fusion import composite, fused_rows, fusion_table, readings


def _frame(emotion: str) -> np.ndarray:
    row = np.full(len(FRAME_EMOTIONS), 0.02)
    row[FRAME_EMOTIONS.index(emotion)] = 0.86
    return row


def test_readings_are_the_pipeline_product_and_its_parts():
    frame = np.stack([_frame("sadness"), _frame("neutral")])
    cnn3 = np.array([[0.1, 0.1, 0.8], [0.2, 0.7, 0.1]])  # negative, positive, surprise
    mapper = np.full((2, 7), 1 / 7)
    mapper[1, EMOTIONS_FINE.index("happiness")] = 0.7
    found = readings(frame, cnn3, mapper)
    product = found["per-frame model x ME network x AU mapping (the pipeline's product)"][0]
    expected = micro_emotion(frame[1], dict(zip(EMOTIONS_3, cnn3[1])), dict(zip(EMOTIONS_FINE, mapper[1])))
    assert product[1] == pytest.approx(expected)
    assert max(product[1], key=product[1].get) == "happiness"  # neutral frame: the CNN and AUs decide
    frame_alone = found["per-frame emotion model alone"]
    assert max(frame_alone[0][0], key=frame_alone[0][0].get) == "sadness"
    assert frame_alone[1][0].argmax() == EMOTIONS_3.index("negative")
    assert found["ME network alone"][1] == pytest.approx(cnn3) and found["ME network alone"][0] == [{}, {}]
    assert composite([{"anger": 0.2, "fear": 0.3, "happiness": 0.5}])[0] == pytest.approx([0.5, 0.5, 0.0])


def test_fine_scores_leave_out_labels_that_are_not_one_of_the_seven():
    frame = np.stack([_frame("happiness"), _frame("disgust"), _frame("disgust")])
    cnn3 = np.array([[0.1, 0.8, 0.1], [0.8, 0.1, 0.1], [0.8, 0.1, 0.1]])
    rows = fused_rows("set", frame, cnn3, np.full((3, 7), 1 / 7), np.array(["happiness", "disgust", "repression"]),
                      np.array(["positive", "negative", "negative"]))
    product = rows[-1]
    assert product.fine.n == 2 and product.fine.accuracy == 1.0 and product.three.n == 3
    network = next(r for r in rows if r.reading == "ME network alone")
    assert network.fine is None and network.three.accuracy == 1.0
    assert "| set | ME network alone | – | – | – | – | 3 |" in fusion_table(rows)
