"""FER+ faces with weak AU labels from each emotion's prototype AUs.

Why: CK+ and the MEGC apex crops are lab faces (posed peaks, or near-neutral micro-expression
apexes) and CK+ has no neutral frames, so a detector trained on them alone reads AUs into every
real-world face. FER+ (FER2013 faces, Goodfellow et al. ICONIP 2013, with FER+ crowd votes,
Barsoum et al. ICMI 2016) has 31k in-the-wild faces with an emotion but no AU codes. We give each
face the AUs of its emotion's prototype (EMFACS; Ekman & Friesen 1978, Friesen & Ekman 1983, as
tabulated in the FACS Investigator's Guide, Ekman, Friesen & Hager 2002):

- positive: the prototype's AUs (e.g. happiness -> AU6, AU12);
- unknown (not used for that AU): AUs that often accompany the prototype but not always
  (e.g. AU25 lips part in a laugh), so they teach neither "present" nor "absent";
- negative: every other AU; a neutral face is negative for all AUs, which is what the coded sets
  lack.

Labels are -1 where unknown. Only faces with a clear majority (at least `min_agreement` of the
10 crowd votes for the label) are used, a class-balanced sample of at most `per_class` faces per
emotion of the FER2013 training split; each distinct pixel hash is its own group (FER2013 holds
exact duplicates), so no face is ever on both sides of a fold.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mescreen.training.ferplus import load_ferplus

#: Prototype AUs per FER+ emotion (EMFACS), and AUs left unknown because they often but not
#: always accompany it.
PROTOTYPES: dict[str, tuple[tuple[int, ...], tuple[int, ...]]] = {
    "neutral": ((), ()),
    "happiness": ((6, 12), (7, 10, 25, 26)),
    "sadness": ((1, 4, 15), (6, 7, 17, 25)),
    "surprise": ((1, 2, 5, 26), (25, 27)),
    "anger": ((4, 5, 7, 23), (9, 10, 17, 24, 25, 26)),
    "disgust": ((9, 10), (4, 6, 7, 15, 16, 17, 25, 26)),
    "fear": ((1, 2, 4, 5, 20, 26), (7, 25, 27)),
    "contempt": ((14,), (12,)),
}

def weak_labels(emotion: str, au_names: list[str]) -> np.ndarray:
    """int8 (n_au,): 1 for the prototype's AUs, -1 for its unknown ones, 0 otherwise."""
    positive, unknown = PROTOTYPES[emotion]
    codes = [int(name[2:]) for name in au_names]
    return np.array([1 if c in positive else -1 if c in unknown else 0 for c in codes], np.int8)


@dataclass
class WeakFaces:
    """FER+ faces (48x48 gray) with weak AU labels; `groups` are pixel hashes."""

    images: np.ndarray
    Y: np.ndarray
    groups: np.ndarray
    emotion: np.ndarray

    def __len__(self) -> int:
        return int(self.Y.shape[0])


def load_weak_faces(
    root: Path, au_names: list[str], per_class: int = 1500, min_agreement: int = 6, seed: int = 0,
) -> WeakFaces:
    """A class-balanced sample of clearly labelled FER+ training faces with prototype AU labels."""
    train = load_ferplus(root).part("train")
    agreement = train.votes[np.arange(len(train)), train.targets]
    clear = np.flatnonzero(agreement >= min_agreement)
    rng = np.random.default_rng(seed)
    keep = []
    for emotion in PROTOTYPES:
        rows = clear[train.label[clear] == emotion]
        keep.extend(rng.permutation(rows)[:per_class].tolist())
    rows = np.array(sorted(keep), dtype=np.int64)
    return WeakFaces(
        images=train.images[rows],
        Y=np.stack([weak_labels(e, au_names) for e in train.label[rows]]),
        groups=np.char.add("ferplus:", train.pixel_hash[rows].astype(str)),
        emotion=train.label[rows].astype(str),
    )
