"""CK+48 loader: the peak frames of the CK+ sequences with their FACS codes and emotion.

CK+ (Lucey et al., CVPRW 2010; Kanade, Cohn & Tian, FG 2000) is research-only data read in place
from MESCREEN_DATA/ckplus48; nothing from it is copied into the repository.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pandas as pd

#: CK+ folder/emotion names that differ from mescreen.core.labels.EMOTIONS_FINE
_EMOTION_ALIASES = {"happy": "happiness", "sad": "sadness"}


@dataclass
class CKPlus:
    """One row per image (3 peak frames per sequence); `aus` is the binary AU table."""

    images: np.ndarray  # uint8 (n, 48, 48)
    subject: np.ndarray  # str (n,), e.g. "S010"
    video: np.ndarray  # str (n,), e.g. "S010_004"
    emotion: np.ndarray  # str (n,), in mescreen.core.labels.EMOTIONS_FINE
    aus: pd.DataFrame  # (n, 23) 0/1 columns "AU1".."AU27"

    def __len__(self) -> int:
        return int(self.images.shape[0])

    def au_matrix(self, au_names: list[str]) -> np.ndarray:
        """(n, len(au_names)) 0/1; an AU CK+ does not code is an error, not silently zero."""
        missing = [a for a in au_names if a not in self.aus.columns]
        if missing:
            raise KeyError(f"CK+ does not code {missing}")
        return self.aus[au_names].to_numpy(np.int8)


def read_ckplus_labels(root: Path) -> pd.DataFrame:
    """The labels table of ckplus48/, emotion names mapped to EMOTIONS_FINE."""
    table = pd.read_csv(Path(root) / "ckplus48" / "labels.csv", dtype={"subject": str, "video": str})
    table["emotion"] = table["emotion"].str.lower().replace(_EMOTION_ALIASES)
    return table


def load_ckplus(root: Path, limit_subjects: int | None = None) -> CKPlus:
    """Images and labels; `limit_subjects` keeps the first k subjects (smoke tests)."""
    table = read_ckplus_labels(root)
    if limit_subjects is not None:
        keep = sorted(table["subject"].unique())[:limit_subjects]
        table = table[table["subject"].isin(keep)].reset_index(drop=True)
    folder = Path(root) / "ckplus48"
    images = []
    for rel in table["path"]:
        image = cv2.imread(str(folder / rel), cv2.IMREAD_GRAYSCALE)
        if image is None:
            raise FileNotFoundError(f"CK+ image unreadable: ckplus48/{rel}")
        images.append(image)
    au_cols = [c for c in table.columns if c.startswith("AU") and c[2:].isdigit()]
    return CKPlus(
        images=np.stack(images),
        subject=table["subject"].to_numpy(str),
        video=table["video"].to_numpy(str),
        emotion=table["emotion"].to_numpy(str),
        aus=table[au_cols].astype(np.int8).reset_index(drop=True),
    )
