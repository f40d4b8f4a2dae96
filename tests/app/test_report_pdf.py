"""The PDF report renders (poppler), has numbered pages, and carries the disclaimer on each page."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from mescreen.core import INTENDED_USE
from mescreen.app.report_pdf import ReportContext, build_report, session_drawings

pytestmark = pytest.mark.skipif(shutil.which("pdftoppm") is None or shutil.which("pdftotext") is None,
                                reason="poppler-utils (pdftoppm, pdftotext) not installed")


def _pages_text(pdf: Path) -> list[str]:
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True,
                          text=True).stdout
    return [p for p in text.split("\f") if p.strip()]


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def _render(pdf: Path, out: Path) -> list[Path]:
    subprocess.run(["pdftoppm", "-png", "-r", "50", str(pdf), str(out / "page")], check=True)
    return sorted(out.glob("page*.png"))


def test_report_pages_text_and_render(result, tmp_path):
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(build_report(result, ReportContext("P-0042", session_id=7, recorded_on="2026-11-20",
                                                       uploaded_by="dr.ada", generated_by="dr.ada")))
    assert pdf.read_bytes().startswith(b"%PDF")
    pages = _pages_text(pdf)
    assert len(pages) >= 3
    for i, page in enumerate(pages, start=1):
        flat = _squash(page)
        assert f"Page {i} of {len(pages)}" in flat
        assert "patient P-0042" in flat
        assert _squash(INTENDED_USE)[:80] in flat, f"disclaimer missing on page {i}"
    everything = _squash(" ".join(pages))
    for expected in ("Session details", "2026-11-20", "dr.ada", "Level: watch",
                     "Share of negative micro-expressions", "2 of 3 episodes were negative",
                     "Emotion distribution", "Action-unit activation over time", "Disgust_ME1",
                     "AU4+AU9+AU10", "emotion.keras@222222", "screening_v1.json@def456",
                     "Face not found in 15 frames."):
        assert expected in everything, expected
    pngs = _render(pdf, tmp_path)
    assert len(pngs) == len(pages)
    assert all(p.stat().st_size > 5_000 for p in pngs)  # drawn pages, not blank ones


def test_report_for_an_empty_session_says_so(empty_result, tmp_path):
    pdf = tmp_path / "empty.pdf"
    pdf.write_bytes(build_report(empty_result, ReportContext("P-1")))
    everything = _squash(" ".join(_pages_text(pdf)))
    assert "No facial movement episodes were found" in everything
    assert "Level: insufficient" in everything
    assert "No indicator was raised." in everything


def test_charts_are_vector_drawings(result):
    drawings = session_drawings(result)
    assert len(drawings) == 6
    assert all(d.width > 0 and d.height > 60 and d.contents for d in drawings)


CJK_CODE = "患者一"


def _wide_font_required() -> None:
    from mescreen.app.pdf_fonts import WIDE_FONT

    if WIDE_FONT is None:
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail("CI=true but no wide-coverage font is installed (.ci/run installs fonts-wqy-zenhei)")
        pytest.skip("no wide-coverage font installed (apt-get install fonts-wqy-zenhei)")


def test_cjk_patient_code_prints_in_the_report(result, tmp_path):
    """Issue 15, item 12: the code used to print as empty boxes."""
    _wide_font_required()
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(build_report(result, ReportContext(patient_code=CJK_CODE, session_id=3, uploaded_by="王医生")))
    text = "\n".join(_pages_text(pdf))
    assert f"Patient {CJK_CODE}" in text and "王医生" in text
    assert f"patient {CJK_CODE}" in _pages_text(pdf)[1]  # the page header of later pages too


def test_without_a_wide_font_characters_are_written_as_code_points(result, tmp_path, monkeypatch):
    import mescreen.app.pdf_fonts as fonts

    monkeypatch.setattr(fonts, "WIDE_FONT", None)
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(build_report(result, ReportContext(patient_code=CJK_CODE, session_id=3)))
    assert "Patient [U+60A3][U+8005][U+4E00]" in "\n".join(_pages_text(pdf))
