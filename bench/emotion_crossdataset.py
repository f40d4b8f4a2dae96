"""Quick cross-dataset screen of emotion-CNN variants (the exploration table of the model card).

Usage: MESCREEN_DATA=../shared/data .venv/bin/python bench/emotion_crossdataset.py NAME '{"architecture": "ststnet"}' [--seeds 0,1,2,3,4]

For one variant (changes to the shipped training settings, as EmotionCNNConfig fields, one
member per seed): train on all of CASME II and test on all of SAMM, then the reverse, once per
seed. Prints one Markdown row: each direction's single-seed UF1 (mean ± SD over the seeds) and
the UF1 / UAR / accuracy of the seeds' averaged probabilities. Cheaper than `mescreen evaluate
emotion` (no LOSO), so many variants fit on the shared 2-core machine; what ships is then measured
by that command. Choosing among variants on these figures is itself a choice on the test people:
the card says so beside the table.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import replace

import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("name")
    parser.add_argument("changes", help="JSON object of EmotionCNNConfig fields, e.g. '{\"mixup\": 0.4}'")
    parser.add_argument("--seeds", default="0,1,2,3,4")
    args = parser.parse_args()

    from mescreen.core.labels import EMOTIONS_3
    from mescreen.training.emotion import SHIPPED, EmotionCNN, fit_params_for, limit_threads, make_inputs
    from mescreen.training.megc import load_megc
    from mescreen.training.metrics import classification_report
    from mescreen.training.protocols import CROSS_DATASET, protocol_name

    limit_threads(1)
    data = load_megc()
    X = make_inputs(data, SHIPPED.input_kind, SHIPPED.size)
    seeds = [int(s) for s in args.seeds.split(",")]
    start = time.perf_counter()
    cells = []
    for train, test in CROSS_DATASET:
        fit_rows, test_rows = data.dataset == train, data.dataset == test
        y_test = data.label3[test_rows]
        single, probas = [], []
        for seed in seeds:
            config = replace(SHIPPED.config, n_members=1, seed=seed, **json.loads(args.changes))
            params = {k: v[fit_rows] for k, v in fit_params_for(config, data).items()}
            model = EmotionCNN(config).fit(X[fit_rows], data.label3[fit_rows], **params)
            proba = model.predict_proba(X[test_rows])
            probas.append(proba)
            single.append(classification_report(y_test, model.classes_[proba.argmax(1)], EMOTIONS_3).uf1)
        averaged = classification_report(y_test, model.classes_[np.mean(probas, 0).argmax(1)], EMOTIONS_3)
        cells.append(f"{np.mean(single):.3f} ± {np.std(single):.3f} | {averaged.uf1:.3f} / {averaged.uar:.3f} / "
                     f"{averaged.accuracy:.3f}")
        print(f"  {protocol_name(train, test)} done ({time.perf_counter() - start:.0f} s)", flush=True)
    print(f"| {args.name} | `{args.changes}` | " + " | ".join(cells) + f" | {time.perf_counter() - start:.0f} |")


if __name__ == "__main__":
    main()
