"""Two clinicians uploading at once: two OS processes write to the same database, both succeed."""

from __future__ import annotations

import multiprocessing
from datetime import date

from sqlalchemy.orm import Session

from mescreen.store.patients import create_patient, list_patients
from mescreen.store.recordings import save_session
from mescreen.store.session_queries import load_session, patient_timeline
from mescreen.store.engine import open_store
from mescreen.store.errors import DuplicatePatientError
from tests.synthetic import synthetic_result

SESSIONS_EACH = 4


def _upload(url: str, worker: int, start: object, outcomes: object) -> None:
    """Runs in a spawned process: its own engine, its own patient plus a shared one."""
    factory = open_store(url)
    start.wait(timeout=60)  # type: ignore[attr-defined]
    with factory() as db:
        try:
            create_patient(db, "RACE", actor=f"clinician{worker}")
            outcomes.put("created")  # type: ignore[attr-defined]
        except DuplicatePatientError:
            outcomes.put("duplicate")  # type: ignore[attr-defined]
        create_patient(db, f"OWN-{worker}", actor=f"clinician{worker}")
        for i in range(SESSIONS_EACH):
            code = "SHARED" if i % 2 else f"OWN-{worker}"
            save_session(
                db, code, synthetic_result(3000, seed=worker * 100 + i), recorded_on=date(2026, 1, 1 + i),
                uploader=f"clinician{worker}", file_name=f"w{worker}-{i}.mp4", content_hash=f"{worker}-{i}",
            )
            patient_timeline(db, code, actor=f"clinician{worker}")


def test_two_processes_write_at_once(engine, db: Session) -> None:
    url = engine.url.render_as_string(hide_password=False)
    create_patient(db, "SHARED", actor="admin")
    context = multiprocessing.get_context("spawn")
    start, outcomes = context.Barrier(2), context.Queue()
    workers = [context.Process(target=_upload, args=(url, w, start, outcomes)) for w in (1, 2)]
    for process in workers:
        process.start()
    for process in workers:
        process.join(timeout=180)
    assert [p.exitcode for p in workers] == [0, 0]
    assert sorted(outcomes.get(timeout=5) for _ in workers) == ["created", "duplicate"]
    patients = {p.code: p.n_sessions for p in list_patients(db, actor="admin")}
    assert patients == {"RACE": 0, "SHARED": 4, "OWN-1": 2, "OWN-2": 2}
    for code in patients:
        for view in patient_timeline(db, code, actor="admin"):
            assert load_session(db, view.id, actor="admin")[1] is not None
