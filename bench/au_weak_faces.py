"""How many weakly labelled FER+ faces the AU detector trains on, and at what weight.

For each setting (faces per emotion, weight) this trains as `mescreen train au` does (seed 0) and
prints the grouped 5-fold mean F1 / AUC on the coded faces (CK+, MEGC) and the in-the-wild
separation on FER+ *valid* faces (mescreen.training.au_wild_check with split="valid"; test stays
for the report): the mean AUC of each emotion's prototype AUs against neutral faces, and the
active rates of AU1, AU4, AU6, AU12 and AU15 on happy, sad and neutral faces.

Rule used to choose the shipped setting (fixed before the runs): the highest in-the-wild mean AUC
among settings whose coded mean F1 is within 0.01 of the setting shipped before (600 faces at
weight 0.5).

With `--face-features off` the detector reads HOG and shape only (as every run before the face
features existed, AU detector v3.1 and older); `on` (default, the shipped setting) adds the
per-frame emotion network's face features, so `--settings 1500:1.0 --face-features off` against
`on` is the comparison behind AU detector v4.

Usage: MESCREEN_DATA=... .venv/bin/python bench/au_weak_faces.py [--settings 600:0.5 1500:0.5 ...] [--face-features on|off]
One setting takes 6-18 minutes on two cores.
"""

from __future__ import annotations

import argparse

import numpy as np

SETTINGS = ["600:0.5", "1500:0.5", "3000:0.5", "1500:1.0", "6000:0.5"]
RATES = ("AU1", "AU4", "AU6", "AU12", "AU15")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--settings", nargs="+", default=SETTINGS, help="PER_CLASS:WEIGHT pairs")
    parser.add_argument("--face-features", choices=["on", "off"], default="on",
                        help="read the emotion network's face features (default on, as shipped)")
    args = parser.parse_args()
    print("| faces per emotion : weight | coded mean F1 / AUC | FER+ valid mean AUC | "
          + " | ".join(f"{au} happy / sad / neutral" for au in RATES) + " |")
    print("|---|---|---|" + "---|" * len(RATES))
    for setting in args.settings:
        per_class, weight = setting.split(":")
        print(row(int(per_class), float(weight), args.face_features == "on"), flush=True)


def row(per_class: int, weight: float, face: bool) -> str:
    """One table row: train, evaluate on grouped folds, fit on all, check on FER+ valid."""
    from mescreen.core.datapaths import require_data_root
    from mescreen.training.au import (detector_factory, evaluate_grouped, face_features, train_detector,
                                      training_features)
    from mescreen.training.au_settings import TrainingSettings
    from mescreen.training.au_wild_check import prototype_check

    root = require_data_root()
    settings = TrainingSettings(weak_per_class=per_class, weak_weight=weight, face_features=face)
    emotion = face_features(settings)
    data, feats, _, _ = training_features(root, settings, features=emotion)
    make = detector_factory(data.au_names, settings, emotion)
    report, _ = evaluate_grouped(feats, make, data.au_names, 5)
    check = prototype_check(root, train_detector(feats, make), per_class=300, split="valid", features=emotion)
    wild = np.mean([r["auc"] for rows in check["emotions"].values() for r in rows.values()])
    rates = check["rates"]
    cells = [" / ".join(f"{rates[au][e]:.2f}" for e in ("happiness", "sadness", "neutral")) if au in rates else "-"
             for au in RATES]
    coded = report["per_au"]
    return (f"| {per_class} : {weight:g} | {coded['mean_f1']:.3f} / {coded['mean_auc']:.3f} | {wild:.3f} | "
            + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
