"""Issue 15, item 6: no CSV mescreen writes starts a text cell with a formula character. (The
OpenFace-style CSV holds only numbers under AUxx_r/AUxx_c headers built from AU numbers.)"""

from __future__ import annotations

import csv
import io

import pytest

from mescreen.core.io.safe_csv import csv_text, neutralise


@pytest.mark.parametrize("cell", ["=HYPERLINK(\"https://evil.example\")", "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"])
def test_formula_cells_are_neutralised(cell: str) -> None:
    assert neutralise(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["P-0042", "-1.5", "+3", "12", 7, -2.0, None, "", "-", "+"])
def test_other_cells_are_unchanged(cell: object) -> None:
    assert neutralise(cell) == cell


def test_csv_text_neutralises_header_and_rows() -> None:
    text = csv_text(["code", "=bad header"], [["=1+1", -3], ["@x", "fine"]])
    rows = list(csv.reader(io.StringIO(text)))
    assert rows == [["code", "'=bad header"], ["'=1+1", "-3"], ["'@x", "fine"]]

