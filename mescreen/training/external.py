"""Score the shipped emotion model on a data folder it was never trained on.

The folder is laid out like megc2019/ (labels.csv with its columns; flow/ and/or apex/ images).
The model is the one in models/, run exactly as the pipeline runs it (mescreen.core.emotion.micro.classifier:
same network input, seed ensemble, test-time mirroring); nothing is trained on the folder. Beside
it, the two raw-pixel baselines of mescreen/training/protocols.py, trained on the shipped model's
own training data (all of MEGC2019 under MESCREEN_DATA, same input) and tested on the folder.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mescreen.core.emotion.micro.classifier import EmotionClassifier, network_input
from mescreen.core.errors import InputError
from mescreen.core.labels import EMOTIONS_3
from mescreen.training.emotion import make_inputs
from mescreen.training.megc import MegcSet, apex_crops, flow_images, load_megc, load_megc_folder
from mescreen.training.metrics import ClassificationReport, classification_report
from mescreen.training.protocols import pixel_baselines


def external_images(data: MegcSet, input_kind: str) -> np.ndarray:
    """The folder's images in the training format the model reads (flow PNGs or prepared apex crops)."""
    paths = data.flow_path if input_kind == "flow" else data.apex_path
    missing = int(np.sum(paths == ""))
    if missing:
        column = "flow" if input_kind == "flow" else "apex_image"
        raise InputError(f"the model reads {input_kind} images, but {missing} rows of labels.csv have no "
                         f"`{column}` entry")
    return flow_images(data) if input_kind == "flow" else apex_crops(data)


def _report_lines(name: str, report: ClassificationReport) -> list[str]:
    recall = ", ".join(f"{label} {value:.3f}" for label, value in report.recall_per_class.items())
    return [f"### {name}", "",
            f"UF1 {report.uf1:.3f}, UAR {report.uar:.3f}, accuracy {report.accuracy:.3f} (n = {report.n}); "
            f"recall per class: {recall}.", "", "Confusion (rows: true, columns: predicted):", "",
            report.confusion_markdown(), ""]


def external_report(folder: Path, *, models_dir: Path | None = None, training: MegcSet | None = None) -> str:
    """Markdown: the shipped model's and both baselines' figures on `folder`."""
    folder = Path(folder)
    if not (folder / "labels.csv").is_file():
        raise InputError(f"{folder} has no labels.csv (lay it out like megc2019/, see the data README)")
    data = load_megc_folder(folder)
    unknown = sorted(set(data.label3.tolist()) - set(EMOTIONS_3))
    if unknown:
        raise InputError(f"label3 values outside {EMOTIONS_3} in {folder / 'labels.csv'}: {unknown}")
    classifier = EmotionClassifier.load(models_dir)
    images = external_images(data, classifier.input_kind)
    proba = classifier.predict_images(images)
    predicted = np.asarray(classifier.labels)[np.argmax(proba, axis=1)]
    lines = [f"External evaluation of the shipped model `{classifier.version}` on {len(data)} samples, "
             f"{np.unique(data.subject).size} subjects ({', '.join(sorted(set(data.dataset.tolist())))}); "
             f"input {classifier.input_kind}, no training on this folder.", ""]
    lines += _report_lines("shipped model", classification_report(data.label3, predicted, list(EMOTIONS_3)))
    training = training or load_megc()
    X_train = make_inputs(training, classifier.input_kind, classifier.input_size)
    X_test = network_input(classifier.input_kind, images, classifier.input_size)
    for name, make in pixel_baselines().items():
        baseline = make().fit(X_train, training.label3)
        lines += _report_lines(f"{name}, trained on the {len(training)} MEGC2019 samples",
                               classification_report(data.label3, baseline.predict(X_test), list(EMOTIONS_3)))
    overlap = sorted(set(data.sample.tolist()) & set(training.sample.tolist()))
    if overlap:
        lines.append(f"Warning: {len(overlap)} of these samples are in the shipped model's training data "
                     "(same sample names), so these figures are not a test on unseen data.")
    return "\n".join(lines)
