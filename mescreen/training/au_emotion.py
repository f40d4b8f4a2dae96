"""Cross-dataset evaluation and training of the AU -> emotion mapping (mescreen/core/emotion/au_mapping.py).

Data: the coded AU sets with the coders' estimated emotion from three sources, read in place:
CASME II (au_sheets/casme2_coding_2019.csv, the 2019 revision), SAMM
(au_sheets/samm_facs_codes_v2.csv) and CK+ (ckplus48/labels.csv, one row per sequence).
Samples labelled outside EMOTIONS_FINE (CASME II "others" / "repression", SAMM "other") are left
out: the mapping names fine emotions only.

Protocol: train on one dataset, test on another (all six directions), plus leave-one-dataset-out
(train on the other two). A dataset never tests on its own subjects, so no subject overlap is
possible. UF1 / UAR follow MEGC2019 (mescreen/training/metrics.py): classes absent from a test set
are left out of its averages; classes the training set lacks are still scored (recall 0), which
is the honest cost of a dataset's narrow label set. The prototype rules are scored on each test
set as the knowledge-based baseline.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mescreen.core import datapaths
from mescreen.core.emotion.au_mapping import MODEL_FILE, AUEmotionMapper, PrototypeRules
from mescreen.core.errors import InputError
from mescreen.core.aus.facs import parse_facs
from mescreen.core.labels import EMOTIONS_3, EMOTIONS_FINE, FINE_TO_3
from mescreen.training.ckplus import read_ckplus_labels
from mescreen.training.metrics import classification_report

DATASETS = ("casme2", "samm", "ckplus")


def load_coded_sets(root: Path) -> pd.DataFrame:
    """One row per coded sample: dataset, subject, aus (frozenset of AU numbers), emotion."""
    sheets = Path(root) / "au_sheets"
    casme = pd.read_csv(sheets / "casme2_coding_2019.csv", dtype=str)
    samm = pd.read_csv(sheets / "samm_facs_codes_v2.csv", dtype=str)
    ck = read_ckplus_labels(root).drop_duplicates("video")
    au_cols = [c for c in ck.columns if c.startswith("AU") and c[2:].isdigit()]
    frames = [
        pd.DataFrame({
            "dataset": "casme2", "subject": "casme2_" + casme["Subject"].str.strip(),
            "aus": [parse_facs(c).aus() for c in casme["Action Units"]],
            "emotion": casme["Estimated Emotion"].str.strip().str.lower(),
        }),
        pd.DataFrame({
            "dataset": "samm", "subject": "samm_" + samm["Subject"].str.strip(),
            "aus": [parse_facs(c).aus() for c in samm["Action Units"]],
            "emotion": samm["Estimated Emotion"].str.strip().str.lower(),
        }),
        pd.DataFrame({
            "dataset": "ckplus", "subject": "ckplus_" + ck["subject"],
            "aus": [frozenset(int(c[2:]) for c in au_cols if row[c]) for _, row in ck[au_cols].iterrows()],
            "emotion": ck["emotion"],
        }),
    ]
    table = pd.concat(frames, ignore_index=True)
    return table[table["emotion"].isin(EMOTIONS_FINE)].reset_index(drop=True)


def _score(y_true: pd.Series, y_pred: list[str]) -> dict[str, Any]:
    rep = classification_report(np.asarray(y_true, str), np.asarray(y_pred, str), EMOTIONS_FINE)
    return {"n": rep.n, "uf1": rep.uf1, "uar": rep.uar, "accuracy": rep.accuracy, "confusion": rep.confusion}


def cross_dataset_evaluation(table: pd.DataFrame, C: float = 1.0) -> dict[str, Any]:
    """Learned mapping in every train -> test direction, and the prototype rules on each test set.

    Each learned entry also carries `shared`: the same figures restricted to test samples whose
    emotion the training set contains (what the mapping could possibly get right).
    """
    out: dict[str, Any] = {"counts": {}, "learned": [], "rules": {}}
    for d in DATASETS:
        out["counts"][d] = table[table.dataset == d]["emotion"].value_counts().to_dict()
    splits = [((a,), b) for a in DATASETS for b in DATASETS if a != b]
    splits += [(tuple(d for d in DATASETS if d != b), b) for b in DATASETS]
    for train_sets, test_set in splits:
        train = table[table.dataset.isin(train_sets)]
        test = table[table.dataset == test_set]
        mapper = AUEmotionMapper(C=C).fit(list(train.aus), list(train.emotion))
        pred = mapper.predict(list(test.aus))
        shared = test.emotion.isin(mapper.classes_).to_numpy()
        out["learned"].append({
            "train": "+".join(train_sets), "test": test_set, "train_classes": mapper.classes_,
            **_score(test.emotion, pred),
            "shared": _score(test.emotion[shared], [p for p, s in zip(pred, shared) if s]),
        })
    rules = PrototypeRules()
    for d in DATASETS:
        test = table[table.dataset == d]
        out["rules"][d] = _score(test.emotion, rules.predict(list(test.aus)))
    return out


def chain_evaluation(
    table: pd.DataFrame, active_sets: list[set[str]], emotions: np.ndarray, sources: np.ndarray, C: float = 1.0
) -> dict[str, Any]:
    """Emotion from detected AU sets: per image dataset, a mapping learned on the other two datasets.

    `active_sets`, `emotions`, `sources` describe the images (detector output, the dataset's label,
    the dataset); images whose label is outside EMOTIONS_FINE are left out.
    """
    emotions = np.asarray(emotions, str)
    sources = np.asarray(sources, str)
    out: dict[str, Any] = {}
    for d in DATASETS:
        rows = np.flatnonzero((sources == d) & np.isin(emotions, EMOTIONS_FINE))
        if rows.size == 0:
            continue
        train = table[table.dataset != d]
        mapper = AUEmotionMapper(C=C).fit(list(train.aus), list(train.emotion))
        pred = mapper.predict([active_sets[i] for i in rows])
        out[d] = {"train": "+".join(x for x in DATASETS if x != d), **_score(emotions[rows], pred)}
    return out


def chain_markdown(chain: dict[str, Any]) -> str:
    lines = ["| images | mapping trained on | n | UF1 | UAR | accuracy |", "|---|---|---|---|---|---|"]
    for d, r in chain.items():
        lines.append(f"| {d} | {r['train']} | {r['n']} | {r['uf1']:.3f} | {r['uar']:.3f} | {r['accuracy']:.3f} |")
    return "\n".join(lines)


def markdown_report(evaluation: dict[str, Any]) -> str:
    """The tables printed by `mescreen evaluate mapping` and copied into the model card."""
    lines = ["Learned mapping (train -> test):", "",
             "| train | test | n | UF1 | UAR | accuracy | UF1 shared classes | UAR shared classes | n shared |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in evaluation["learned"]:
        s = r["shared"]
        lines.append(f"| {r['train']} | {r['test']} | {r['n']} | {r['uf1']:.3f} | {r['uar']:.3f} | "
                     f"{r['accuracy']:.3f} | {s['uf1']:.3f} | {s['uar']:.3f} | {s['n']} |")
    lines += ["", "FACS/EMFACS prototype rules (no training):", "",
              "| test | n | UF1 | UAR | accuracy |", "|---|---|---|---|---|"]
    for d, r in evaluation["rules"].items():
        lines.append(f"| {d} | {r['n']} | {r['uf1']:.3f} | {r['uar']:.3f} | {r['accuracy']:.3f} |")
    lines += ["", "Samples per emotion: " + "; ".join(
        f"{d}: " + ", ".join(f"{e} {n}" for e, n in sorted(c.items())) for d, c in evaluation["counts"].items())]
    return "\n".join(lines)


def train_mapping_and_report(
    root: Path, out_dir: Path, *, C: float = 1.0, command: str = "", log: Callable[[str], None] = lambda _: None
) -> Path:
    """Evaluate across datasets, then fit on all three and save au_emotion.json."""
    table = load_coded_sets(root)
    evaluation = cross_dataset_evaluation(table, C)
    log(markdown_report(evaluation))
    mapper = AUEmotionMapper(C=C).fit(list(table.aus), list(table.emotion))
    mapper.metadata = {
        "command": command, "data": {d: int((table.dataset == d).sum()) for d in DATASETS},
        "evaluation": evaluation,
    }
    path = Path(out_dir) / MODEL_FILE
    mapper.save(path)
    card = Path(out_dir) / "cards" / "au_emotion.md"
    card.parent.mkdir(parents=True, exist_ok=True)
    card.write_text(mapping_card(mapper, datapaths.model_version(path), evaluation))
    return path


def mapping_card(mapper: AUEmotionMapper, version: str, evaluation: dict[str, Any]) -> str:
    """The model card, written from the figures of the run that produced the mapping."""
    meta = mapper.metadata
    return "\n".join([
        "# Model card: AU-to-emotion mapping (`models/au_emotion.json`)",
        "",
        f"Version: `{version}`. Rebuild: `{meta.get('command', '')}` (plain `mescreen train au` rebuilds it "
        "too, after the detector; deterministic, no seed involved). Evaluate: "
        "`mescreen evaluate mapping`. Load: `mescreen.core.emotion.au_mapping.AUEmotionMapper.load()`; tested in "
        "tests/core/test_au_emotion.py.",
        "",
        "## What it does",
        "The seed paper's step 'map combinations of activated AUs to emotions': given the set of AUs "
        "active at an episode's apex, a probability for each of "
        f"{', '.join(EMOTIONS_FINE)}. A class-balanced multinomial logistic regression (C={mapper.C}) on "
        f"which of the {len(mapper.au_names)} detector AUs are active; AUs outside the detector's list are "
        "ignored because the runtime never sees them. Weights are plain JSON.",
        "",
        "## Data and terms",
        f"Coded AU sets with the coders' estimated emotion: {meta['data']}. CASME II 2019 coding sheet (Yan et "
        "al., PLoS ONE 2014), SAMM FACS codes v2 (Davison et al., IEEE TAC 2018), CK+ AU columns, one row per "
        "sequence (Lucey et al., CVPRW 2010; Kanade, Cohn & Tian, FG 2000). FACS strings parsed by `mescreen.core.aus.facs` "
        "(ref(...) AUs left out, uncertain 'or' alternatives kept). Samples labelled 'others', 'other' or "
        "'repression' are left out. Research-only, non-commercial terms of the datasets apply to the "
        "mapping derived from them.",
        "",
        "## Evaluation across datasets",
        "Each row trains on one dataset (or two) and tests on another, so no subject is in both. UF1 and "
        "UAR as in MEGC2019 (classes absent from the test set left out of the averages); classes the "
        "training set lacks still count (recall 0): CASME II has no anger or contempt, so CASME II -> SAMM "
        "is capped. 'Shared classes' restricts the test set to emotions the training set has.",
        "",
        markdown_report(evaluation),
        "",
        "Baseline: FACS/EMFACS prototype combinations (Ekman, Friesen & Hager, FACS Investigator's Guide "
        "2002; Friesen & Ekman, EMFACS 1983) with the CK+ validation criteria (Lucey et al. 2010), scored "
        "by best Jaccard overlap (`mescreen.core.emotion.au_mapping.PrototypeRules`). Its CK+ figure is circular: CK+ emotion "
        "labels were themselves checked against these criteria.",
        "",
        "## Intended use",
        "Naming the likely emotion of a detected facial movement from its active AUs, as one input of "
        "mescreen's screening aid (sub-division and indicators). A screening aid, never a diagnosis.",
        "",
        "## Known limits",
        "- Learned from coders' AU sets; at runtime the AU sets come from the detector, whose errors "
        "(especially on subtle micro-expressions) the figures above do not include.",
        "- Emotion labels are the datasets' estimates from context and AUs, not felt emotion; CASME II and "
        "SAMM label sets differ and are small (fear 10, sadness 10 samples in the two ME sets).",
        "- One AU set can honestly mean several emotions (AU4 alone: anger, disgust, sadness, concentration); "
        "read the probabilities, not only the top label.",
        "",
    ])



def score_sheet(mapper: AUEmotionMapper, sheet: pd.DataFrame, au_column: str, emotion_column: str) -> dict[str, Any]:
    """The mapping's figures on any coding sheet, and every row it could not use, with the reason.

    AU strings are parsed by mescreen.core.aus.facs; a row with no readable AU is skipped and listed,
    a row read only in part is scored on the AUs that were read and listed too. Emotions are
    matched case-insensitively to EMOTIONS_FINE; others (e.g. "others", "repression") are counted
    per label and skipped. Scored on the fine emotions and on the composite classes (FINE_TO_3).
    """
    missing = [c for c in (au_column, emotion_column) if c not in sheet.columns]
    if missing:
        raise InputError(f"column(s) {missing} not in the sheet; its columns are {list(sheet.columns)}")
    used, au_sets, emotions, unread, partial, outside = [], [], [], [], [], {}
    for i, (code, emotion) in enumerate(zip(sheet[au_column], sheet[emotion_column])):
        row = i + 2  # the line in the CSV file (line 1 is the header)
        parsed = parse_facs(code)
        label = str(emotion).strip().lower() if isinstance(emotion, str) else ""
        if not parsed.aus():
            unread.append((row, "" if code is None or code != code else str(code)))
            continue
        if label not in EMOTIONS_FINE:
            outside[label or "(empty)"] = outside.get(label or "(empty)", 0) + 1
            continue
        if parsed.unparsed:
            partial.append((row, str(code), ", ".join(parsed.unparsed)))
        used.append(row)
        au_sets.append(parsed.aus())
        emotions.append(label)
    predicted = mapper.predict(au_sets) if au_sets else []
    out: dict[str, Any] = {"rows": len(sheet), "scored": len(used), "unread": unread, "partial": partial,
                           "outside": outside}
    if au_sets:
        out["fine"] = _score(pd.Series(emotions), predicted)
        composite = classification_report(np.array([FINE_TO_3[e] for e in emotions]),
                                          np.array([FINE_TO_3[p] for p in predicted]), list(EMOTIONS_3))
        out["composite"] = {"n": composite.n, "uf1": composite.uf1, "uar": composite.uar,
                            "accuracy": composite.accuracy, "confusion": composite.confusion}
    return out


def sheet_markdown(score: dict[str, Any], mapper: AUEmotionMapper, sheet_name: str) -> str:
    """What `mescreen evaluate mapping --sheet` prints."""
    lines = [f"Shipped AU-to-emotion mapping `{mapper.version}` on {sheet_name}: {score['rows']} rows, "
             f"{score['scored']} scored.",
             f"The shipped mapping was fitted on {mapper.metadata.get('data', 'unknown data')}: rows from "
             "those sheets are training data, not an unseen test.", ""]
    if "fine" in score:
        lines += ["| classes | n | UF1 | UAR | accuracy |", "|---|---|---|---|---|"]
        for name, key, labels in (("fine emotions", "fine", EMOTIONS_FINE),
                                  ("composite (negative / positive / surprise)", "composite", EMOTIONS_3)):
            r = score[key]
            lines.append(f"| {name} | {r['n']} | {r['uf1']:.3f} | {r['uar']:.3f} | {r['accuracy']:.3f} |")
        lines += ["", "Confusion, fine emotions (rows: coded, columns: mapped; " + ", ".join(EMOTIONS_FINE) + "):", ""]
        lines += ["| coded \\ mapped | " + " | ".join(EMOTIONS_FINE) + " |", "|---" * (len(EMOTIONS_FINE) + 1) + "|"]
        lines += [f"| {e} | " + " | ".join(map(str, row)) + " |" for e, row in zip(EMOTIONS_FINE, score["fine"]["confusion"])]
        lines.append("")
    else:
        lines += ["No row could be scored.", ""]
    if score["outside"]:
        lines.append("Skipped, emotion outside the mapping's classes: " + ", ".join(
            f"{label} {n}" for label, n in sorted(score["outside"].items())) + ".")
    lines.append(f"Rows whose AU code could not be read ({len(score['unread'])}), skipped:" +
                 ("" if score["unread"] else " none."))
    lines += [f"- line {row}: {code!r}" for row, code in score["unread"]]
    lines.append(f"Rows read in part ({len(score['partial'])}), scored on the AUs read:" +
                 ("" if score["partial"] else " none."))
    lines += [f"- line {row}: {code!r} (not read: {rest})" for row, code, rest in score["partial"]]
    return "\n".join(lines)
