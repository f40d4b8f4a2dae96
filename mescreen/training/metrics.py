"""Classification metrics as the micro-expression literature reports them.

UF1 is the unweighted (macro) F1 and UAR the unweighted average recall (MEGC2019, See et al.,
FG 2019); both are computed over the pooled predictions of all folds, as MEGC2019 does.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.metrics import accuracy_score, confusion_matrix, precision_recall_fscore_support


@dataclass
class ClassificationReport:
    """Pooled metrics for one set of predictions."""

    labels: list[str]
    n: int
    uf1: float
    uar: float
    accuracy: float
    macro_precision: float
    macro_recall: float
    macro_f1: float
    confusion: list[list[int]]  # rows: true label, columns: predicted, in `labels` order

    @property
    def recall_per_class(self) -> dict[str, float]:
        """Recall of each label (NaN for a label with no true samples)."""
        return {lab: (row[i] / sum(row) if sum(row) else float("nan"))
                for i, (lab, row) in enumerate(zip(self.labels, self.confusion))}

    def row(self) -> str:
        """One Markdown table row: n, UF1, UAR, accuracy, macro P/R/F1."""
        return (
            f"| {self.n} | {self.uf1:.3f} | {self.uar:.3f} | {self.accuracy:.3f} | "
            f"{self.macro_precision:.3f} | {self.macro_recall:.3f} | {self.macro_f1:.3f} |"
        )

    def confusion_markdown(self) -> str:
        head = "| true \\ predicted | " + " | ".join(self.labels) + " |"
        rule = "|---" * (len(self.labels) + 1) + "|"
        body = [f"| {lab} | " + " | ".join(str(v) for v in row) + " |" for lab, row in zip(self.labels, self.confusion)]
        return "\n".join([head, rule, *body])


TABLE_HEADER = "| n | UF1 | UAR | accuracy | macro P | macro R | macro F1 |\n|---|---|---|---|---|---|---|"


def classification_report(y_true: np.ndarray, y_pred: np.ndarray, labels: list[str]) -> ClassificationReport:
    """Metrics over the label set `labels`; classes absent from y_true count with F1 0 only if predicted.

    Following MEGC2019, a class with no true samples in a subset is left out of that subset's
    macro averages (otherwise a subset without, say, surprise would be capped below 1).
    """
    y_true = np.asarray(y_true)
    y_pred = np.asarray(y_pred)
    present = [lab for lab in labels if np.any(y_true == lab)]
    p, r, f, _ = precision_recall_fscore_support(y_true, y_pred, labels=present, zero_division=0)
    cm = confusion_matrix(y_true, y_pred, labels=labels)
    return ClassificationReport(
        labels=list(labels),
        n=int(y_true.size),
        uf1=float(np.mean(f)),
        uar=float(np.mean(r)),
        accuracy=float(accuracy_score(y_true, y_pred)),
        macro_precision=float(np.mean(p)),
        macro_recall=float(np.mean(r)),
        macro_f1=float(np.mean(f)),
        confusion=cm.astype(int).tolist(),
    )
