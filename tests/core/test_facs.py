"""The FACS parser on the odd codes that occur in the coding sheets."""

import math

import pytest

from mescreen.core.aus.facs import AUCode, au_vector, parse_facs


@pytest.mark.parametrize(
    "text, expected",
    [
        ("4+7+L10", {4, 7, 10}),
        ("R12A", {12}),
        ("AU1+2", {1, 2}),
        ("AU4+AU7", {4, 7}),
        ("12B+25", {12, 25}),
        ("A1B+A2C", {1, 2}),
        ("10A/B", {10}),
        ("A/L12", {12}),
        ("T18+39", {18, 39}),
        ("12+15 ", {12, 15}),
        ("L12 + 61", {12, 61}),
        ("4+6+7+9+43E", {4, 6, 7, 9, 43}),
    ],
)
def test_au_sets(text, expected):
    assert parse_facs(text).aus() == frozenset(expected)


def test_side_and_intensity_are_kept():
    codes = parse_facs("R12A+L14C").codes
    assert codes == (AUCode(12, "R", "A"), AUCode(14, "L", "C"))
    assert parse_facs("A1B").codes[0] == AUCode(1, "A", "B")
    assert parse_facs("10A/B").codes[0].intensity == "A"


def test_reference_aus_are_flagged_and_left_out_by_default():
    parsed = parse_facs("4D+ref(6)+7C+43E")
    assert parsed.aus() == frozenset({4, 7, 43})
    assert parsed.aus(include_reference=True) == frozenset({4, 6, 7, 43})
    assert parse_facs("7B+ ref(43)").aus() == frozenset({7})
    assert parse_facs("ref(L10)+A12B").codes[0] == AUCode(10, "L", "", reference=True)


def test_or_alternatives_are_uncertain():
    parsed = parse_facs("(R6 or R12)+R15")
    assert parsed.aus() == frozenset({6, 12, 15})
    assert parsed.aus(include_uncertain=False) == frozenset({15})
    assert parse_facs("R14A or 17A or 24A").aus(include_uncertain=False) == frozenset()


@pytest.mark.parametrize("empty", ["", "?", None, math.nan, "   "])
def test_empty_codes(empty):
    assert parse_facs(empty).aus() == frozenset()


def test_non_au_words_are_reported_not_guessed():
    parsed = parse_facs("R14+17+soft focus")
    assert parsed.aus() == frozenset({14, 17})
    assert parsed.unparsed == ("soft focus",)
    assert parse_facs("?").unparsed == ("?",)


def test_au_vector_order():
    assert au_vector("4+7+L10", ["AU1", "AU4", "AU7", "AU10", "AU12"]) == [0, 1, 1, 1, 0]


@pytest.mark.parametrize(
    "text, code",
    [
        ("12L", AUCode(12, "L", "")),
        ("4R", AUCode(4, "R", "")),
        ("10R", AUCode(10, "R", "")),
        ("12LA", AUCode(12, "L", "A")),
        ("12AL", AUCode(12, "L", "A")),
        ("AU12R", AUCode(12, "R", "")),
        ("12B", AUCode(12, "", "B")),  # after the number B is an intensity, not "bottom"
        ("B18", AUCode(18, "B", "")),  # before it, a side
    ],
)
def test_side_letters_after_the_number(text, code):
    assert parse_facs(text).codes == (code,)


def test_two_different_sides_are_reported():
    assert parse_facs("L12R").unparsed == ("L12R",)


def test_ckplus_underscores_and_commas_separate_aus():
    assert parse_facs("6_12_25").aus() == frozenset({6, 12, 25})
    assert parse_facs("1, 2, 5").aus() == frozenset({1, 2, 5})


def test_every_code_of_every_shared_coding_sheet_parses(data_dir):
    """Each code string of the coding sheets, MEGC and CK+ parses; what is not an AU is one of
    the descriptors the sheets use, reported rather than guessed."""
    import pandas as pd

    sheets = {
        "au_sheets/casme2_coding_2019.csv": "Action Units", "au_sheets/casme2_coding_legacy.csv": "Action Units",
        "au_sheets/samm_facs_codes_v2.csv": "Action Units", "megc2019/labels.csv": "action_units",
        "ckplus48/labels.csv": "AU.combination",
    }
    leftovers = set()
    for path, column in sheets.items():
        for text in pd.read_csv(data_dir / path)[column]:
            parsed = parse_facs(text)
            leftovers |= set(parsed.unparsed)
            if isinstance(text, str) and text.strip() not in ("", "?"):
                assert parsed.codes, f"{path}: {text!r} gave no AU"
    # "1.7" is a typo in three CK+ rows ("4_7_9_1.7", probably AU17): reported, not guessed.
    assert leftovers <= {"?", "soft focus", "1.7"}
