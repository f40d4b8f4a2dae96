"""Weak AU labels of FER+ faces from their emotion's prototype (mescreen/training/ferplus.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mescreen.core.labels import AU_NAMES
from mescreen.training.ferplus_aus import PROTOTYPES, load_weak_faces, weak_labels


def test_prototypes_give_present_unknown_and_absent() -> None:
    y = dict(zip(AU_NAMES, weak_labels("happiness", AU_NAMES)))
    assert y["AU6"] == 1 and y["AU12"] == 1  # the Duchenne smile
    assert y["AU25"] == -1  # lips often but not always part: teaches nothing
    assert y["AU4"] == 0 and y["AU15"] == 0  # a happy face is evidence against a frown
    assert (weak_labels("neutral", AU_NAMES) == 0).all()  # a neutral face: no AU at all


def test_every_prototype_au_is_one_the_detector_reads() -> None:
    codes = {int(a[2:]) for a in AU_NAMES}
    for emotion, (present, unknown) in PROTOTYPES.items():
        assert set(present) <= codes, emotion
        assert not set(present) & set(unknown), emotion


@pytest.mark.realdata
def test_loads_a_balanced_sample_of_clear_faces(data_dir: Path) -> None:
    weak = load_weak_faces(data_dir, AU_NAMES, per_class=20)
    assert weak.images.shape[1:] == (48, 48) and weak.images.dtype == np.uint8
    counts = {e: int((weak.emotion == e).sum()) for e in PROTOTYPES}
    assert all(0 < c <= 20 for c in counts.values()) and counts["neutral"] == 20
    happy = weak.Y[weak.emotion == "happiness"][:, AU_NAMES.index("AU12")]
    assert (happy == 1).all()
    assert all(g.startswith("ferplus:") for g in weak.groups)
