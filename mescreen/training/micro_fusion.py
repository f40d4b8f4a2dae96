"""How the micro-expression reading the pipeline fuses fares on micro-expressions it never saw.

The pipeline names a micro-expression's emotion by a product of three readings at its apex
(mescreen.core.episodes.expressions.micro_emotion, docs/clinical_figures.md): the per-frame emotion model,
the ME network's negative / positive / surprise reading of the onset->apex flow, and the AU->emotion
mapping of the active AUs. This module scores each reading alone, the per-frame model with the ME
network, and all three, on MEGC2019 across datasets: every trained part that saw MEGC data is
retrained on the other dataset (the ME network on its flow images, the AU mapping on its coding
sheet plus CK+); the per-frame model never saw MEGC (FER+ only). Metrics: the fine emotion (the
datasets' own estimated emotion, where it is one of the seven) and the composite three classes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from mescreen.core.episodes.expressions import fine_probabilities, micro_emotion
from mescreen.core.labels import EMOTIONS_3, EMOTIONS_FINE, FINE_TO_3
from mescreen.training.metrics import ClassificationReport, classification_report

#: One reading per sample: fine-emotion probabilities ({} for a reading without fine emotions) and
#: the three composite classes' probabilities.
Reading = tuple[list[dict[str, float]], np.ndarray]


def composite(fine: Sequence[dict[str, float]]) -> np.ndarray:
    """(n, 3) probabilities of EMOTIONS_3: each composite class sums its fine emotions."""
    return np.array([[sum(p.get(e, 0.0) for e in EMOTIONS_FINE if FINE_TO_3[e] == c) for c in EMOTIONS_3]
                     for p in fine])


def readings(frame: np.ndarray, cnn3: np.ndarray, mapper: np.ndarray) -> dict[str, Reading]:
    """Each reading and fusion for n samples: `frame` (n, 8) per-frame probabilities (FRAME_EMOTIONS
    order), `cnn3` (n, 3) ME network probabilities (EMOTIONS_3 order), `mapper` (n, 7) AU-mapping
    probabilities (EMOTIONS_FINE order)."""
    cnn = [dict(zip(EMOTIONS_3, map(float, row))) for row in cnn3]
    maps = [dict(zip(EMOTIONS_FINE, map(float, row))) for row in mapper]
    flat = {e: 1.0 for e in EMOTIONS_FINE}  # a mapping with no opinion
    frame_alone = [fine_probabilities(row) for row in frame]
    both = [micro_emotion(f, c, flat) for f, c in zip(frame, cnn)]
    runtime = [micro_emotion(f, c, m) for f, c, m in zip(frame, cnn, maps)]
    return {
        "per-frame emotion model alone": (frame_alone, composite(frame_alone)),
        "AU mapping alone (coded AUs)": (maps, composite(maps)),
        "ME network alone": ([{} for _ in cnn], np.asarray(cnn3, float)),
        "per-frame model x ME network": (both, composite(both)),
        "per-frame model x ME network x AU mapping (the pipeline's product)": (runtime, composite(runtime)),
    }


@dataclass
class FusionRow:
    """One reading's figures on one test set: fine emotions (None without them) and composite."""

    test: str
    reading: str
    fine: ClassificationReport | None
    three: ClassificationReport


def score(test: str, reading: str, values: Reading, fine_true: np.ndarray, three_true: np.ndarray) -> FusionRow:
    """Fine figures over the samples whose `fine_true` is one of the seven emotions; composite over all."""
    fine, three = values
    keep = np.isin(fine_true, EMOTIONS_FINE)
    fine_report = None
    if fine and fine[0]:
        predicted = np.array([max(p, key=p.get) for p in fine])
        fine_report = classification_report(fine_true[keep], predicted[keep], list(EMOTIONS_FINE))
    three_report = classification_report(three_true, np.array(EMOTIONS_3)[np.argmax(three, axis=1)], list(EMOTIONS_3))
    return FusionRow(test, reading, fine_report, three_report)


def fusion_table(rows: Sequence[FusionRow]) -> str:
    """Markdown: fine-emotion and composite UF1 / UAR / accuracy per reading and test set."""
    def cells(r: ClassificationReport | None) -> str:
        return "– | – | –" if r is None else f"{r.uf1:.3f} | {r.uar:.3f} | {r.accuracy:.3f}"

    lines = ["| tested on | reading | n fine | fine UF1 | fine UAR | fine accuracy | n | 3-class UF1 | "
             "3-class UAR | 3-class accuracy |", "|---|---|---|---|---|---|---|---|---|---|"]
    for row in rows:
        n_fine = "–" if row.fine is None else str(row.fine.n)
        lines.append(f"| {row.test} | {row.reading} | {n_fine} | {cells(row.fine)} | {row.three.n} | "
                     f"{cells(row.three)} |")
    return "\n".join(lines)


def fused_rows(test: str, frame: np.ndarray, cnn3: np.ndarray, mapper: np.ndarray, fine_true: np.ndarray,
               three_true: np.ndarray, baselines: dict[str, Reading] | None = None) -> list[FusionRow]:
    """`score` of every reading (and of any `baselines`) on one test set."""
    found = {**readings(frame, cnn3, mapper), **(baselines or {})}
    return [score(test, reading, values, fine_true, three_true) for reading, values in found.items()]
