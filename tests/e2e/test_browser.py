"""End to end in a real browser: start the dashboard on a free port with a fresh store, create the
admin with the CLI, sign in, create a patient, upload a real interview video, wait for the
results, check the charts, download the PDF; a reload and a second browser keep or restore the
sign-in; three sessions of one patient give the over-time page, a comparison, a note and the
patient report; a clinician of another care team cannot reach a patient until the admin moves it
to their team. Screenshots of each step go to the test's tmp folder.

Needs Chromium at /usr/bin/chromium and pdftotext (Debian's chromium and poppler-utils; `.ci/run`
installs them) and the Python `playwright` package; never `playwright install` (no network).
Skips locally without them, fails under CI=true.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import require, require_tools

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = Path("/usr/bin/chromium")
REPO = Path(__file__).resolve().parents[2]
USER, PASSWORD = "admin", "e2e-password-123"
PATIENT = "P-E2E-01"
ANALYSIS_TIMEOUT_S = 300
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def _require_browser() -> None:
    missing = []
    if not os.access(CHROMIUM, os.X_OK):  # installed and runnable
        missing.append(f"{CHROMIUM} (apt-get install chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("the playwright Python package (pip install -e '.[dev]')")
    require(not missing, "browser test needs " + " and ".join(missing))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _mescreen(env: dict[str, str], *args: str, stdin: str | None = None) -> str:
    done = subprocess.run([sys.executable, "-m", "mescreen.cli.main", *args], cwd=REPO, env=env, input=stdin,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"mescreen {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture
def app_url(tmp_path):
    """The dashboard on a free port with a fresh SQLite store and an admin made with the CLI."""
    _require_browser()
    require_tools("pdftotext", package="poppler-utils")
    env = {**os.environ, "MESCREEN_DB_URL": f"sqlite:///{tmp_path / 'e2e.db'}",
           "MESCREEN_UPLOAD_DIR": str(tmp_path / "uploads"), "MESCREEN_KEEP_VIDEOS": "false",
           "MESCREEN_SECRET_FILE": str(tmp_path / "secret_key"), "PYTHONUNBUFFERED": "1"}
    _mescreen(env, "db", "upgrade")
    _mescreen(env, "user", "add", USER, "--role", "admin", "--password-stdin", stdin=PASSWORD + "\n")
    port = _free_port()
    log = (tmp_path / "streamlit.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(REPO / "mescreen" / "app" / "app.py"),
         "--server.port", str(port), "--server.address", "127.0.0.1", "--server.headless", "true",
         "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
        cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the dashboard did not start:\n{(tmp_path / 'streamlit.log').read_text()}")
            time.sleep(0.5)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


def _download_pdf(page, button: str, target: Path) -> tuple[str, str]:
    """Click a PDF download button, check the file is a PDF, and return the name the browser was
    given and the file's text."""
    with page.expect_download(timeout=60_000) as download_info:
        page.get_by_role("button", name=button).click()
    download_info.value.save_as(target)
    assert target.read_bytes().startswith(b"%PDF")
    done = subprocess.run(["pdftotext", str(target), "-"], capture_output=True, text=True, check=True)
    return download_info.value.suggested_filename, done.stdout


def _wait_for_cookie(page, name: str, timeout_s: float = 30.0) -> None:
    """Wait until the page's script has stored the sign-in cookie (slow on a loaded machine)."""
    deadline = time.monotonic() + timeout_s
    while not any(c["name"] == name for c in page.context.cookies()):
        if time.monotonic() > deadline:
            pytest.fail(f"the sign-in cookie {name} was never stored", pytrace=False)
        page.wait_for_timeout(200)


def _audited(tmp_path: Path, action: str) -> list[tuple[str, str | None, str]]:
    from mescreen.store.audit import audit_entries
    from mescreen.store.engine import open_store

    with open_store(f"sqlite:///{tmp_path / 'e2e.db'}")() as session:
        return [(a.actor, a.patient_code, a.outcome) for a in audit_entries(session, action=action)]


VIEWPORT = {"width": 1400, "height": 1000}


def _page(browser):
    """A page in its own browser context (its own cookies), with the long timeouts the shared CI
    machine needs (5 s is too tight there)."""
    page = browser.new_context(viewport=VIEWPORT, accept_downloads=True).new_page()
    page.set_default_timeout(30_000)
    return page


def _screenshot(page, path: Path, height: int = 1000) -> None:
    """Streamlit scrolls inside its own container, so a long page is captured by making the window
    as tall as the page; a short pause lets charts and tables finish drawing."""
    page.set_viewport_size({"width": 1400, "height": height})
    page.wait_for_timeout(1500)
    page.screenshot(path=str(path))
    page.set_viewport_size(VIEWPORT)


