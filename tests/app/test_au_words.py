"""AU codes are always shown with their FACS names, from one table, and the glossary covers every AU read."""

from __future__ import annotations

from mescreen.app.au_words import AU_REGION, REGIONS, au_label, au_list, glossary, in_words
from mescreen.core.labels import AU_NAMES


def test_codes_get_their_facs_names():
    assert au_label("AU12") == "AU12 lip corner puller"
    assert au_label("AU4") == "AU4 brow lowerer"
    assert au_label("AU12L") == "AU12L lip corner puller"  # side letters kept
    assert au_label("AU99") == "AU99"  # unknown codes are not invented a name
    assert au_list(["AU6", "AU12"]) == "AU6 cheek raiser, AU12 lip corner puller"
    assert au_list([]) == "-"


def test_sentences_name_each_code_once():
    assert in_words("AU4+AU9 active in 3 frames") == "AU4 brow lowerer+AU9 nose wrinkler active in 3 frames"
    assert in_words("AU12 lip corner puller seen") == "AU12 lip corner puller seen"
    assert in_words("no codes here") == "no codes here"


def test_glossary_covers_every_au_with_a_region():
    """Every AU the charts show: the detector's and eyes closed (AU43, missing until issue 27)."""
    from mescreen.core.aus.stage import GEOMETRIC_AUS

    rows = glossary()
    assert [r["AU"] for r in rows] == [*AU_NAMES, *GEOMETRIC_AUS]
    assert all(r["what it looks like"] and r["face region"] in REGIONS for r in rows)
    assert set(AU_REGION) == {*AU_NAMES, *GEOMETRIC_AUS}
