"""The in-the-wild AU check reads FER+ test faces through the landmark stage and the shipped
detector: clearly happy web faces must show AU12 far more than neutral ones."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.mark.realdata
def test_happy_faces_read_au12_and_the_table_names_every_prototype_au(data_dir: Path) -> None:
    from mescreen.core.aus.detector import AUDetector
    from mescreen.core.emotion.frame.model import FrameEmotionModel
    from mescreen.training.au_wild_check import prototype_check, prototype_markdown

    models = Path(__file__).resolve().parents[2] / "models"
    detector = AUDetector.load(models / "au_detector.npz")
    check = prototype_check(data_dir, detector, per_class=30, features=FrameEmotionModel.load(models))
    happy = check["emotions"]["happiness"]
    assert happy["AU12"]["auc"] > 0.85 and happy["AU12"]["rate"] > happy["AU12"]["neutral_rate"] + 0.3
    assert check["faces"]["neutral"] == 30 and "neutral" not in check["emotions"]  # neutral is the reference
    table = prototype_markdown(check)
    assert "| happiness | AU6 |" in table and "| sadness | AU15 |" in table
    rates = check["rates"]  # the cross table: AU12 is read on happy faces far more than on sad ones
    assert rates["AU12"]["happiness"] > rates["AU12"]["sadness"] + 0.3
    unreliable = {au for au, ok in zip(detector.au_names, detector.reliable_) if not ok}
    assert unreliable and not unreliable & set(rates)  # AUs never called active have no active rate
    assert "| AU12 |" in table


@pytest.mark.realdata
def test_f1_of_the_thresholds_and_the_narrow_eyed_faces_on_fer_faces(data_dir: Path) -> None:
    from mescreen.core.aus.detector import AUDetector
    from mescreen.core.emotion.frame.model import FrameEmotionModel
    from mescreen.training.au_wild_check import narrow_eye_rates, read_faces, weak_label_f1

    models = Path(__file__).resolve().parents[2] / "models"
    detector = AUDetector.load(models / "au_detector.npz")
    wild = read_faces(data_dir, detector, "valid", FrameEmotionModel.load(models), min_agreement=6, per_class=40)
    assert {len(p) for e, p in wild.proba.items() if e in ("neutral", "happiness", "sadness")} == {40}
    rows = weak_label_f1(wild, detector)
    smile = rows["AU12"]
    assert smile["positives"] == 40 and smile["f1"] > 0.7 and smile["best_f1"] >= smile["f1"]
    assert smile["threshold"] == pytest.approx(float(detector.thresholds_[detector.au_names.index("AU12")]))
    rates = narrow_eye_rates(wild, detector)
    assert rates["happiness"]["AU12"] > rates["sadness"]["AU12"] + 0.5
    assert 5 <= rates["sadness"]["narrow faces"] <= 15  # about a quarter of the 40
