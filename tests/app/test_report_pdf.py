"""The PDF report renders (poppler), has numbered pages, and carries the disclaimer on each page."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import numpy as np
import pytest

from mescreen.core import INTENDED_USE
from mescreen.app.report_pdf import ReportContext, build_report, face_quality_drawing, session_drawings
from tests.conftest import require_tools


def _pages_text(pdf: Path) -> list[str]:
    require_tools("pdftotext", package="poppler-utils")
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True,
                          text=True).stdout
    return [p for p in text.split("\f") if p.strip()]


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def _render(pdf: Path, out: Path) -> list[Path]:
    require_tools("pdftoppm", package="poppler-utils")
    subprocess.run(["pdftoppm", "-png", "-r", "50", str(pdf), str(out / "page")], check=True)
    return sorted(out.glob("page*.png"))


def test_report_pages_text_and_render(result, tmp_path):
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(build_report(result, ReportContext("P-0042", session_number=7, recorded_on="2026-11-20",
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
                     "Emotion distribution", "Action-unit activation over time", "disgust cluster 1",
                     "AU4+AU9+AU10", "emotion.keras@222222", "screening_v1.json@def456",
                     "Face not found in 15 frames."):
        assert expected in everything, expected
    pngs = _render(pdf, tmp_path)
    assert len(pngs) == len(pages)
    assert all(p.stat().st_size > 5_000 for p in pngs)  # drawn pages, not blank ones


def test_report_says_how_well_each_emotion_is_read(tmp_path):
    from tests.app.conftest import screened_result

    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(build_report(screened_result(), ReportContext("P-0043")))
    everything = _squash(" ".join(_pages_text(pdf)))
    for expected in ("Disgust is not read by this version", "Fear is read poorly by this version",
                     "treat its share with care", "contempt and disgust are not read by",  # table cells wrap
                     "Sadness is read fairly well by this version", "Happiness is read well by this version"):
        assert expected in everything, expected


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


def _filled_to(png: Path) -> float:
    """How far down the page's body (between header and footer rules) the content reaches (0..1)."""
    from PIL import Image

    gray = np.asarray(Image.open(png).convert("L"), dtype=float)
    height = gray.shape[0]
    top, bottom = int(0.06 * height), int(0.78 * height)  # below the header, above the footer rule
    inked = np.where((gray[top:bottom] < 200).any(axis=1))[0]
    return 0.0 if inked.size == 0 else float(inked[-1]) / (bottom - top)


def test_report_words_versions_evidence_and_full_pages(result, tmp_path):
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(build_report(result, ReportContext("P-0042", session_number=7, session_note="Tired today.",
                                                       patient_note="Second opinion requested.")))
    pages = _pages_text(pdf)
    everything = _squash(" ".join(pages))
    for expected in ("AU4 brow lowerer", "AU9 nose wrinkler", "Judged against a threshold", "threshold",
                     "What the face did", "Episode 1 (disgust", "nose: moved", "mescreen software",
                     "analysis pipeline (method version)", "confidence", "Clinician's notes",
                     "Session 7: Tired today.", "Patient: Second opinion requested."):
        assert expected in everything, expected
    assert "threshol d" not in everything and "raise d" not in everything  # no header word broken
    assert everything.count("Component Version") == 1  # one versions table
    pngs = _render(pdf, tmp_path)
    for i, png in enumerate(pngs[:-1], start=1):
        assert _filled_to(png) > 0.6, f"page {i} is near-empty"


def test_patient_report_covers_every_session_with_trends_and_the_baseline(tmp_path):
    from datetime import date, datetime, timezone

    from mescreen.app import timeline
    from mescreen.app.patient_report import PatientReportContext, build_patient_report
    from mescreen.store.session_rows import SessionView

    now = datetime(2026, 11, 25, tzinfo=timezone.utc)
    views = [SessionView(
        id=10 + i, number=1 + i, patient_code="P-0042", recorded_on=date(2026, 1 + i, 1), uploader="ada", file_name="f.mp4",
        content_hash="0", status="done", error=None, created_at=now, updated_at=now, level="none",
        indicators={"au_rate_AU4": 0.1 * i}, raised=[], emotion_shares={"sadness": 0.2 * i} if i != 1 else {},
        summary={"n_episodes": 3}, versions={"pipeline": "2.0.0"}, video_path=None,
        notes="Calmer." if i == 4 else None) for i in range(5)]
    pdf = tmp_path / "patient.pdf"
    pdf.write_bytes(build_patient_report(views, PatientReportContext("P-0042", "ada", "Referred by GP."),
                                         {"au_rate_AU4": "Brow lowering (AU4): share of frames"}))
    pages = _pages_text(pdf)
    everything = _squash(" ".join(pages))
    for i, page in enumerate(pages, start=1):
        assert f"Page {i} of {len(pages)}" in _squash(page)
        assert _squash(INTENDED_USE)[:80] in _squash(page)
    for expected in ("5 session(s), 5 analysed", "2026-05-01", "AU4 brow lowerer", "change from the baseline",
                     _squash(timeline.BASELINE_WORDS)[:60], "2.0.0", "Patient: Referred by GP.",
                     "Session 5: Calmer."):
        assert expected in everything, expected


