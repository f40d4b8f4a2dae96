"""The networks the analysis runs are files converted from the trained Keras networks (LiteRT, no
TensorFlow): whatever is shipped matches its Keras network to 1e-4, a conversion that does not is
never written, and the runtime refuses a file converted from other weights."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from mescreen.core.datapaths import models_dir
from mescreen.core.emotion.frame.model import FrameEmotionModel
from mescreen.core.emotion.micro.classifier import EmotionClassifier
from mescreen.core.errors import ModelMissingError
from mescreen.core.runtime import RECORD_KEY, LiteModel, converted_file
from mescreen.training.convert import NETWORKS, PARITY_TOLERANCE, convert, convert_folder, largest_difference

SHIPPED = [n for n in NETWORKS if n.weights(models_dir()).is_file()]


@pytest.mark.parametrize("network", SHIPPED, ids=[n.stem for n in SHIPPED])
def test_every_shipped_network_matches_its_keras_network(network) -> None:  # type: ignore[no-untyped-def]
    folder = models_dir()
    path = converted_file(network.weights(folder), json.loads(network.config(folder).read_text()))
    assert largest_difference(network.keras_model(folder), LiteModel(path)) <= PARITY_TOLERANCE


def test_both_emotion_networks_are_shipped_converted() -> None:
    assert {n.stem for n in SHIPPED} == {"frame_emotion", "emotion_cnn"}


def _copy(folder: Path, stem: str) -> None:
    for path in models_dir().glob(stem + ".*"):
        shutil.copy(path, folder / path.name)


def _retrained(folder: Path, stem: str = "frame_emotion") -> None:
    """The weights in `folder` replaced by other ones (as a new training writes them)."""
    weights = folder / f"{stem}.weights.npz"
    with np.load(weights) as arrays:
        changed = {k: arrays[k] * (1.01 if i == 0 else 1.0) for i, k in enumerate(sorted(arrays.files))}
    with weights.open("wb") as handle:
        np.savez_compressed(handle, **changed)


def test_new_weights_need_a_new_conversion_and_get_it(tmp_path: Path) -> None:
    _copy(tmp_path, "frame_emotion")
    _retrained(tmp_path)
    with pytest.raises(ModelMissingError, match="mescreen convert"):
        FrameEmotionModel.load(tmp_path)
    assert set(convert_folder(tmp_path)) == {"frame_emotion"}
    model = FrameEmotionModel.load(tmp_path)
    # the version results record starts with the retrained weights' own version
    assert model.version.split("+")[0] == json.loads((tmp_path / "frame_emotion.json").read_text())[RECORD_KEY]["weights"]
    assert convert_folder(tmp_path) == {}  # current now: nothing to do


def test_a_changed_converted_file_is_refused(tmp_path: Path) -> None:
    _copy(tmp_path, "emotion_cnn")
    converted = tmp_path / "emotion_cnn.tflite"
    converted.write_bytes(converted.read_bytes()[:-8] + b"\0" * 8)
    with pytest.raises(ModelMissingError, match="changed"):
        EmotionClassifier.load(tmp_path)


def test_a_conversion_outside_the_tolerance_is_not_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import mescreen.training.convert as conversion

    _copy(tmp_path, "frame_emotion")
    _retrained(tmp_path)
    before = (tmp_path / "frame_emotion.json").read_text(), (tmp_path / "frame_emotion.tflite").read_bytes()
    monkeypatch.setattr(conversion, "PARITY_TOLERANCE", 0.0)
    monkeypatch.setattr(conversion, "largest_difference", lambda *_: 1e-3)
    with pytest.raises(ValueError, match="not written"):
        convert(NETWORKS[0], tmp_path)
    assert ((tmp_path / "frame_emotion.json").read_text(), (tmp_path / "frame_emotion.tflite").read_bytes()) == before
    assert not list(tmp_path.glob("*.part"))


def test_loading_every_model_imports_no_tensorflow() -> None:
    script = ("import sys\nfrom mescreen.core.pipeline import Models\nModels.load()\n"
              "from mescreen.core.face.mesh_track import MeshTracker\nMeshTracker()\n"
              "print(sorted(m for m in ('tensorflow', 'keras') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "[]"
    assert done.stderr == ""  # and the runtime's own log lines are silenced
