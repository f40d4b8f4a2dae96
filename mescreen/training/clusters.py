"""Fit the reference ME clusters from the datasets' FACS coding sheets (SAMM, CASME II, CK+).

Emotion names are mapped onto mescreen.core.labels.EMOTIONS_FINE: SAMM's capitalised names are
lower-cased and its "Other" dropped; CASME II's "repression" (a masked, suppressed expression in
that dataset's scheme) and "others" have no fine emotion and are dropped; CK+'s labels come from
mescreen.training.ckplus.read_ckplus_labels ("happy" becomes "happiness") and each CK+ sequence counts
once (its FACS code applies to all three stored frames).
AU codes are parsed with mescreen.core.aus.facs: AUs written as ref(...) are left out, "X or Y" alternatives
kept (both), side and intensity letters ignored.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from mescreen.core.aus.facs import au_vector
from mescreen.core.labels import AU_NAMES, EMOTIONS_FINE
from mescreen.core.episodes.clusters import MESubdivider
from mescreen.training.ckplus import read_ckplus_labels

SOURCES = ("samm", "casme2", "ckplus")

_SAMM_SHEET = Path("au_sheets") / "samm_facs_codes_v2.csv"
_CASME_SHEET = Path("au_sheets") / "casme2_coding_2019.csv"


@dataclass
class CodedSamples:
    """Binary AU rows with their fine emotion, source dataset and a sample id (no images, no rows copied)."""

    X: np.ndarray  # (n, len(au_names)) 0/1
    emotions: list[str]
    datasets: list[str]
    ids: list[str]
    au_names: list[str]
    dropped: dict[str, Counter]  # dataset -> emotion labels left out and how often

    def subset(self, datasets: set[str]) -> "CodedSamples":
        keep = [i for i, d in enumerate(self.datasets) if d in datasets]
        return CodedSamples(
            self.X[keep], [self.emotions[i] for i in keep], [self.datasets[i] for i in keep],
            [self.ids[i] for i in keep], self.au_names, {d: c for d, c in self.dropped.items() if d in datasets},
        )


def fine_emotion(label: str) -> str:
    """A dataset's emotion name as a fine emotion, or "" when it has none (other, repression...)."""
    name = label.strip().lower()
    return name if name in EMOTIONS_FINE else ""


def load_coded_samples(data_root: Path, sources: tuple[str, ...] = SOURCES, au_names: list[str] | None = None) -> CodedSamples:
    """Read the sheets named in `sources` from the research data folder."""
    unknown = set(sources) - set(SOURCES)
    if unknown:
        raise ValueError(f"unknown source(s) {sorted(unknown)}; choose from {list(SOURCES)}")
    names = list(au_names) if au_names is not None else list(AU_NAMES)
    rows: list[tuple[list[int], str, str, str]] = []
    dropped: dict[str, Counter] = {}
    if "samm" in sources:
        sheet = pd.read_csv(data_root / _SAMM_SHEET, dtype=str)
        rows += _coded_rows(sheet, "samm", "Filename", "Action Units", "Estimated Emotion", names, dropped)
    if "casme2" in sources:
        sheet = pd.read_csv(data_root / _CASME_SHEET, dtype=str)
        sheet["sample"] = sheet["Subject"].str.zfill(2) + "/" + sheet["Filename"]
        rows += _coded_rows(sheet, "casme2", "sample", "Action Units", "Estimated Emotion", names, dropped)
    if "ckplus" in sources:
        rows += _ckplus_rows(read_ckplus_labels(data_root), names, dropped)
    X = np.array([r[0] for r in rows], dtype=np.int8).reshape(len(rows), len(names))
    return CodedSamples(X, [r[1] for r in rows], [r[2] for r in rows], [r[3] for r in rows], names, dropped)


def _coded_rows(sheet: pd.DataFrame, dataset: str, id_col: str, au_col: str, emotion_col: str,
                names: list[str], dropped: dict[str, Counter]) -> list[tuple[list[int], str, str, str]]:
    out = []
    for _, row in sheet.iterrows():
        emotion = fine_emotion(str(row[emotion_col]))
        if not emotion:
            dropped.setdefault(dataset, Counter())[str(row[emotion_col]).strip().lower()] += 1
            continue
        out.append((au_vector(row[au_col], names), emotion, dataset, f"{dataset}:{row[id_col]}"))
    return out


def _ckplus_rows(sheet: pd.DataFrame, names: list[str], dropped: dict[str, Counter]) -> list[tuple[list[int], str, str, str]]:
    """One row per CK+ sequence, from its binary AU columns (AUs the sheet lacks stay 0)."""
    out = []
    for video, seq in sheet.groupby("video", sort=True):
        first = seq.iloc[0]
        emotion = fine_emotion(str(first["emotion"]))
        if not emotion:
            dropped.setdefault("ckplus", Counter())[str(first["emotion"])] += 1
            continue
        vector = [int(first[a]) if a in sheet.columns else 0 for a in names]
        out.append((vector, emotion, "ckplus", f"ckplus:{video}"))
    return out


def fit_reference(samples: CodedSamples, k_min: int = 2, k_max: int = 8, random_state: int = 0) -> MESubdivider:
    """The per-emotion K-means with silhouette selection over k_min..k_max."""
    model = MESubdivider(k_min=k_min, k_max=k_max, random_state=random_state, au_names=samples.au_names)
    return model.fit(samples.X, samples.emotions, sample_ids=samples.ids)


def provenance(samples: CodedSamples, command: str) -> dict:
    """What the model was fitted on, in counts (recorded in the model file and its card)."""
    counts: dict[str, dict[str, int]] = {}
    for dataset, emotion, row in zip(samples.datasets, samples.emotions, samples.X):
        if row.any():
            counts.setdefault(dataset, Counter())[emotion] += 1
    no_au = Counter(d for d, row in zip(samples.datasets, samples.X) if not row.any())
    return {
        "command": command,
        "samples_per_dataset_emotion": {d: dict(sorted(c.items())) for d, c in sorted(counts.items())},
        "left_out_without_any_au": dict(sorted(no_au.items())),
        "left_out_emotion_labels": {d: dict(sorted(c.items())) for d, c in sorted(samples.dropped.items())},
    }


def markdown_summary(model: MESubdivider) -> str:
    """Clusters and silhouette curves as Markdown (for the comparison document and the card)."""
    lines = ["| cluster | paper name | size | characteristic AUs | AU shares |", "|---|---|---|---|---|"]
    for c in model.clusters_:
        shares = ", ".join(f"{a} {s:.2f}" for a, s in sorted(c.au_share.items(), key=lambda kv: -kv[1])[:6])
        lines.append(f"| {c.name} | {c.paper_name or '-'} | {c.size} | {{{', '.join(c.aus)}}} | {shares} |")
    lines += ["", "| emotion | chosen k | s(k) for k = " + ", ".join(map(str, range(model.k_min, model.k_max + 1))) + " |",
              "|---|---|---|"]
    for curve in model.silhouette_:
        values = ", ".join(f"{k}: {s:.3f}" for k, s in zip(curve.k, curve.silhouette)) or "(too few distinct combinations)"
        lines.append(f"| {curve.emotion} | {curve.chosen_k} | {values} |")
    return "\n".join(lines)
