"""Model cards from templates: optional sections drop out whole, a missing figure is an error."""

from __future__ import annotations

import pytest

from mescreen.training.card_template import TEMPLATES, render


def test_a_block_is_kept_only_when_its_value_is_given() -> None:
    template = "# Card $v\n\n<!-- if extra -->\n## Extra\n$extra\n\n<!-- end extra -->\n## Limits\n"
    assert render(template, {"v": "1", "extra": "a table"}) == "# Card 1\n\n## Extra\na table\n\n## Limits\n"
    assert render(template, {"v": "1", "extra": ""}) == "# Card 1\n\n## Limits\n"


def test_a_figure_the_template_names_but_the_run_lacks_is_an_error_not_a_placeholder() -> None:
    with pytest.raises(KeyError):
        render("Version $version\n", {})


def test_the_au_detector_card_template_ships_with_the_package() -> None:
    text = (TEMPLATES / "au_detector.md").read_text(encoding="utf-8")
    assert text.startswith("# Model card: AU detector") and "$thresholds" in text


def test_the_shipped_au_card_is_what_its_template_writes_from_the_shipped_detector() -> None:
    """The card's generated part is the template filled from the detector's own metadata (its
    hand-written dated History section follows it)."""
    from mescreen.core.aus.detector import AUDetector
    from mescreen.core.datapaths import model_version, models_dir
    from mescreen.training.au_card import HISTORY_HEADING, detector_card

    path = models_dir() / "au_detector.npz"
    shipped = (models_dir() / "cards" / "au_detector.md").read_text(encoding="utf-8")
    generated = shipped.split("\n" + HISTORY_HEADING + "\n")[0]
    assert detector_card(AUDetector.load(path), model_version(path)).rstrip("\n") == generated.rstrip("\n")
