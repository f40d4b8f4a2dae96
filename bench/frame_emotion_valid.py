"""Per-frame emotion candidates on FER+ valid, as the version 4 selection rule reads them
(bench/RESULTS.md, "Per-frame emotion v4"): each model read plain and mirrored (test-time flip),
each with no logit offsets, the one-parameter prior offsets and per-class offsets
(mescreen.training.frame_emotion_offsets); scores with the offsets fitted on all of valid
(flattered) and cross-fitted on its two halves (the rule's figure), per-class recall and the
confusion matrix of the cross-fitted predictions; with --baseline, the pixel logistic regression
of `mescreen evaluate frame-emotion` on the same faces.

Usage: MESCREEN_DATA=... .venv/bin/python bench/frame_emotion_valid.py [--models DIR ...] [--baseline]
FER+ valid only: never run it on test.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=Path, nargs="*", default=[None],
                        help="models folders (default: the shipped models/)")
    parser.add_argument("--baseline", action="store_true", help="also the pixel baseline (prepares the 25k train faces)")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    from mescreen.core.datapaths import require_data_root
    from mescreen.core.emotion.frame.model import FrameEmotionModel
    from mescreen.core.labels import FRAME_EMOTIONS
    from mescreen.training.emotion import limit_threads
    from mescreen.training.ferplus import leak_free, load_ferplus
    from mescreen.training.frame_emotion import class_prior, prepare_faces
    from mescreen.training.frame_emotion_eval import PixelBaseline, model_framing
    from mescreen.training.frame_emotion_offsets import FORMS, cross_fitted, fit_offsets, scores
    from mescreen.core.emotion.frame.model import adjust

    limit_threads(args.threads)
    data = leak_free(load_ferplus(require_data_root()))
    train, valid = data.part("train"), data.part("valid")
    prior, y = class_prior(train.soft_targets), valid.targets
    faces: dict[str, np.ndarray] = {}
    print(f"FER+ valid, {len(valid)} faces (pixel duplicates of train removed); objective = (UF1 + UAR) / 2\n")
    print("| model | reading | offsets | UF1 | UAR | accuracy | objective | cross-fitted UF1 | UAR | accuracy | "
          "**objective** | cross-fitted recall " + " / ".join(FRAME_EMOTIONS) + " |")
    print("|---" * 13 + "|")
    confusions = []
    for folder in args.models:
        model = FrameEmotionModel.load(folder)
        framing = model_framing(model)
        if framing not in faces:
            faces[framing] = prepare_faces(valid.images, framing)
        model.offsets = np.zeros(len(FRAME_EMOTIONS), np.float32)
        for flip in (False, True):
            model.flip = flip
            proba = model.predict_faces(faces[framing])
            for form in FORMS:
                offsets = fit_offsets(proba, y, form, prior)
                fitted = scores(y, np.argmax(adjust(proba, offsets), axis=1))
                predicted = cross_fitted(proba, y, form, prior)
                honest = scores(y, predicted)
                recall = [np.mean(predicted[y == k] == k) for k in range(len(FRAME_EMOTIONS))]
                name = f"{model.version.split('+')[0]} ({model.meta['architecture']})"
                reading = "flip" if flip else "plain"
                print(f"| {name} | {reading} | {form} {describe(offsets) if form != 'none' else ''} | "
                      f"{fitted.uf1:.3f} | {fitted.uar:.3f} | {fitted.accuracy:.3f} | {fitted.objective:.3f} | "
                      f"{honest.uf1:.3f} | {honest.uar:.3f} | {honest.accuracy:.3f} | **{honest.objective:.3f}** | "
                      + " / ".join(f"{r:.2f}" for r in recall) + " |", flush=True)
                cm = np.bincount(y * 8 + predicted, minlength=64).reshape(8, 8)
                confusions.append((f"{name}, {reading}, offsets {form} (cross-fitted)", cm))
    if args.baseline:
        base = PixelBaseline().fit(prepare_faces(train.images, "mesh"), train.targets)
        predicted = np.argmax(base.predict_proba(faces.get("mesh", prepare_faces(valid.images, "mesh"))), axis=1)
        s = scores(y, predicted)
        recall = [np.mean(predicted[y == k] == k) for k in range(len(FRAME_EMOTIONS))]
        print(f"| pixel logistic regression (baseline) | plain | none | {s.uf1:.3f} | {s.uar:.3f} | {s.accuracy:.3f} | "
              f"{s.objective:.3f} | | | | | " + " / ".join(f"{r:.2f}" for r in recall) + " |")
        confusions.append(("pixel logistic regression (baseline)", np.bincount(y * 8 + predicted, minlength=64).reshape(8, 8)))
    for title, cm in confusions:
        print(f"\nConfusion, {title} (rows true, columns predicted):\n")
        print("| true \\ predicted | " + " | ".join(FRAME_EMOTIONS) + " |\n" + "|---" * 9 + "|")
        for name, row in zip(FRAME_EMOTIONS, cm):
            print(f"| {name} | " + " | ".join(str(v) for v in row) + " |")


def describe(offsets: np.ndarray) -> str:
    """The offsets of the classes that have one, e.g. "disgust +0.30, contempt +0.25"."""
    from mescreen.core.labels import FRAME_EMOTIONS

    return ", ".join(f"{name} {b:+.2f}" for name, b in zip(FRAME_EMOTIONS, offsets.tolist()) if abs(b) > 1e-6)


if __name__ == "__main__":
    main()
