"""Issue 27's clinician walk in a real browser: three uploads of one patient (the second and third
back-dated), the upload page, the sidebar, the session page, over time, both PDFs, the glossary
and the patients table. Each check is a finding of the walk; screenshots go to the test's tmp
folder. Needs what tests/e2e/test_browser.py needs (Chromium, pdftotext, the research videos)."""

from __future__ import annotations

import csv
import io
import re
import time
from datetime import date
from pathlib import Path

import pytest

from tests.e2e.test_browser import (  # noqa: F401 (app_url is a fixture)
    ANALYSIS_TIMEOUT_S, CHROMIUM, CHROMIUM_ARGS, PASSWORD, USER, _download_pdf, _page, _screenshot, app_url,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CODE = "P-WALK-1"
SIDEBAR = "[data-testid=stSidebar]"
MAIN = "[data-testid=stMain]"


def _set_date(page, when: date) -> None:
    """Type `when` into the date field's year, month and day parts. On a loaded machine a rerun can
    replace the field while a part is typed, so each part is found afresh and typed again until the
    field holds it."""
    from playwright.sync_api import Error

    for part, value in (("year", f"{when.year}"), ("month", f"{when.month:02d}"), ("day", f"{when.day:02d}")):
        for attempt in range(3):
            field = page.get_by_role("spinbutton", name=f"{part}, Recording date")
            try:
                field.click(timeout=20_000)
                field.press_sequentially(value, timeout=20_000)
                if int(field.get_attribute("aria-valuenow", timeout=10_000) or -1) == int(value):
                    break
            except Error:
                if attempt == 2:
                    raise
        else:
            raise AssertionError(f"the date field's {part} would not take {value}")
    page.keyboard.press("Escape")  # close the calendar, should it have opened


def _upload(page, video: Path, when: date, number: int, samples: list[tuple[str, str]]) -> None:
    """Upload `video` recorded on `when` and wait for its analysis, sampling what the main panel and
    the sidebar say about it meanwhile; it must be announced as session `number`."""
    from playwright.sync_api import expect

    page.get_by_role("link", name="Upload & analyse").click()
    expect(page.get_by_role("heading", name="Upload & analyse")).to_be_visible()
    chip = page.locator("[data-testid=stFileChip]").filter(has_text=re.compile(r"\d+(\.\d+)?\s?[KM]B"))
    for _ in range(3):  # a rerun can replace the uploader between finding it and using it
        with page.expect_file_chooser() as chooser:
            page.locator("[data-testid=stFileUploaderDropzone] [data-testid=stBaseButton-secondary]").click()
        chooser.value.set_files(str(video))
        try:
            expect(chip).to_be_visible(timeout=10_000)
            break
        except AssertionError:
            page.wait_for_timeout(1000)
    expect(chip).to_be_visible()
    expect(page.get_by_text(f"Chosen: {video.name}")).to_be_visible()  # in full: the chip shortens it
    if when != date.today():
        _set_date(page, when)
    page.get_by_text("The patient consented").click()
    page.get_by_role("button", name="Analyse").click()
    again = page.get_by_role("button", name="Analyse again")
    banner = page.get_by_text("is being analysed")
    expect(again.or_(banner).first).to_be_visible(timeout=60_000)
    if again.count():
        again.click()
    title = page.locator(MAIN).get_by_text(f"for patient {CODE} (session {number})").first
    expect(title).to_be_visible(timeout=60_000)
    # the innermost block holding this job's title: its bordered box in the analyses panel
    panel = page.locator(MAIN).locator("[data-testid=stVerticalBlock]").filter(
        has_text=f"for patient {CODE} (session {number})").last
    side = page.locator(SIDEBAR).get_by_text(f"{CODE}, session {number}").first
    deadline = time.monotonic() + ANALYSIS_TIMEOUT_S
    while time.monotonic() < deadline:
        text = panel.inner_text(timeout=5_000)
        if "analysis finished" in text or "analysis failed" in text:
            break
        samples.append((text, side.inner_text(timeout=5_000) if side.count() else ""))
        page.wait_for_timeout(500)
    assert "analysis finished" in panel.inner_text(), panel.inner_text()


def _plot_boxes(page, index: int) -> dict:
    """The drawn sizes (pixels) of one Plotly chart's plot area and legend."""
    return page.evaluate("""i => {
        const g = document.querySelectorAll('.js-plotly-plot')[i];
        const box = e => { if (!e) return null; const r = e.getBoundingClientRect();
                           return {x: r.x, y: r.y, w: r.width, h: r.height}; };
        return {plot: box(g.querySelector('.nsewdrag')), legend: box(g.querySelector('.legend')),
                title: (g.layout && g.layout.title && g.layout.title.text) || ''};
    }""", index)


def test_the_clinicians_walk(app_url, videos_dir, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    shots = tmp_path / "screenshots"
    shots.mkdir()
    video = videos_dir / "single_face.mp4"
    today = date.today()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        page = _page(browser)
        expect.set_options(timeout=30_000)

        def shot(name: str, height: int = 1000) -> None:
            _screenshot(page, shots / f"{name}.png", height)

        try:
            page.goto(app_url)
            page.get_by_role("textbox", name="User name").fill(USER)
            page.get_by_role("textbox", name="Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            expect(page.get_by_role("heading", name="Patients")).to_be_visible()
            for code in ("P-WALK-2", CODE):  # P-WALK-2 gets no session: "-" in its row of the patients table
                create = page.get_by_role("button", name="Create patient")
                expect(create).to_have_count(1)  # while a rerun draws the page, the old form can still show
                page.get_by_role("textbox", name="Patient code").fill(code)
                create.click()
                expect(page.get_by_text(f"Patient {code} created")).to_be_visible()

            # Upload: the form's limit in the widget's words; three uploads, two back-dated.
            page.get_by_role("link", name="Upload & analyse").click()
            expect(page.get_by_text("up to 1 GB)")).to_be_visible()
            expect(page.get_by_text("1GB per file")).to_be_visible()
            samples: list[tuple[str, str]] = []
            for number, when in ((1, today), (2, date(2026, 3, 1)), (3, date(2026, 4, 1))):
                # a file of its own each time (a file input ignores the file it already holds), with the
                # long names clinics give recordings
                named = tmp_path / f"interview recording of visit {number} at the memory clinic, {when}.mp4"
                named.write_bytes(video.read_bytes())
                _upload(page, named, when, number, samples)
                shot(f"31_uploaded_{number}")
            print("main panel / sidebar while analysing:", sorted(set(samples)))
            stale = [(main, side) for main, side in samples
                     if "Waiting" in main and side and "Waiting" not in side and "Starting" not in side]
            assert not stale, stale[:3]  # the main panel said "Waiting" while the sidebar named the stage

            # Sidebar: buttons, not links that all light up as the current page.
            side = page.locator(SIDEBAR)
            for number in (1, 2, 3):
                expect(side.get_by_text(f"{CODE}, session {number}: finished")).to_be_visible()
            assert side.get_by_role("link", name="Open").count() == 0
            opens = side.get_by_role("button", name="Open")
            expect(opens).to_have_count(3)
            opens.last.click()  # the oldest job, the first upload: session 1
            expect(page.get_by_role("combobox", name="Recording")).to_have_value(
                re.compile(f"^Session 1 - recorded {today.isoformat()}"))
            started = time.monotonic()
            page.wait_for_function("document.querySelectorAll('.js-plotly-plot').length >= 9", timeout=60_000)
            print(f"session page drawn in {time.monotonic() - started:.1f} s after the switch")
            assert page.locator(".js-plotly-plot").count() == 9  # one evidence picture, not one per episode
            lit = page.evaluate("Array.from(document.querySelectorAll('[data-testid=stSidebar] a'))"
                                ".filter(a => getComputedStyle(a).fontWeight >= 600).map(a => a.innerText)")
            assert len(lit) <= 1, lit  # at most the Session page itself in the navigation
            shot("32_session_1", height=7500)

            # Session page: tables read as text ("-", never a bullet); the trace's legend fits its plot.
            tables = " ".join(page.locator("[data-testid=stTable]").all_inner_texts())
            assert "•" not in tables
            charts = page.evaluate("Array.from(document.querySelectorAll('.js-plotly-plot'))"
                                   ".map(g => String((g.layout && g.layout.title && g.layout.title.text) || ''))")
            trace = _plot_boxes(page, next(i for i, t in enumerate(charts) if "Emotion over time" in t))
            assert trace["legend"]["h"] <= trace["plot"]["h"], trace

            # Both PDFs and their names use the same numbers as the pages.
            name, text = _download_pdf(page, "PDF report", tmp_path / "session1.pdf")
            assert "_session1_" in name and f"Patient {CODE}, session 1, recorded {today.isoformat()}" in text

            page.get_by_role("link", name="Patient over time").click()
            expect(page.get_by_role("heading", name="Compare two sessions")).to_be_visible()
            page.wait_for_function("document.querySelectorAll('.js-plotly-plot').length >= 4", timeout=60_000)
            assert "Not enough analysed sessions" not in page.locator(MAIN).inner_text()
            assert "•" not in " ".join(page.locator("[data-testid=stTable]").all_inner_texts())
            shot("33_over_time", height=3600)
            _, text = _download_pdf(page, "PDF report of all sessions", tmp_path / "patient.pdf")
            assert f"Patient {CODE}: 3 session(s), 3 analysed" in text
            assert "No analysed session has a value" not in text
            numbers = [int(n) for n in re.findall(r"Screening indicators per session \((\d+)\)", text)]
            assert numbers == list(range(1, len(numbers) + 1)), numbers  # (1), (2) ... as shown, no gaps

            # Glossary: AU43 is there, no label hides another or leaves its box.
            page.get_by_role("link", name="AU glossary").click()
            expect(page.get_by_text("eyes closed").first).to_be_visible()
            page.wait_for_function("document.querySelectorAll('.js-plotly-plot .annotation').length >= 6")
            boxes = page.evaluate("""() => {
                const g = document.querySelector('.js-plotly-plot');
                const r = e => { const b = e.getBoundingClientRect(); return [b.left, b.top, b.right, b.bottom]; };
                return {labels: Array.from(g.querySelectorAll('.annotation-text')).map(e => [e.textContent, r(e)]),
                        shapes: Array.from(g.querySelectorAll('.shapelayer path')).map(r)};
            }""")
            assert any("AU43" in text for text, _ in boxes["labels"]), boxes["labels"]
            labels = boxes["labels"]
            for k, (a, (l0, t0, r0, b0)) in enumerate(labels):
                for b, (l1, t1, r1, b1) in labels[k + 1:]:
                    assert r0 <= l1 or r1 <= l0 or b0 <= t1 or b1 <= t0, f"{a!r} overlaps {b!r}"
                assert any(s[0] <= l0 and r0 <= s[2] and s[1] <= t0 and b0 <= s[3] for s in boxes["shapes"][1:]), \
                    f"{a!r} runs out of its box"
            shot("34_glossary", height=1800)

            # Patients table as CSV: missing values are "-", not "'-".
            page.get_by_role("link", name="Patients").click()
            with page.expect_download() as download:
                page.get_by_role("button", name="Download this table (CSV)").click()
            rows = list(csv.reader(io.StringIO(Path(download.value.path()).read_text())))
            assert not any(cell.startswith("'-") for row in rows for cell in row), rows
        finally:
            shot("99_last")
            browser.close()
