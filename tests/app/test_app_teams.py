"""Care teams in the dashboard (AppTest): a clinician sees only their teams' patients on every page,
a link to another team's patient is refused and audited, and an administrator creates teams,
puts clinicians in them and moves patients, every change audited."""

from __future__ import annotations

from datetime import date

import pytest
from streamlit.testing.v1 import AppTest

from mescreen.store.audit import audit_entries
from mescreen.store.patients import create_patient, get_patient
from mescreen.store.recordings import save_session
from mescreen.store.teams import create_team, set_member, teams_of
from mescreen.store.users import create_user
from tests.app.conftest import make_result
from tests.app.test_app import APP, PASSWORD, TIMEOUT, _texts, shown, store  # noqa: F401 (fixture)


@pytest.fixture
def teams(store):  # noqa: F811 (the fixture imported above)
    """ada (admin); ann in Care team 1 with A-1; bob in Ward B with B-1 and one analysed session."""
    with store() as s:
        create_user(s, "ann", PASSWORD, "clinician", actor="ada")  # the only team
        create_team(s, "Ward B", actor="ada")
        create_user(s, "bob", PASSWORD, "clinician", actor="ada", teams=["Ward B"])
        create_patient(s, "A-1", actor="ann")
        create_patient(s, "B-1", actor="bob")
        sid = save_session(s, "B-1", make_result(), recorded_on=date(2026, 9, 1), uploader="bob",
                                      file_name="b.mp4", content_hash="b" * 64)
    return store, sid


def _as(name: str, params: dict[str, str] | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for key, value in (params or {}).items():
        at.query_params[key] = value
    at.run()
    at.text_input[0].input(name)
    at.text_input[1].input(PASSWORD)
    at.button[0].click().run()
    assert not at.exception, at.exception
    return at


def _denials(store) -> list[tuple[str, str | None]]:
    with store() as s:
        return [(e.actor, e.patient_code) for e in audit_entries(s, action="access_patient")
                if e.outcome == "denied"]


@pytest.mark.parametrize("page", ["screens/patients.py", "screens/session.py", "screens/over_time.py",
                                  "screens/upload.py", "screens/import_csv.py"])
def test_a_clinician_is_offered_only_their_teams_patients(teams, page):
    at = _as("ann")
    at.switch_page(page).run()
    assert not at.exception, at.exception
    offered = {o for box in at.selectbox for o in box.options}
    assert "A-1" in offered and "B-1" not in offered
    assert "B-1" not in _texts(at)


def test_a_link_to_another_teams_patient_is_refused_and_audited(teams):
    store, sid = teams
    at = _as("ann", {"patient": "B-1", "session": str(sid)})
    errors = "\n".join(shown(e.value) for e in at.error)
    assert "not found or is not one of your care team" in errors
    assert not at.get("plotly_chart") and not at.get("download_button")  # nothing of B-1 is shown
    assert _denials(store) == [("ann", "B-1")]


def test_a_link_pairing_ones_own_patient_with_another_teams_session_is_refused(teams):
    store, sid = teams
    at = _as("ann", {"patient": "A-1", "session": str(sid)})
    assert "not found or is not one of your patients' sessions" in "\n".join(shown(e.value) for e in at.error)
    assert _denials(store) == [("ann", "B-1")]


def test_the_admin_moves_the_patient_and_the_clinician_then_sees_it(teams):
    store, sid = teams
    admin = _as("ada")
    admin.switch_page("screens/users.py").run()
    assert "Care teams" in _texts(admin)
    admin.selectbox(key="move_patient_code").select("B-1").run()
    admin.selectbox(key="move_patient_team").select("Care team 1").run()
    admin.button(key="move_patient_button").click().run()
    assert not admin.exception, admin.exception
    assert "Patient B-1 moved from Ward B to Care team 1." in _texts(admin)
    at = _as("ann", {"patient": "B-1", "session": str(sid)})
    assert not at.error
    assert at.selectbox(key="session_picker_B-1").value == sid
    with store() as s:
        moves = audit_entries(s, action="move_patient")
    assert [(e.actor, e.patient_code, e.detail) for e in moves] == [
        ("ada", "B-1", "care team before: 'Ward B'; after: 'Care team 1'")]


def test_the_admin_creates_a_team_and_puts_a_clinician_in_it(teams):
    store, _ = teams
    admin = _as("ada")
    admin.switch_page("screens/users.py").run()
    next(t for t in admin.text_input if t.label == "New care team name").input("Ward C")
    admin.button(key="FormSubmitter:add_team-Create care team").click().run()
    assert "Care team Ward C created." in _texts(admin)
    admin.selectbox(key="team_member_user").select("ann").run()
    admin.selectbox(key="team_member_team").select("Ward C").run()
    admin.button(key="team_member_add").click().run()
    assert not admin.exception, admin.exception
    with store() as s:
        assert teams_of(s, "ann") == ["Care team 1", "Ward C"]
        details = [e.detail for e in audit_entries(s, action="set_team_member")]
    assert details == ["account 'ann' added to care team 'Ward C'; teams before: 'Care team 1'; "
                       "after: 'Care team 1', 'Ward C'"]


def test_a_clinician_in_several_teams_chooses_the_new_patients_team(teams):
    store, _ = teams
    with store() as s:
        set_member(s, "Ward B", "ann", True, actor="ada")
    at = _as("ann")
    assert at.selectbox(key="new_patient_team").options == ["Care team 1", "Ward B"]
    next(t for t in at.text_input if t.label == "Patient code").input("A-2")
    at.selectbox(key="new_patient_team").select("Ward B")
    at.button(key="FormSubmitter:new_patient-Create patient").click().run()
    assert not at.exception, at.exception
    with store() as s:
        assert get_patient(s, "A-2", actor="bob").team == "Ward B"


def test_a_clinician_in_no_team_is_told_why_they_cannot_create_patients(teams):
    store, _ = teams
    with store() as s:
        create_user(s, "cat", PASSWORD, "clinician", actor="ada", teams=[])
    at = _as("cat")
    assert "not in any care team yet" in _texts(at)
    assert at.button(key="FormSubmitter:new_patient-Create patient").disabled
