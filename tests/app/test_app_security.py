"""Issue 15 through Streamlit's AppTest: sign-in re-checked on every click, the sidebar's links
after a finished analysis, the admin-only audit page, throttled sign-in, and user text shown
literally (never as Markdown)."""

from __future__ import annotations

from datetime import date

import pytest
from streamlit.testing.v1 import AppTest

import mescreen.app.ui
from mescreen.app.jobs import JobRegistry
from mescreen.store.patients import create_patient
from mescreen.store.recordings import save_session
from mescreen.store.users import create_user, delete_user, set_password, set_role
from mescreen.store.audit import audit_entries
from tests.app.conftest import make_result
from tests.app.test_app import APP, PASSWORD, TIMEOUT, _texts, store  # noqa: F401 - fixture

OTHER = "another long password"


def _sign_in(name: str = "ada", password: str = PASSWORD) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    at.text_input[0].input(name)
    at.text_input[1].input(password)
    at.button[0].click().run()
    assert not at.exception, at.exception
    return at


def _click(at: AppTest) -> AppTest:
    """The user's next click. A live server runs app.py (which then runs the page) on every click;
    AppTest, once a page of the screens/ folder is shown, reruns only that page file, so the test
    clears the page it remembers (AppTest has no public way to do so) and app.py runs first."""
    at._page_hash = at._finished_page_script_hash = ""
    at.run()
    assert not at.exception, at.exception
    return at


def _second_admin(store) -> None:
    with store() as s:
        create_user(s, "root", OTHER, "admin", actor="setup")


def test_demoted_admin_loses_the_users_page_at_the_next_click(store):
    _second_admin(store)
    at = _sign_in()
    at.switch_page("screens/users.py").run()
    assert "Add an account" in _texts(at)
    with store() as s:
        set_role(s, "ada", "clinician", actor="root")
    _click(at)
    assert "Add an account" not in _texts(at)
    assert "Signed in as **ada** (clinician)" in _texts(at)
    with pytest.raises(ValueError, match="users.py"):
        at.switch_page("screens/users.py")


def test_deleted_user_is_signed_out_at_the_next_click(store):
    _second_admin(store)
    at = _sign_in()
    with store() as s:
        delete_user(s, "ada", actor="root")
    _click(at)
    assert [t.label for t in at.text_input] == ["User name", "Password"]
    assert "Signed in as" not in _texts(at)


def test_password_reset_signs_the_user_out(store):
    _second_admin(store)
    at = _sign_in()
    with store() as s:
        set_password(s, "ada", "a brand new password", actor="root")
    _click(at)
    assert [t.label for t in at.text_input] == ["User name", "Password"]


def test_new_sign_in_after_a_finished_analysis_shows_the_app(store, monkeypatch, tmp_path):
    """The sidebar links to the finished analysis; its page must be registered first."""
    with store() as s:
        create_patient(s, "P-1", actor="ada")
    registry = JobRegistry(store, lambda path, progress, previous: make_result())
    monkeypatch.setattr(mescreen.app.ui, "_registry_for", lambda url: registry)
    upload = tmp_path / "upload.mp4"
    upload.write_bytes(b"video")
    job = registry.submit(patient_code="P-1", upload=upload,
                          file_name="a.mp4", content_hash="a" * 64, recorded_on=date(2026, 11, 1),
                          uploader="ada", keep_video_in=None)
    assert registry.wait(job.id, 10).status == "done"
    at = _sign_in()  # a new browser session (reload, new tab, other computer)
    assert not at.exception, at.exception
    assert "Patients" in [t.value for t in at.title]
    _click(at)
    registry.shutdown()


def test_audit_page_is_for_admins_and_lists_sign_ins(store):
    with store() as s:
        create_user(s, "bob", PASSWORD, "clinician", actor="setup")
    failed = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    failed.text_input[0].input("bob")
    failed.text_input[1].input("not his password")
    failed.button[0].click().run()
    clinician = _sign_in("bob")
    with pytest.raises(ValueError, match="audit.py"):
        clinician.switch_page("screens/audit.py")
    at = _sign_in()
    at.switch_page("screens/audit.py").run()
    assert not at.exception, at.exception
    table = at.dataframe[0].value
    rows = set(zip(table["who"], table["what"], table["outcome"]))
    assert {("bob", "sign-in", "failed"), ("bob", "sign-in", "ok"), ("ada", "sign-in", "ok"),
            ("setup", "create account", "ok")} <= rows  # actions in words (mescreen.app.plain_words)
    with store() as s:
        assert audit_entries(s, action="read_audit")[0].actor == "ada"


def test_repeated_wrong_passwords_lock_the_sign_in_without_naming_the_account(store):
    messages = {}
    for name in ("ada", "nobody"):
        at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
        for _ in range(6):
            at.text_input[0].input(name)
            at.text_input[1].input("wrong password")
            at.button[0].click().run()
        at.text_input[0].input(name)
        at.text_input[1].input(PASSWORD)
        at.button[0].click().run()
        messages[name] = [e.value for e in at.error]
        assert "Signed in as" not in _texts(at)
    assert "Too many failed sign-ins" in messages["ada"][0]
    assert messages["ada"][0].split(" Try again")[0] == messages["nobody"][0].split(" Try again")[0]


EVIL = "[click](https://evil.example) ![x](https://evil.example/i.png) :red[x] $x^2$"


def test_user_text_is_shown_literally(store):
    with store() as s:
        create_patient(s, EVIL[:64], display_name=EVIL, notes=EVIL, actor="ada")
    at = _sign_in()
    at.text_input(key="patient_search").input("no such patient [x](https://evil.example)").run()
    markdown = [str(e.value) for kind in ("markdown", "info", "success", "error", "caption") for e in getattr(at, kind)]
    assert any("no such patient" in m for m in markdown)
    assert not any("[x](https://evil" in m for m in markdown)  # escaped: \[x\]\(https\:...
    at.text_input(key="patient_search").input("").run()
    at.switch_page("screens/over_time.py").run()
    texts = [str(e.value) for e in at.info]
    assert any("evil" in t for t in texts) and not any("](https://evil" in t for t in texts)


def test_no_html_from_stored_text(store):
    """The one HTML block (the level badge) refuses a level it does not know."""
    result = make_result()
    result.screening.level = "<b>x</b>"
    with store() as s:
        create_patient(s, "P-1", actor="ada")
        save_session(s, "P-1", result, recorded_on=date(2026, 11, 20), uploader="ada",
                                file_name="a.mp4", content_hash="c" * 64)
    at = _sign_in()
    at.switch_page("screens/session.py").run()
    assert not at.exception, at.exception
    assert not any("<b>x" in str(e.value) for e in at.markdown)