CJK_CODE = "患者一"
HANGUL_CODE = "김민수"
#: An Egyptian hieroglyph: no font mescreen installs or looks for has it.
UNPRINTABLE = "P-\U00013000"


def test_make_installs_fonts_for_japanese_and_korean():
    """`make` installs IPAexGothic and NanumGothic with the environment (Makefile), so a machine
    with only Python prints Japanese and Korean codes too (issue 27)."""
    from mescreen.app.pdf_fonts import PACKAGED_FONTS, _packaged

    missing = [package for package, name in PACKAGED_FONTS if _packaged(package, name) is None]
    assert not missing, f"font packages missing from the environment: {missing} (run `make venv`)"


def test_cjk_patient_code_prints_in_the_report(result, tmp_path):
    """Issue 15, item 12: the code used to print as empty boxes; issue 27: and as code points on a
    machine without Debian's CJK font."""
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(build_report(result, ReportContext(patient_code=CJK_CODE, session_number=3, uploaded_by="王医生")))
    text = "\n".join(_pages_text(pdf))
    assert f"Patient {CJK_CODE}" in text and "王医生" in text
    assert f"patient {CJK_CODE}" in _pages_text(pdf)[1]  # the page header of later pages too


def test_hangul_prints_in_the_report(result, tmp_path):
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(build_report(result, ReportContext(patient_code=HANGUL_CODE, session_number=1)))
    pages = _pages_text(pdf)
    assert f"Patient {HANGUL_CODE}" in pages[0] and f"patient {HANGUL_CODE}" in pages[1]
    assert "cannot be printed" not in pages[0]


def test_without_a_wide_font_characters_are_written_as_code_points_and_the_first_page_says_so(
        result, tmp_path, monkeypatch):
    import mescreen.app.pdf_fonts as fonts

    monkeypatch.setattr(fonts, "WIDE_FONTS", ())
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(build_report(result, ReportContext(patient_code=CJK_CODE, session_number=3)))
    first = _squash(_pages_text(pdf)[0])
    assert "Patient [U+60A3][U+8005][U+4E00]" in first
    assert "cannot be printed" in first and "[U+60A3]" in first


def test_a_character_no_font_has_is_named_on_the_first_page(result, tmp_path):
    from mescreen.app.patient_report import PatientReportContext, build_patient_report

    for name, data in (("session", build_report(result, ReportContext(patient_code=UNPRINTABLE))),
                       ("patient", build_patient_report([], PatientReportContext(UNPRINTABLE), {}))):
        pdf = tmp_path / f"{name}.pdf"
        pdf.write_bytes(data)
        first = _squash(_pages_text(pdf)[0])
        assert "P-[U+13000]" in first, name
        assert "Some characters cannot be printed" in first and "U+13000" in first, name


# ---------------------------------------------------------------- issue 27: the walk's PDF findings

def test_the_emotion_chart_legend_names_every_emotion_inside_the_chart():
    """The legend omitted fear and contempt: ReportLab's legend starts a new column after three
    names, and the later columns fell outside the drawing."""
    from reportlab.graphics.charts.legends import Legend

    from mescreen.app.report_pdf import emotion_over_time_drawing
    from tests.app.conftest import make_result

    result = make_result()
    result.series.emotion_prob[:] = np.linspace(0.05, 0.5, result.series.emotion_prob.shape[1])  # every emotion
    drawing = emotion_over_time_drawing(result)
    legend = next(item for item in drawing.contents if isinstance(item, Legend))
    names = [name for _, name in legend.colorNamePairs]
    assert {"fear", "contempt"} <= set(names) and len(names) == len(result.series.emotion_names)
    x0, y0, x1, y1 = legend.getBounds()
    assert 0 <= x0 and x1 <= drawing.width and 0 <= y0 and y1 <= drawing.height, (x0, y0, x1, y1, drawing.width)


