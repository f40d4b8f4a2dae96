"""AU -> emotion mapping: prototype rules, the learned mapper, its file, the shipped mapping."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mescreen.core.emotion.au_mapping import AUEmotionMapper, PrototypeRules, au_numbers
from mescreen.core.errors import ModelMissingError
from mescreen.core.labels import EMOTIONS_FINE

MODELS = Path(__file__).resolve().parents[2] / "models"


@pytest.mark.parametrize(
    "aus, emotion",
    [
        ({"AU6", "AU12"}, "happiness"),
        ({"AU1", "AU4", "AU15"}, "sadness"),
        ({"AU1", "AU2", "AU5", "AU26"}, "surprise"),
        ({"AU1", "AU2", "AU4", "AU5", "AU7", "AU20", "AU26"}, "fear"),
        ({"AU4", "AU5", "AU7", "AU23"}, "anger"),
        ({"AU9"}, "disgust"),
        ({"AU14"}, "contempt"),
    ],
)
def test_prototype_rules_name_each_prototype(aus: set[str], emotion: str) -> None:
    assert PrototypeRules().predict([aus]) == [emotion]


def test_prototype_probabilities_cover_the_fine_emotions() -> None:
    p = PrototypeRules().predict_proba({"AU6", "AU12", "AU25"})
    assert list(p) == EMOTIONS_FINE and sum(p.values()) == pytest.approx(1.0)
    assert max(p, key=p.get) == "happiness"
    assert PrototypeRules().predict_proba(set()) == pytest.approx({e: 1 / 7 for e in EMOTIONS_FINE})


def test_au_numbers_accepts_names_and_numbers() -> None:
    assert au_numbers({"AU4", "au7", 12, "15"}) == frozenset({4, 7, 12, 15})


def _toy() -> tuple[list[set[str]], list[str]]:
    sets = [{"AU12"}, {"AU6", "AU12"}, {"AU4", "AU7"}, {"AU4"}, {"AU1", "AU2"}, {"AU1", "AU2", "AU27"}] * 5
    emotions = ["happiness", "happiness", "anger", "anger", "surprise", "surprise"] * 5
    return sets, emotions


def test_mapper_learns_and_gives_unseen_emotions_zero() -> None:
    mapper = AUEmotionMapper(C=10.0).fit(*_toy())
    assert mapper.predict([{"AU12"}, {"AU4", "AU7"}, {"AU1", "AU2"}]) == ["happiness", "anger", "surprise"]
    p = mapper.predict_proba({"AU4"})
    assert list(p) == EMOTIONS_FINE and sum(p.values()) == pytest.approx(1.0)
    assert p["fear"] == 0.0 and p["anger"] > 0.5
    assert mapper.predict_proba({"AU43", "AU4"}) == pytest.approx(p)  # AUs outside the list are ignored


def test_mapper_rejects_unknown_emotions() -> None:
    with pytest.raises(ValueError, match="outside EMOTIONS_FINE"):
        AUEmotionMapper().fit([{"AU4"}, {"AU12"}], ["others", "happiness"])


def test_mapper_round_trip_is_plain_json(tmp_path: Path) -> None:
    mapper = AUEmotionMapper(C=10.0).fit(*_toy())
    mapper.save(tmp_path / "au_emotion.json")
    json.loads((tmp_path / "au_emotion.json").read_text())
    loaded = AUEmotionMapper.load(tmp_path)
    assert loaded.version.startswith("au_emotion.json@")
    assert loaded.predict_proba({"AU6", "AU12"}) == pytest.approx(mapper.predict_proba({"AU6", "AU12"}), abs=1e-5)


def test_missing_or_broken_mapping_names_the_rebuild_command(tmp_path: Path) -> None:
    with pytest.raises(ModelMissingError, match="mescreen train au"):
        AUEmotionMapper.load(tmp_path)
    (tmp_path / "au_emotion.json").write_text('{"format": "other"}')
    with pytest.raises(ModelMissingError, match="could not be read"):
        AUEmotionMapper.load(tmp_path)


def test_shipped_mapping_reads_classic_combinations() -> None:
    mapper = AUEmotionMapper.load(MODELS)
    p = mapper.predict_proba({"AU4", "AU7"})
    assert p["anger"] + p["disgust"] > 0.6
    assert mapper.predict([{"AU6", "AU12"}, {"AU1", "AU2", "AU5", "AU27"}]) == ["happiness", "surprise"]
    assert "evaluation" in mapper.metadata and mapper.metadata["command"].startswith("mescreen train au")


@pytest.mark.realdata
def test_cross_dataset_evaluation_on_the_sheets(data_dir: Path) -> None:
    from mescreen.training.au_emotion import cross_dataset_evaluation, load_coded_sets

    table = load_coded_sets(data_dir)
    assert set(table.dataset) == {"casme2", "samm", "ckplus"}
    assert set(table.emotion) <= set(EMOTIONS_FINE)
    assert (table.dataset == "ckplus").sum() == 327  # one row per CK+ sequence
    evaluation = cross_dataset_evaluation(table)
    assert len(evaluation["learned"]) == 9
    for row in evaluation["learned"]:
        assert 0.0 <= row["uf1"] <= 1.0 and row["n"] == (table.dataset == row["test"]).sum()
    # Learned from SAMM, the mapping must transfer to CK+ clearly above chance (1/7 UAR).
    samm_to_ck = next(r for r in evaluation["learned"] if r["train"] == "samm" and r["test"] == "ckplus")
    assert samm_to_ck["uar"] > 0.4