def _choose(page, box: str, option: str) -> None:
    """Pick `option` in the select box named `box`. On a loaded machine a Streamlit rerun can close
    the list between the click and the pick, so the list is opened again (at most three times)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    for _ in range(3):
        page.get_by_role("combobox", name=box).click()
        try:
            page.get_by_role("option", name=option).click(timeout=10_000)
            return
        except PlaywrightTimeout:
            page.keyboard.press("Escape")
    raise AssertionError(f"the option {option!r} of {box!r} could not be picked")


def test_clinician_flow_in_a_real_browser(app_url, videos_dir, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    shots = tmp_path / "screenshots"
    shots.mkdir()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        page = _page(browser)
        expect.set_options(timeout=30_000)  # the CI machine is shared and slow: 5 s is too tight

        def shot(name: str, height: int = 1000) -> None:
            _screenshot(page, shots / f"{name}.png", height)

        try:
            page.goto(app_url)
            expect(page.get_by_role("textbox", name="User name")).to_be_visible()
            assert PATIENT not in page.content()
            shot("01_sign_in")
            page.get_by_role("textbox", name="User name").fill(USER)
            page.get_by_role("textbox", name="Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            expect(page.get_by_role("heading", name="Patients")).to_be_visible()
            expect(page.get_by_text("No patients yet")).to_be_visible()

            page.get_by_role("textbox", name="Patient code").fill(PATIENT)
            page.get_by_role("button", name="Create patient").click()
            expect(page.get_by_text(f"Patient {PATIENT} created in care team Care team 1.")).to_be_visible()
            shot("02_patients")

            page.get_by_role("link", name="Upload & analyse").click()
            expect(page.get_by_role("heading", name="Upload & analyse")).to_be_visible()
            wrong = tmp_path / "notes.txt"
            wrong.write_text("not a video")
            page.locator("input[type=file]").set_input_files(str(wrong))
            page.get_by_text("The patient consented").click()
            page.get_by_role("button", name="Analyse").click()
            expect(page.get_by_text("not a file type mescreen accepts")).to_be_visible()
            shot("03a_wrong_type")

            page.locator("input[type=file]").set_input_files(str(videos_dir / "single_face.mp4"))
            expect(page.get_by_text("Chosen: single_face.mp4")).to_be_visible()  # named in full below the widget
            # A refused form keeps what was entered (issue 16): the consent box is still ticked.
            expect(page.get_by_role("checkbox", name="The patient consented")).to_be_checked()
            page.get_by_role("button", name="Analyse").click()
            expect(page.get_by_text("is being analysed")).to_be_visible(timeout=60_000)
            shot("03_upload_started")

            finished = page.get_by_text("analysis finished")
            failed = page.get_by_text("the analysis failed")
            deadline = time.monotonic() + ANALYSIS_TIMEOUT_S
            while time.monotonic() < deadline and not (finished.count() or failed.count()):
                page.wait_for_timeout(1000)
            shot("04_analysis_finished")
            if failed.count():
                pytest.fail("the analysis of single_face.mp4 failed in the dashboard: "
                            + page.locator("[data-testid=stAlertContentError]").first.inner_text(), pytrace=False)
            assert finished.count(), f"no result within {ANALYSIS_TIMEOUT_S} s"

            page.get_by_role("link", name="Open results").click()
            expect(page.get_by_role("heading", name="Screening indicators")).to_be_visible()
            expect(page.get_by_text("Screening aid, not a diagnosis").first).to_be_visible()
            page.wait_for_function("document.querySelectorAll('.js-plotly-plot').length >= 8",
                                   timeout=60_000)
            titles = page.evaluate(  # each Plotly graph div keeps its layout, title included
                "Array.from(document.querySelectorAll('.js-plotly-plot'))"
                ".map(g => String((g.layout && g.layout.title && g.layout.title.text) || ''))")
            for expected in ("Emotion distribution", "Action-unit activation over time",
                             "ME cluster distribution", "Face quality over time"):
                assert any(expected in t for t in titles), f"chart {expected!r} missing: {titles}"
            shot("05_session", height=6500)

            _, text = _download_pdf(page, "PDF report", tmp_path / "report.pdf")
            assert f"Patient {PATIENT}" in text and re.search(r"Page 1 of \d+", text)
            assert _audited(tmp_path, "download_pdf") == [("admin", PATIENT, "ok")]  # issue 15, item 4

            page.get_by_role("link", name="Patient over time").click()
            expect(page.get_by_role("heading", name="Patient over time")).to_be_visible()
            # the emotion shares and their change; no indicator of a 2.4 s recording can be judged, so
            # the page says so instead of drawing an empty indicator chart
            expect(page.get_by_text("No screening indicator could be judged")).to_be_visible()
            page.wait_for_function("document.querySelectorAll('.js-plotly-plot').length >= 2")
            shot("06_over_time", height=2200)

            # Issue 15, item 2: a new sign-in of a user with a finished analysis (another tab or
            # computer, or a reload) used to show a blank page (StreamlitPageNotFoundError).
            # Issue 16: a reload keeps the user signed in (the sign-in cookie).
            second = _page(browser)
            second.goto(app_url)
            expect(second.get_by_role("textbox", name="User name")).to_be_visible()
            second.get_by_role("textbox", name="User name").fill(USER)
            second.get_by_role("textbox", name="Password").fill(PASSWORD)
            second.get_by_role("button", name="Sign in").click()
            for attempt in ("new browser", "after reload"):
                expect(second.get_by_role("heading", name="Patients")).to_be_visible()
                expect(second.get_by_text("Your analyses")).to_be_visible()
                assert "StreamlitPageNotFoundError" not in second.content(), attempt
                _wait_for_cookie(second, "mescreen_signin")  # the page's cookie script has run
                second.reload()
            second.screenshot(path=str(shots / "07_second_sign_in.png"))
        finally:
            shot("99_last")
            browser.close()


def _seed_three_sessions(tmp_path: Path, code: str) -> list[int]:
    """Three analysed sessions of one patient, straight into the store (the analysis itself is the
    first test's subject): the over-time page, the comparison and the patient report need them."""
    from datetime import date

    from mescreen.store.patients import create_patient
    from mescreen.store.recordings import save_session
    from mescreen.store.engine import open_store
    from tests.app.conftest import make_result

    with open_store(f"sqlite:///{tmp_path / 'e2e.db'}")() as session:
        create_patient(session, code, actor=USER)
        return [save_session(session, code, make_result(), recorded_on=date(2026, m, 1), uploader=USER,
                                        file_name=f"visit{m}.mp4", content_hash=f"{m}" * 64) for m in (3, 6, 9)]


def _sign_in(page, url: str, user: str = USER, password: str = PASSWORD) -> None:
    from playwright.sync_api import expect

    page.goto(url)
    expect(page.get_by_role("textbox", name="User name")).to_be_visible()
    page.get_by_role("textbox", name="User name").fill(user)
    page.get_by_role("textbox", name="Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_staying_signed_in_plain_words_evidence_over_time_and_patient_report(app_url, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    code = "P-E2E-03"
    ids = _seed_three_sessions(tmp_path, code)
    shots = tmp_path / "screenshots"
    shots.mkdir()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        page = _page(browser)
        expect.set_options(timeout=30_000)

        def shot(target, name: str, height: int = 1000) -> None:
            _screenshot(target, shots / f"{name}.png", height)

        try:
            # A deep link opened signed out leads, after sign-in, to the session it names.
            _sign_in(page, f"{app_url}/session?patient={code}&session={ids[0]}")
            expect(page.get_by_role("combobox", name="Recording")).to_have_value(re.compile("^Session 1 - recorded 2026-03-01"))
            page.wait_for_timeout(1000)
            page.reload()  # a reload keeps the user signed in, on the same session
            expect(page.get_by_role("button", name="Sign out")).to_be_visible()
            expect(page.get_by_role("textbox", name="User name")).to_have_count(0)
            expect(page.get_by_role("combobox", name="Recording")).to_have_value(
                re.compile("^Session 1 - recorded 2026-03-01"))

            # Plain words and evidence on the session page.
            expect(page.get_by_role("heading", name="Screening indicators")).to_be_visible()
            expect(page.get_by_text("Judged against a threshold").first).to_be_visible()
            expect(page.get_by_text("AU4 brow lowerer, AU9 nose wrinkler, AU10 upper lip raiser").first).to_be_visible()
            expect(page.get_by_role("heading", name="What the face did")).to_be_visible()
            page.wait_for_function("document.querySelectorAll('.js-plotly-plot').length >= 9", timeout=60_000)
            titles = page.evaluate("Array.from(document.querySelectorAll('.js-plotly-plot'))"
                                   ".map(g => String((g.layout && g.layout.title && g.layout.title.text) || ''))")
            assert any("what the face did" in t for t in titles), titles
            heat_rows = page.evaluate("Array.from(document.querySelectorAll('.js-plotly-plot'))"
                                      ".flatMap(g => (g.data || []).filter(t => t.type === 'heatmap'))"
                                      ".flatMap(t => t.y || [])")
            assert "AU12 lip corner puller" in heat_rows
            shot(page, "11_session_plain_words", height=7500)

            page.get_by_label("Note on session 1").fill("Tearful when discussing work.")
            page.get_by_role("button", name="Save session note").click()
            expect(page.get_by_text("The note on session 1 was saved.")).to_be_visible()

            page.get_by_role("link", name="AU glossary").click()
            expect(page.get_by_text("The lip corners are pulled up and back").first).to_be_visible()
            shot(page, "12_glossary", height=1800)

            # Over time: baseline named, gaps, comparison, patient report.
            page.get_by_role("link", name="Patient over time").click()
            expect(page.get_by_role("heading", name="Patient over time")).to_be_visible()
            expect(page.get_by_text("Baseline:").first).to_be_visible()
            expect(page.get_by_role("heading", name="Compare two sessions")).to_be_visible()
            expect(page.get_by_text("second minus first").first).to_be_visible()
            page.wait_for_function("document.querySelectorAll('.js-plotly-plot').length >= 6", timeout=60_000)
            shot(page, "13_over_time_compare", height=3600)
            _, text = _download_pdf(page, "PDF report of all sessions", tmp_path / "patient.pdf")
            assert f"Patient {code}: 3 session(s), 3 analysed" in text and "Trends over time" in text
            assert "Session 1: Tearful when discussing work." in text
            assert _audited(tmp_path, "download_patient_pdf") == [("admin", code, "ok")]

            # Signing out ends it: a reload then asks for the password again.
            page.get_by_role("button", name="Sign out").click()
            expect(page.get_by_role("textbox", name="User name")).to_be_visible()
            page.wait_for_timeout(1000)
            page.reload()
            expect(page.get_by_role("textbox", name="User name")).to_be_visible()
            shot(page, "14_signed_out")
        finally:
            shot(page, "99_last")
            browser.close()


def test_a_clinician_of_another_care_team_cannot_see_the_patient_until_the_admin_assigns_it(app_url, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    from mescreen.store.teams import create_team
    from mescreen.store.users import create_user
    from mescreen.store.engine import open_store

    code, nurse, nurse_password = "P-E2E-04", "nurse", "nurse-password-456"
    ids = _seed_three_sessions(tmp_path, code)  # in the only team, "Care team 1"
    with open_store(f"sqlite:///{tmp_path / 'e2e.db'}")() as session:
        create_team(session, "Ward B", actor=USER)
        create_user(session, nurse, nurse_password, "clinician", actor=USER, teams=["Ward B"])
    link = f"{app_url}/session?patient={code}&session={ids[0]}"
    shots = tmp_path / "screenshots"
    shots.mkdir()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        page, admin = _page(browser), _page(browser)
        expect.set_options(timeout=30_000)

        def shot(target, name: str, height: int = 1000) -> None:
            _screenshot(target, shots / f"{name}.png", height)

        try:
            # Not in the nurse's list ...
            _sign_in(page, app_url, nurse, nurse_password)
            expect(page.get_by_role("heading", name="Patients")).to_be_visible()
            expect(page.get_by_text("No patients yet")).to_be_visible()
            assert code not in page.content()
            shot(page, "21_other_team_list")
            _wait_for_cookie(page, "mescreen_signin")  # opening the link below keeps the sign-in
            # ... a link to one of its sessions is refused, and no report can be had of it.
            page.goto(link)
            expect(page.get_by_text("not found or is not one of your care team").first).to_be_visible()
            expect(page.get_by_role("button", name="PDF report")).to_have_count(0)
            expect(page.get_by_role("combobox", name="Recording")).to_have_count(0)
            shot(page, "22_other_team_link_refused")
            page.get_by_role("link", name="Patient over time").click()
            expect(page.get_by_role("heading", name="Patient over time")).to_be_visible()
            expect(page.get_by_text("There are no patients yet")).to_be_visible()
            expect(page.get_by_role("button", name="PDF report of all sessions")).to_have_count(0)
            assert _audited(tmp_path, "access_patient") == [(nurse, code, "denied")]

            # The admin moves the patient to the nurse's team on the Users page.
            _sign_in(admin, app_url)
            expect(admin.get_by_role("heading", name="Patients")).to_be_visible()
            admin.get_by_role("link", name="Users").click()
            expect(admin.get_by_role("heading", name="Care teams")).to_be_visible()
            _choose(admin, "To care team", "Ward B")
            admin.get_by_role("button", name="Move patient").click()
            expect(admin.get_by_text(f"Patient {code} moved from Care team 1 to Ward B.")).to_be_visible()
            shot(admin, "23_admin_moved_patient", height=1800)
            assert _audited(tmp_path, "move_patient") == [(USER, code, "ok")]

            # Now the same link opens the session for the nurse, with its PDF report.
            page.goto(link)
            expect(page.get_by_role("combobox", name="Recording")).to_have_value(
                re.compile("^Session 1 - recorded 2026-03-01"))
            expect(page.get_by_role("heading", name="Screening indicators")).to_be_visible()
            shot(page, "24_nurse_sees_patient")
            _, text = _download_pdf(page, "PDF report", tmp_path / "nurse_report.pdf")
            assert f"Patient {code}" in text
            assert _audited(tmp_path, "download_pdf") == [(nurse, code, "ok")]
        finally:
            shot(page, "99_last")
            browser.close()
