"""FER+ loader: FER2013 faces (Goodfellow et al., ICONIP 2013) with the FER+ crowd votes
(Barsoum et al., ICMI 2016), read in place from MESCREEN_DATA/ferplus (research-only images).

Each image keeps its 8 emotion votes (the soft training target) and its FER+ majority label
(hard label for metrics). `leak_free` drops valid/test images whose pixels also occur in train:
FER2013 holds exact duplicates across its splits, and scoring them would flatter the model.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pandas as pd

from mescreen.core.labels import FRAME_EMOTIONS

VOTE_COLUMNS = [f"votes_{name}" for name in FRAME_EMOTIONS]


@dataclass(frozen=True)
class FerPlus:
    """One row per labelled image; arrays are aligned."""

    images: np.ndarray  # uint8 (n, 48, 48), as published (no CLAHE)
    split: np.ndarray  # "train" / "valid" / "test"
    votes: np.ndarray  # float32 (n, 8) raw votes in FRAME_EMOTIONS order
    label: np.ndarray  # str (n,): FER+ majority label, one of FRAME_EMOTIONS
    pixel_hash: np.ndarray  # str (n,): pixel_sha1_16

    def __len__(self) -> int:
        return int(self.label.size)

    def subset(self, mask: np.ndarray) -> FerPlus:
        return FerPlus(*(getattr(self, f)[mask] for f in ("images", "split", "votes", "label", "pixel_hash")))

    def part(self, split: str) -> FerPlus:
        return self.subset(self.split == split)

    @property
    def soft_targets(self) -> np.ndarray:
        """(n, 8) float32: each image's emotion votes normalised to sum 1 (unknown / not-a-face dropped)."""
        return (self.votes / np.maximum(self.votes.sum(axis=1, keepdims=True), 1.0)).astype(np.float32)

    @property
    def targets(self) -> np.ndarray:
        """(n,) int: index of the majority label in FRAME_EMOTIONS."""
        return np.array([FRAME_EMOTIONS.index(lab) for lab in self.label], dtype=np.int64)


def load_ferplus(root: Path, per_split: int | None = None) -> FerPlus:
    """All images with a FER+ majority label (`label != ''`, as the data README says to train);
    `per_split` keeps the first k of each split (smoke tests)."""
    folder = Path(root) / "ferplus"
    table = pd.read_csv(folder / "labels.csv", dtype={"label": str, "pixel_sha1_16": str})
    table = table[table["label"].fillna("").isin(FRAME_EMOTIONS)]
    if per_split is not None:
        table = table.groupby("split", sort=False).head(per_split)
    table = table.reset_index(drop=True)
    images = []
    for rel in table["path"]:
        image = cv2.imread(str(folder / rel), cv2.IMREAD_GRAYSCALE)
        if image is None or image.shape != (48, 48):
            raise FileNotFoundError(f"FER+ image missing or not 48x48: ferplus/{rel}")
        images.append(image)
    return FerPlus(
        images=np.stack(images),
        split=table["split"].to_numpy(str),
        votes=table[VOTE_COLUMNS].to_numpy(np.float32),
        label=table["label"].to_numpy(str),
        pixel_hash=table["pixel_sha1_16"].to_numpy(str),
    )


def leak_free(data: FerPlus) -> FerPlus:
    """Train as is; valid and test without the images whose pixels also occur in train."""
    in_train = set(data.pixel_hash[data.split == "train"])
    leaked = (data.split != "train") & np.isin(data.pixel_hash, list(in_train))
    return data.subset(~leaked)
