"""Each dashboard page's logic through Streamlit's AppTest: unmigrated and empty databases, signed
out, sign-in, patients, bad uploads (database and upload folder unchanged), a finished session."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from mescreen.core import INTENDED_USE
from mescreen.store.audit import audit_entries
from mescreen.store.patients import create_patient, get_patient, list_patients
from mescreen.store.recordings import save_session
from mescreen.store.session_queries import patient_timeline
from mescreen.store.users import create_user
from mescreen.store.engine import make_engine, session_factory, upgrade
from tests.app.conftest import make_result, screened_result

APP = str(Path(__file__).resolve().parents[2] / "mescreen" / "app" / "app.py")
PASSWORD = "correct horse battery"
TIMEOUT = 60


@pytest.fixture
def store(tmp_path, monkeypatch):
    """A migrated SQLite store with one admin, used by the app through MESCREEN_DB_URL."""
    url = f"sqlite:///{tmp_path / 'app.db'}"
    monkeypatch.setenv("MESCREEN_DB_URL", url)
    monkeypatch.setenv("MESCREEN_UPLOAD_DIR", str(tmp_path / "uploads"))
    monkeypatch.setenv("MESCREEN_SECRET_FILE", str(tmp_path / "secret_key"))
    upgrade(url)
    engine = make_engine(url)
    factory = session_factory(engine)
    with factory() as s:
        create_user(s, "ada", PASSWORD, "admin", actor="setup")
    yield factory
    engine.dispose()


def shown(markdown: object) -> str:
    """What a reader sees of Markdown the app escaped (mescreen.app.text.md): backslashes gone."""
    return re.sub(r"\\(.)", r"\1", str(markdown))


def _texts(at: AppTest) -> str:
    parts = [e.value for kind in ("markdown", "caption", "error", "warning", "info", "success", "title",
                                  "header", "subheader") for e in getattr(at, kind)]
    return "\n".join(shown(p) for p in parts)


def _signed_in(page: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    at.text_input[0].input("ada")
    at.text_input[1].input(PASSWORD)
    at.button[0].click().run()
    assert not at.exception, at.exception
    if page:
        at.switch_page(page).run()
        assert not at.exception, at.exception
    return at


def test_unmigrated_database_refuses_to_start(tmp_path, monkeypatch):
    monkeypatch.setenv("MESCREEN_DB_URL", f"sqlite:///{tmp_path / 'new.db'}")
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    assert "mescreen db upgrade" in _texts(at)
    assert not at.text_input  # no sign-in form on a store that cannot be used


def test_signed_out_shows_only_the_sign_in_form(store):
    with store() as s:
        create_patient(s, "P-SECRET", display_name="Jane Roe", actor="ada")
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    text = _texts(at)
    assert [t.label for t in at.text_input] == ["User name", "Password"]
    assert "P-SECRET" not in text and "Jane Roe" not in text
    assert not at.dataframe and not at.sidebar.button
    at.text_input[0].input("ada")
    at.text_input[1].input("wrong password")
    at.button[0].click().run()
    assert "Unknown user name or wrong password." in [e.value for e in at.error]
    assert "P-SECRET" not in _texts(at)


def test_empty_database_then_create_and_delete_a_patient(store):
    at = _signed_in()
    assert "No patients yet" in _texts(at)
    assert "Signed in as **ada** (admin)" in _texts(at)
    form_inputs = {t.label: t for t in at.text_input}
    form_inputs["Patient code"].input("P-0001")
    at.button(key="FormSubmitter:new_patient-Create patient").click().run()
    assert not at.exception
    with store() as s:
        assert [p.code for p in list_patients(s, actor="test")] == ["P-0001"]
    # deletion needs the code typed back
    at.text_input(key="delete_confirm").input("P-0001").run()
    at.button(key="delete_button").click().run()
    with store() as s:
        assert list_patients(s, actor="test") == []


def _bad_upload(at: AppTest, name: str, content: bytes) -> str:
    at.file_uploader(key="recording_0").upload(name, content)
    at.checkbox(key="consent_0").check()
    at.button(key="FormSubmitter:upload-Analyse").click().run()
    assert not at.exception, at.exception
    return "\n".join(shown(e.value) for e in at.error)


@pytest.mark.parametrize("name, content, message", [
    ("notes.txt", b"hello", "not a file type mescreen accepts"),
    ("empty.mp4", b"", "the file is empty"),
    ("broken.mp4", b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 500, "could not be decoded"),
    ("random.webm", b"this is not a video at all" * 20, "not a video or image mescreen can read"),
])
def test_bad_upload_gives_a_message_and_changes_nothing(store, tmp_path, name, content, message):
    with store() as s:
        create_patient(s, "P-1", actor="ada")
    at = _signed_in("screens/upload.py")
    errors = _bad_upload(at, name, content)
    assert message in errors and name in errors
    with store() as s:
        assert patient_timeline(s, "P-1", actor="test") == []
    uploads = tmp_path / "uploads"
    assert not uploads.exists() or not any(uploads.iterdir())


def test_upload_without_consent_is_refused(store):
    with store() as s:
        create_patient(s, "P-1", actor="ada")
    at = _signed_in("screens/upload.py")
    at.file_uploader(key="recording_0").upload("a.mp4", b"whatever")
    at.button(key="FormSubmitter:upload-Analyse").click().run()
    assert "consent" in "\n".join(e.value for e in at.error)


def test_no_face_upload_is_refused(store, videos_dir, tmp_path):
    with store() as s:
        create_patient(s, "P-1", actor="ada")
    at = _signed_in("screens/upload.py")
    errors = _bad_upload(at, "no_face.mp4", (videos_dir / "no_face.mp4").read_bytes())
    assert "no face was found" in errors
    with store() as s:
        assert patient_timeline(s, "P-1", actor="test") == []


def test_finished_session_shows_charts_indicators_and_exports(store):
    with store() as s:
        create_patient(s, "P-7", actor="ada")
        session_id = save_session(s, "P-7", make_result(), recorded_on=date(2026, 11, 20),
                                             uploader="ada", file_name="interview.mp4", content_hash="c" * 64)
    at = _signed_in("screens/session.py")
    text = _texts(at)
    assert INTENDED_USE in text
    assert "Screening level: watch" in text
    charts = at.get("plotly_chart")
    assert len(charts) == 9  # the eight session charts and one evidence picture (one episode has landmarks)
    tables = [t.value for t in at.table]  # full text, never cut off: indicators, episodes, clusters
    assert any("Judged" in str(t.columns) or "raised" in t.columns for t in tables)
    episodes = next(t for t in tables if "active AUs" in t.columns)
    assert "AU4 brow lowerer, AU9 nose wrinkler, AU10 upper lip raiser" in shown(episodes.to_string())
    downloads = at.get("download_button")
    assert len(downloads) == 3
    assert "Session 1 - recorded 2026-11-20" in at.selectbox(key="session_picker_P-7").format_func(session_id)

    at.switch_page("screens/over_time.py").run()
    assert not at.exception
    assert len(at.get("plotly_chart")) == 4
    assert "1 analysed session(s)" in _texts(at)


def test_session_page_says_how_well_each_emotion_is_read_and_judges_no_unread_one(store):
    with store() as s:
        create_patient(s, "P-8", actor="ada")
        save_session(s, "P-8", screened_result(), recorded_on=date(2026, 11, 21), uploader="ada",
                                file_name="interview.mp4", content_hash="d" * 64)
    at = _signed_in("screens/session.py")
    assert not at.exception, at.exception
    tables = {}
    for table in at.table:  # cells and headings reach st.table Markdown-escaped (ui.table): read them as shown
        frame = table.value.map(shown)
        frame.columns = [shown(c) for c in frame.columns]
        tables[tuple(frame.columns)] = frame
    not_judged = tables[("indicator", "why not judged", "evidence", "ref.")]
    negative = not_judged[not_judged["indicator"].str.startswith("Share of episodes read as a negative")]
    assert len(negative) == 1  # counts disgust and contempt: not judged, as an unread AU
    assert "contempt and disgust are not read" in negative["why not judged"].iloc[0]
    described = tables[("figure", "value", "evidence")]
    disgust = described[described["figure"] == "Share of episodes read as disgust"].iloc[0]
    assert disgust["value"] == "not read" and "Disgust is not read by this version" in disgust["evidence"]
    fear = described[described["figure"] == "Share of episodes read as fear"].iloc[0]
    assert "Fear is read poorly by this version" in fear["evidence"] and "treat its share with care" in fear["evidence"]
    sadness = not_judged[not_judged["indicator"] == "Share of face-visible time read as sadness"].iloc[0]
    assert sadness["why not judged"].startswith("Too little face was visible")  # 10 s: not for its emotion
    assert "Sadness is read fairly well by this version (it recognised 75%" in sadness["evidence"]


def test_users_page_is_for_admins_only(store):
    admin = _signed_in("screens/users.py")
    assert "Add an account" in _texts(admin)
    with store() as s:
        create_user(s, "bob", PASSWORD, "clinician", actor="setup")
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    at.text_input[0].input("bob")
    at.text_input[1].input(PASSWORD)
    at.button[0].click().run()
    assert "Signed in as **bob** (clinician)" in _texts(at)
    with pytest.raises(ValueError, match="users.py"):  # not even registered as a page for clinicians
        at.switch_page("screens/users.py")


def test_over_time_names_its_baseline_compares_two_sessions_and_offers_the_patient_report(store):
    with store() as s:
        create_patient(s, "P-9", actor="ada")
        for day in (3, 1, 2, 4):  # stored out of recording order: numbers follow the recording dates
            save_session(s, "P-9", make_result(), recorded_on=date(2026, 10, day), uploader="ada",
                                    file_name=f"day{day}.mp4", content_hash=str(day) * 64)
    at = _signed_in("screens/over_time.py")
    text = _texts(at)
    assert "Baseline:" in text and "earlier analysed sessions" in text
    first, second = at.selectbox(key="compare_first"), at.selectbox(key="compare_second")
    assert first.format_func(first.value).startswith("Session 1 - recorded 2026-10-03")
    assert second.format_func(second.value).startswith("Session 4 - recorded 2026-10-04")
    compare = next(t.value for t in at.table if "second minus first" in t.value.columns)
    assert list(compare.columns) == ["figure", "first", "second", "second minus first"]
    assert any(b.proto.label == "PDF report of all sessions" for b in at.get("download_button"))


def test_glossary_names_every_au_and_its_region(store):
    at = _signed_in("screens/glossary.py")
    rows = at.table[0].value
    assert "lip corner puller" in rows.to_string() and "mouth" in rows.to_string()
    assert len(at.get("plotly_chart")) == 1


def test_one_session_is_deleted_after_typing_its_number(store):
    with store() as s:
        create_patient(s, "P-3", actor="ada")
        for day in (1, 2):
            save_session(s, "P-3", make_result(), recorded_on=date(2026, 9, day), uploader="ada",
                                    file_name=f"d{day}.mp4", content_hash=str(day) * 64)
    at = _signed_in("screens/session.py")
    shown = at.selectbox(key="session_picker_P-3")
    assert shown.format_func(shown.value).startswith("Session 2 - recorded 2026-09-02")  # newest first
    assert at.button(key="delete_session_button").disabled
    at.text_input(key=f"delete_session_confirm_{shown.value}").input("2").run()
    at.button(key="delete_session_button").click().run()
    assert not at.exception, at.exception
    assert "Session 2 of patient P-3 was deleted." in _texts(at)
    with store() as s:
        assert [v.recorded_on.day for v in patient_timeline(s, "P-3", actor="test")] == [1]
        assert any(e.action == "delete_session" for e in audit_entries(s, patient_code="P-3"))


def test_upload_refused_for_consent_keeps_the_file_and_date(store):
    with store() as s:
        create_patient(s, "P-4", actor="ada")
    at = _signed_in("screens/upload.py")
    at.file_uploader(key="recording_0").upload("a.mp4", b"whatever")
    at.date_input(key="recorded_on_0").set_value(date(2026, 1, 2))
    at.button(key="FormSubmitter:upload-Analyse").click().run()
    assert "The chosen file and date are kept." in "\n".join(e.value for e in at.error)
    assert at.date_input(key="recorded_on_0").value == date(2026, 1, 2)
    kept = at.file_uploader(key="recording_0").value
    assert kept is not None and kept.name == "a.mp4"


def test_a_recording_already_analysed_for_the_patient_asks_before_analysing_again(store, videos_dir, tmp_path):
    import hashlib

    data = (videos_dir / "single_face.mp4").read_bytes()
    with store() as s:
        create_patient(s, "P-5", actor="ada")
        save_session(s, "P-5", make_result(), recorded_on=date(2026, 9, 1), uploader="ada",
                                file_name="single_face.mp4", content_hash=hashlib.sha256(data).hexdigest())
    at = _signed_in("screens/upload.py")
    at.file_uploader(key="recording_0").upload("single_face.mp4", data)
    at.checkbox(key="consent_0").check()
    at.button(key="FormSubmitter:upload-Analyse").click().run()
    assert not at.exception, at.exception
    warning = "\n".join(shown(w.value) for w in at.warning)
    assert "already analysed for patient P-5: session 1 (recorded 2026-09-01)" in warning
    at.button(key="upload_cancel").click().run()
    with store() as s:
        assert len(patient_timeline(s, "P-5", actor="test")) == 1  # nothing new was analysed
    assert not any((tmp_path / "uploads").iterdir())  # the checked copy is gone


def test_a_deep_link_opened_signed_out_is_followed_after_sign_in(store):
    with store() as s:
        create_patient(s, "P-8", actor="ada")
        first = save_session(s, "P-8", make_result(), recorded_on=date(2026, 9, 1), uploader="ada",
                                        file_name="a.mp4", content_hash="a" * 64)
        save_session(s, "P-8", make_result(), recorded_on=date(2026, 9, 2), uploader="ada",
                                file_name="b.mp4", content_hash="b" * 64)
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params["patient"] = "P-8"
    at.query_params["session"] = str(first)
    at.run()
    at.text_input[0].input("ada")
    at.text_input[1].input(PASSWORD)
    at.button[0].click().run()
    assert not at.exception, at.exception
    picker = at.selectbox(key="session_picker_P-8")
    assert picker.value == first  # the linked (older) session, not the newest
    assert picker.format_func(picker.value).startswith("Session 1 - recorded 2026-09-01")


def test_notes_on_a_session_and_its_patient_are_saved_and_audited(store):
    with store() as s:
        create_patient(s, "P-6", actor="ada")
        sid = save_session(s, "P-6", make_result(), recorded_on=date(2026, 9, 1), uploader="ada",
                                      file_name="a.mp4", content_hash="6" * 64)
    at = _signed_in("screens/session.py")
    session_box = next(t for t in at.text_area if t.label == "Note on session 1")
    patient_box = next(t for t in at.text_area if t.label.startswith("Note on patient P-6"))
    session_box.input("Tearful when discussing work.")
    at.button(key="FormSubmitter:session_note_%d-Save session note" % sid).click().run()
    assert "The note on session 1 was saved." in _texts(at)
    patient_box = next(t for t in at.text_area if t.label.startswith("Note on patient P-6"))
    patient_box.input("Follow up in 4 weeks.")
    at.button(key="FormSubmitter:patient_note_P-6-Save patient note").click().run()
    assert not at.exception, at.exception
    with store() as s:
        assert patient_timeline(s, "P-6", actor="t")[0].notes == "Tearful when discussing work."
        assert get_patient(s, "P-6", actor="t").notes == "Follow up in 4 weeks."
        actions = [e.action for e in audit_entries(s, patient_code="P-6")]
    assert "edit_session_note" in actions and "update_patient" in actions
