"""Write the shipped per-frame emotion model's recall per emotion into its JSON, from its card.

Usage: `python -m mescreen.training.frame_emotion_recall` (reads and rewrites models/frame_emotion.json).

Why from the card: the screening reads how well each emotion is read from the model's JSON
(mescreen.core.emotion.recall), and a model trained before that key existed has its FER+ test
confusion matrix only in its card, as `mescreen evaluate frame-emotion` printed it. This step reads
the first "Confusion, network" table of the card's FER+ test section for exactly the shipped
weights (the heading names their version) and stores each row's diagonal over its sum. No data and
no model run are needed, and nothing is chosen: it copies published figures into another form.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from mescreen.core.datapaths import model_version, models_dir
from mescreen.core.emotion.recall import RECALL_KEY
from mescreen.core.emotion.frame.model import CONFIG_SUFFIX, MODEL_STEM, WEIGHTS_SUFFIX
from mescreen.core.labels import FRAME_EMOTIONS

CARD = "frame_emotion.md"
#: Heading of the card's section that `mescreen evaluate frame-emotion` printed for one weights file.
SECTION = "### Output of `mescreen evaluate frame-emotion` for {version}"
TEST_HEADING = "#### FER+ test"
TABLE_TITLE = "Confusion, network (rows true, columns predicted):"


def confusion_from_card(card: str, version: str) -> tuple[list[str], np.ndarray]:
    """(labels, confusion counts) of the FER+ test table the card printed for `version`."""
    start = card.find(SECTION.format(version=version))
    if start < 0:
        raise ValueError(f"the card has no section for {version}")
    test = card.find(TEST_HEADING, start)
    title = card.find(TABLE_TITLE, test) if test >= 0 else -1
    if title < 0:
        raise ValueError(f"the card's section for {version} has no FER+ test confusion table")
    table = []
    for line in card[title + len(TABLE_TITLE):].lstrip().splitlines():
        if not line.startswith("|"):
            break
        table.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    labels, body = table[0][1:], table[2:]
    if [row[0] for row in body] != labels:
        raise ValueError("the confusion table's rows and columns name different emotions")
    return labels, np.array([[int(v) for v in row[1:]] for row in body])


def recall_per_class(labels: list[str], confusion: np.ndarray) -> dict[str, float]:
    """Each true class's share predicted right (rounded to 4 places), in FRAME_EMOTIONS order."""
    totals = confusion.sum(axis=1)
    if (totals == 0).any():
        raise ValueError("every class needs test faces for its recall")
    recall = {label: round(float(confusion[i, i] / totals[i]), 4) for i, label in enumerate(labels)}
    return {e: recall[e] for e in FRAME_EMOTIONS}


def write_recall(folder: Path | None = None) -> dict[str, float]:
    """Add the card's recall to `frame_emotion.json` in `folder` (default models/) and return it."""
    folder = folder or models_dir()
    version = model_version(folder / (MODEL_STEM + WEIGHTS_SUFFIX))
    labels, confusion = confusion_from_card((folder / "cards" / CARD).read_text(encoding="utf-8"), version)
    recall = recall_per_class(labels, confusion)
    config = folder / (MODEL_STEM + CONFIG_SUFFIX)
    meta = json.loads(config.read_text())
    meta[RECALL_KEY] = recall
    meta[RECALL_KEY + "_source"] = (f"FER+ test confusion matrix of {version} in models/cards/{CARD} "
                                    "(python -m mescreen.training.frame_emotion_recall)")
    config.write_text(json.dumps(meta, indent=2) + "\n")
    return recall


if __name__ == "__main__":
    print(", ".join(f"{emotion} {value:.3f}" for emotion, value in write_recall().items()))
