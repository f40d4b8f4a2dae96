"""`mescreen evaluate emotion --external DIR` and `mescreen evaluate mapping --sheet FILE` on real data."""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mescreen.cli import evaluate_emotion, evaluate_mapping


def _parse(module: object, argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    module.add_arguments(parser)  # type: ignore[attr-defined]
    return parser.parse_args(argv)


def _external_dir(data_dir: Path, tmp_path: Path, n: int = 12) -> tuple[Path, pd.DataFrame]:
    """A folder laid out like megc2019/ with n SAMM samples (flow images only), in tmp_path."""
    source = data_dir / "megc2019"
    table = pd.read_csv(source / "labels.csv", dtype=str)
    table = table[table.dataset == "samm"].groupby("label3").head(n // 3).reset_index(drop=True)
    folder = tmp_path / "external"
    (folder / "flow").mkdir(parents=True)
    for name in table["flow"]:
        shutil.copy(source / name, folder / name)
    table.drop(columns=["apex_image"]).to_csv(folder / "labels.csv", index=False)
    return folder, table


@pytest.mark.realdata
def test_external_scores_the_shipped_model_as_the_pipeline_runs_it(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from mescreen.core.emotion.micro.classifier import EmotionClassifier
    from mescreen.training.megc import flow_images, load_megc_folder
    from mescreen.training.metrics import classification_report

    folder, table = _external_dir(data_dir, tmp_path)
    assert evaluate_emotion.run(_parse(evaluate_emotion, ["--external", str(folder)])) == 0
    out = capsys.readouterr().out
    clf = EmotionClassifier.load()
    proba = clf.predict_images(flow_images(load_megc_folder(folder)))
    expected = classification_report(table.label3.to_numpy(), np.asarray(clf.labels)[proba.argmax(1)], clf.labels)
    assert f"UF1 {expected.uf1:.3f}, UAR {expected.uar:.3f}, accuracy {expected.accuracy:.3f} (n = 12)" in out
    assert expected.confusion_markdown() in out
    assert "### logistic regression (raw pixels), trained on the 278 MEGC2019 samples" in out
    assert "### RBF SVM (raw pixels)" in out
    assert "Warning: 12 of these samples are in the shipped model's training data" in out


@pytest.mark.realdata
def test_external_without_the_model_input_is_a_clear_error(data_dir: Path, tmp_path: Path) -> None:
    from mescreen.core.errors import InputError

    folder, table = _external_dir(data_dir, tmp_path)
    table.drop(columns=["apex_image", "flow"]).to_csv(folder / "labels.csv", index=False)
    with pytest.raises(InputError, match="reads flow images"):
        evaluate_emotion.run(_parse(evaluate_emotion, ["--external", str(folder)]))
    with pytest.raises(InputError, match="no labels.csv"):
        evaluate_emotion.run(_parse(evaluate_emotion, ["--external", str(tmp_path)]))


@pytest.mark.realdata
@pytest.mark.parametrize("sheet, scored, unread", [
    ("casme2_coding_2019.csv", 129, 0), ("casme2_coding_legacy.csv", 129, 6), ("samm_facs_codes_v2.csv", 133, 0),
])
def test_mapping_on_each_coding_sheet(
    data_dir: Path, capsys: pytest.CaptureFixture[str], sheet: str, scored: int, unread: int
) -> None:
    assert evaluate_mapping.run(_parse(evaluate_mapping, ["--sheet", str(data_dir / "au_sheets" / sheet)])) == 0
    out = capsys.readouterr().out
    assert f"{scored} scored" in out and f"could not be read ({unread})" in out
    uf1 = float(out.split("| fine emotions | ")[1].split(" | ")[1])
    assert uf1 > 0.5  # the mapping was fitted on these sheets: far above chance (1/7)


def test_mapping_sheet_with_own_columns_lists_what_it_could_not_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sheet = tmp_path / "sheet.csv"
    pd.DataFrame({"aus": ["6+12", "1+2+5+26", "?", "4+soft focus", "12"],
                  "label": ["Happiness", "surprise", "anger", "anger", "others"]}).to_csv(sheet, index=False)
    args = _parse(evaluate_mapping, ["--sheet", str(sheet), "--au-column", "aus", "--emotion-column", "label"])
    assert evaluate_mapping.run(args) == 0
    out = capsys.readouterr().out
    assert "5 rows, 3 scored" in out
    assert "- line 4: '?'" in out and "- line 5: '4+soft focus' (not read: soft focus)" in out
    assert "others 1" in out


def test_mapping_sheet_with_a_missing_column_names_the_columns(tmp_path: Path) -> None:
    from mescreen.core.errors import InputError

    sheet = tmp_path / "sheet.csv"
    pd.DataFrame({"aus": ["6+12"], "label": ["happiness"]}).to_csv(sheet, index=False)
    with pytest.raises(InputError, match="its columns are"):
        evaluate_mapping.run(_parse(evaluate_mapping, ["--sheet", str(sheet)]))


@pytest.mark.realdata
def test_evaluate_prints_every_protocol_with_both_baselines(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The default evaluation (here with 2 grouped folds and 1 epoch, to stay quick) prints the
    within-set protocol, both cross-dataset directions and both baselines under each."""
    args = _parse(evaluate_emotion, ["--arch", "ststnet", "--epochs", "1", "--members", "1", "--folds", "2"])
    assert evaluate_emotion.run(args) == 0
    out = capsys.readouterr().out
    for protocol in ("2 subject-grouped folds", "CASME II -> SAMM", "SAMM -> CASME II"):
        for model in ("this model (mirrored)", "logistic regression (raw pixels)", "RBF SVM (raw pixels)"):
            assert f"| {protocol} | {model} |" in out
    assert "Bar NOT met" in out and "no LOSO run" in out
    assert "Varanka et al." in out

    args = _parse(evaluate_emotion, ["--arch", "ststnet", "--epochs", "1", "--members", "1", "--no-loso"])
    assert evaluate_emotion.run(args) == 0
    out = capsys.readouterr().out
    assert "| LOSO (278 samples, 52 people) | this model" not in out and "no LOSO run" in out
    assert "| LOSO (278 samples, 52 people) | logistic regression (raw pixels) |" in out
