"""The MEGC2019 composite micro-expression set (CASME II + SAMM, 278 samples, 52 subjects).

Reads `megc2019/labels.csv` under the data folder and its images as uint8 arrays (network
inputs are made from them by mescreen.core.emotion.micro.classifier.network_input, the same code the runtime uses):
- flow: the shipped 28x28 (u, v, optical strain) PNGs, each channel min-max normalised to
  0-255 by the data's makers; returned in (u, v, strain) channel order.
- apex: the 224x224 aligned apex face crops made into what mescreen's face stage hands the
  emotion model (grayscale, CROP_SIZE, CLAHE).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pandas as pd

from mescreen.core.datapaths import require_data_root
from mescreen.core.face.crop import CROP_SIZE, clahe, to_gray
from mescreen.core.emotion.micro.flow import resize_square


@dataclass(frozen=True)
class MegcSet:
    """One row per sample; arrays are aligned with `sample`."""

    root: Path
    sample: np.ndarray
    dataset: np.ndarray  # "casme2" / "samm"
    subject: np.ndarray
    label3: np.ndarray  # negative / positive / surprise
    emotion: np.ndarray  # the dataset's own estimated emotion
    action_units: np.ndarray  # the dataset's FACS string ("" where uncoded), parsed by mescreen.core.aus.facs
    flow_path: np.ndarray
    apex_path: np.ndarray

    def __len__(self) -> int:
        return int(self.sample.size)

    def subset(self, mask: np.ndarray) -> MegcSet:
        """The samples where `mask` is true (a boolean array or indices)."""
        return MegcSet(self.root, **{name: getattr(self, name)[mask] for name in _ARRAY_FIELDS})


_ARRAY_FIELDS = ("sample", "dataset", "subject", "label3", "emotion", "action_units", "flow_path", "apex_path")


def load_megc(root: Path | None = None) -> MegcSet:
    """The label table of megc2019/ (images are read on demand by `flow_images`/`apex_images`)."""
    return load_megc_folder((root or require_data_root()) / "megc2019")


def load_megc_folder(folder: Path) -> MegcSet:
    """Any folder laid out like megc2019/: labels.csv with its columns, images under it.

    An image column may be empty or absent where a folder has only flow or only apex images.
    """
    table = pd.read_csv(folder / "labels.csv", dtype={"action_units": str, "subject": str})
    for column in ("flow", "apex_image"):
        if column not in table:
            table[column] = ""
    return MegcSet(
        root=folder,
        sample=table["sample"].to_numpy(str),
        dataset=table["dataset"].to_numpy(str),
        subject=table["subject"].to_numpy(str),
        label3=table["label3"].to_numpy(str),
        emotion=table["emotion"].to_numpy(str),
        action_units=table["action_units"].fillna("").to_numpy(str),
        flow_path=np.array([str(folder / p) if isinstance(p, str) and p else "" for p in table["flow"]]),
        apex_path=np.array([str(folder / p) if isinstance(p, str) and p else "" for p in table["apex_image"]]),
    )


def _read(path: str, flags: int) -> np.ndarray:
    image = cv2.imread(path, flags)
    if image is None:
        raise FileNotFoundError(f"cannot read image {path}")
    return image


def flow_images(data: MegcSet) -> np.ndarray:
    """(N, 28, 28, 3) uint8, channels (u, v, strain) as the PNGs store them in RGB."""
    return np.stack([_read(p, cv2.IMREAD_COLOR)[..., ::-1] for p in data.flow_path])


def apex_crops(data: MegcSet, prepare: Callable[[np.ndarray], np.ndarray] | None = None) -> np.ndarray:
    """(N, 128, 128) uint8: the apex crops as the runtime face stage would hand them over.

    `prepare` maps a BGR apex image to a grayscale uint8 CROP_SIZE crop; the default is
    `prepare_apex` (resize + CLAHE, the images being aligned crops already). Pass the face
    stage's own detector to re-process the crops as the pipeline does.
    """
    prepare = prepare or prepare_apex
    return np.stack([prepare(_read(p, cv2.IMREAD_COLOR)) for p in data.apex_path])


def prepare_apex(image: np.ndarray) -> np.ndarray:
    """An already aligned face image (gray or BGR) in the face stage's output format: grayscale,
    CROP_SIZE x CROP_SIZE, CLAHE."""
    return clahe(resize_square(to_gray(image), CROP_SIZE))