def _broken_words(table) -> list[str]:
    """Words of the table's cells that ReportLab split over two lines ("macr o")."""
    from reportlab.platypus import Paragraph

    table.wrap(800, 800)  # wraps every cell paragraph at its column's width
    broken = []
    for row in table._cellvalues:
        for cell in row:
            for para in (c for c in (cell if isinstance(cell, (list, tuple)) else [cell]) if isinstance(c, Paragraph)):
                words = set(para.getPlainText().split())
                lines = para.blPara.lines
                shown = [" ".join(str(w) for w in line[1]) if isinstance(line, tuple)
                         else "".join(f.text for f in line.words) for line in lines]
                broken += [w for text in shown for w in text.split() if w not in words]
    return broken


def test_table_cells_never_break_a_word():
    from mescreen.app.report_pdf import _styles, episodes_table
    from tests.app.conftest import make_result

    result = make_result()
    for episode in result.episodes:
        episode.cluster = "Sadness_ME1"
    result.episodes[0].kind = "macro"
    assert _broken_words(episodes_table(result, _styles())) == []


def _headings() -> set[str]:
    return {"Session details", "Screening", "Judged against a threshold", "Not judged", "Clinician's notes",
            "Emotion shares (for information, no threshold)", "Analysis notes", "Charts", "Episodes",
            "What the face did (evidence from the face-mesh landmarks)", "ME clusters", "Versions"}


def test_a_short_recordings_time_axis_labels_differ():
    """A 2.4 s recording's axis read "0 s 0 s 1 s 2 s 2 s" (whole seconds at half-second ticks)."""
    from reportlab.graphics.shapes import Group, String

    from tests.app.conftest import make_result

    def strings(item) -> list[str]:  # texts of strings and of axis labels (Label widgets keep theirs in _text)
        if isinstance(item, Group):
            return [t for child in item.contents for t in strings(child)]
        text = item.text if isinstance(item, String) else getattr(item, "_text", None)
        return [str(text)] if text is not None else []

    for n_frames in (72, 600):  # 2.4 s and 20 s at 30 frames per second
        drawing = face_quality_drawing(make_result(n_frames, with_episodes=False)).expandUserNodes()
        labels = [t for t in strings(drawing) if t.endswith(" s")]
        assert len(labels) >= 3 and len(set(labels)) == len(labels), (n_frames, labels)


def test_no_heading_is_left_alone_at_the_bottom_of_a_page(tmp_path):
    from dataclasses import replace

    from tests.app.conftest import make_result

    footer = set(_squash(INTENDED_USE).split())
    alone = []
    for n in range(0, 24, 2):  # analysis notes of several lengths move every heading along the pages
        result = replace(make_result(), warnings=[f"Analysis note {k}." for k in range(n)])
        pdf = tmp_path / f"report{n}.pdf"
        pdf.write_bytes(build_report(result, ReportContext("P-1", session_number=1, session_note="A note.")))
        for number, page in enumerate(_pages_text(pdf)[:-1], start=1):
            lines = [line.strip() for line in page.splitlines() if line.strip()]
            body = [line for line in lines if not set(_squash(line).split()) <= footer]
            last = _squash(body[-1]) if body else ""
            if last in _headings() or last.endswith("no image of the patient is stored)."):  # the pictures' intro
                alone.append((n, number, body[-1]))
    assert alone == []


def test_patient_report_leaves_out_empty_sections_and_numbers_those_it_shows(tmp_path):
    from datetime import date, datetime, timezone

    from mescreen.app.patient_report import PatientReportContext, build_patient_report
    from mescreen.app.summary import rule_labels
    from mescreen.store.session_rows import SessionView

    now = datetime(2026, 11, 25, tzinfo=timezone.utc)
    valued = ["micro_per_minute", "macro_per_minute", "time_share_sadness", "time_share_happiness",
              "au12_per_minute", "head_motion"]
    views = [SessionView(
        id=i, number=i, patient_code="P-1", recorded_on=date(2026, 1 + i, 1), uploader="ada", file_name="f.mp4",
        content_hash="0", status="done", error=None, created_at=now, updated_at=now, level="none",
        indicators={**{k: 0.1 * (i + 1) for k in valued}, "negative_share": None, "surprise_share": None},
        raised=[], emotion_shares={}, summary={"n_episodes": 1}, versions={}, video_path=None) for i in range(1, 4)]
    pdf = tmp_path / "patient.pdf"
    pdf.write_bytes(build_patient_report(views, PatientReportContext("P-1"), rule_labels()))
    text = _squash(" ".join(_pages_text(pdf)))
    assert "No analysed session has a value" not in text
    assert "Screening indicators per session (1)" in text and "Screening indicators per session (2)" in text
    assert "Screening indicators per session (3)" not in text  # six indicators with values: two charts
    assert "Emotion share of the episodes per session" not in text  # no session has labelled episodes
