"""The pipeline's micro-expression reading (per-frame model x ME network x AU mapping) across datasets.

Usage: MESCREEN_DATA=../shared/data .venv/bin/python bench/micro_fusion.py

Trains on CASME II and tests on SAMM, then the reverse (mescreen/training/micro_fusion.py says what
is retrained and why), for two ME networks: the shipped Table 3 ensemble and the five-member
STSTNet-style candidate (translation +-2 px), both with the shipped training settings otherwise.
The shipped per-frame emotion model reads each apex image through the runtime face stage. Beside
them, logistic regression on the raw flow pixels (fine emotions and the three classes, trained on
the other dataset). Prints one Markdown table per ME network. About 4 minutes (one TensorFlow thread).
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression


def main() -> None:
    from mescreen.core.emotion.au_mapping import AUEmotionMapper
    from mescreen.core.datapaths import require_data_root
    from mescreen.core.aus.facs import parse_facs
    from mescreen.core.emotion.frame.model import FrameEmotionModel
    from mescreen.core.labels import EMOTIONS_3, EMOTIONS_FINE
    from mescreen.training.au_emotion import load_coded_sets
    from mescreen.training.emotion import SHIPPED, EmotionCNN, limit_threads, make_inputs
    from mescreen.training.frame_emotion_eval import crops_of
    from mescreen.training.megc import load_megc
    from mescreen.training.micro_fusion import fused_rows, fusion_table
    from mescreen.training.protocols import CROSS_DATASET, DATASET_NAMES, pixel_classifier

    limit_threads(1)  # as `mescreen evaluate emotion`: TensorFlow sums in another order on more threads
    start = time.perf_counter()
    root = require_data_root()
    data = load_megc()
    X = make_inputs(data, SHIPPED.input_kind, SHIPPED.size)
    frame_model = FrameEmotionModel.load()
    faces = crops_of("MEGC2019 apex", [Path(p) for p in data.apex_path], list(data.emotion))
    frame = frame_model.predict(faces.crops)
    print(f"Per-frame model {frame_model.version} on {len(data)} apex images ({faces.missed} without a face "
          f"found, read from the dataset crop) ({time.perf_counter() - start:.0f} s)", flush=True)
    coded = load_coded_sets(root)
    networks = {"Table 3 ensemble (shipped)": SHIPPED.config,
                "STSTNet-style ensemble, +-2 px (candidate)": replace(SHIPPED.config, architecture="ststnet", shift=2)}
    pooled: dict[str, list[list[np.ndarray]]] = {name: [] for name in networks}
    rows: dict[str, list] = {name: [] for name in networks}
    for train, test in CROSS_DATASET:
        fit, held = data.dataset == train, data.dataset == test
        mapping_rows = coded.dataset.isin([train, "ckplus"])
        mapper = AUEmotionMapper().fit(list(coded.aus[mapping_rows]), list(coded.emotion[mapping_rows]))
        mapped = mapper.proba_matrix([parse_facs(code).aus() for code in data.action_units[held]])
        fine_fit = fit & np.isin(data.emotion, EMOTIONS_FINE)
        fine_lr = pixel_classifier(LogisticRegression(class_weight="balanced", max_iter=5000))
        fine_lr.fit(X[fine_fit], data.emotion[fine_fit])
        fine_p = [dict(zip(fine_lr.classes_, map(float, p))) for p in fine_lr.predict_proba(X[held])]
        three_lr = pixel_classifier(LogisticRegression(class_weight="balanced", max_iter=5000))
        three_lr.fit(X[fit], data.label3[fit])
        three_p = three_lr.predict_proba(X[held])[:, [list(three_lr.classes_).index(c) for c in EMOTIONS_3]]
        baselines = {"logistic regression on the raw flow pixels (baseline)": (fine_p, three_p)}
        name = f"{DATASET_NAMES[test]} (trained on {DATASET_NAMES[train]})"
        for network, config in networks.items():
            model = EmotionCNN(config).fit(X[fit], data.label3[fit])
            cnn3 = model.predict_proba(X[held])[:, [list(model.classes_).index(c) for c in EMOTIONS_3]]
            rows[network] += fused_rows(name, frame[held], cnn3, mapped, data.emotion[held], data.label3[held],
                                        baselines)
            pooled[network].append([frame[held], cnn3, mapped, data.emotion[held], data.label3[held],
                                    np.array(fine_p, object), three_p])
            print(f"  {network}, {name} done ({time.perf_counter() - start:.0f} s)", flush=True)
    for network, parts in pooled.items():
        joined = [np.concatenate([p[k] for p in parts]) for k in range(7)]
        baselines = {"logistic regression on the raw flow pixels (baseline)": (list(joined[5]), joined[6])}
        rows[network] += fused_rows("both (278)", *joined[:5], baselines)
        print(f"\n#### ME network: {network}\n\n{fusion_table(rows[network])}")
    print(f"\n{time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
