"""The upload and import pages through Streamlit's AppTest: "Loading models" and the true queue
position while analyses wait, the "being analysed" banner gone once its job ends, and the CSV
import as a background job with consent, a timing check that asks for the frame rate, and one
summary whose frames, duration and frame rate agree with the stored session."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from streamlit.testing.v1 import AppTest

import mescreen.app.ui
from mescreen.app.jobs import JobRegistry
from mescreen.core.progress import Progress, report
from mescreen.store.patients import create_patient
from mescreen.store.session_queries import load_session, patient_timeline
from tests.app.conftest import make_result
from tests.app.test_app import _signed_in, _texts, shown, store  # noqa: F401 - fixture

IMPORT = "FormSubmitter:import-Import and analyse"


@pytest.fixture
def registry(store, monkeypatch):
    """The dashboard's registry, with a pipeline the test releases: each analysis reports
    "loading", then waits for `release`."""
    release = threading.Event()

    def analyze(path, progress, previous):
        report(progress, Progress("loading", 0, None))
        release.wait(20)
        return make_result()

    made = JobRegistry(store, analyze)
    made.release = release
    monkeypatch.setattr(mescreen.app.ui, "_registry_for", lambda url: made)
    with store() as s:
        create_patient(s, "P-1", actor="ada")
    yield made
    release.set()
    made.shutdown()


def _wait_all(registry: JobRegistry) -> None:
    for job in registry.jobs():
        registry.wait(job.id, 30)


def test_upload_shows_loading_the_queue_position_and_clears_its_banner(registry, videos_dir, tmp_path):
    upload = tmp_path / "first.mp4"
    upload.write_bytes(b"raw")
    registry.submit(patient_code="P-1", upload=upload, file_name="first.mp4", content_hash="f" * 64,
                    recorded_on=date(2026, 11, 1), uploader="ada", keep_video_in=None)
    at = _signed_in("screens/upload.py")
    at.file_uploader(key="recording_0").upload("single_face.mp4", (videos_dir / "single_face.mp4").read_bytes())
    at.checkbox(key="consent_0").check()
    at.button(key="FormSubmitter:upload-Analyse").click().run()
    assert not at.exception, at.exception
    info = "\n".join(shown(i.value) for i in at.info)
    assert "single_face.mp4 is being analysed" in info
    assert "Loading models" in info  # the first job, while its worker loads
    assert "Waiting: 1 analysis before this one" in info  # the upload, behind it
    assert not at.get("progress") or all(p.value > 0 for p in at.get("progress"))  # no empty bars
    registry.release.set()
    _wait_all(registry)
    at.run()
    assert "is being analysed" not in "\n".join(shown(i.value) for i in at.info)
    assert _texts(at).count("analysis finished") == 2


def _import(at: AppTest, name: str, content: bytes, *, consent: bool = True, fps: float | None = None,
            round_: int = 0) -> AppTest:
    if content is not None:
        at.file_uploader(key=f"peer_csv_{round_}").upload(name, content)
    if fps is not None:
        at.number_input(key=f"peer_fps_{round_}").set_value(fps)
    if consent:
        at.checkbox(key=f"peer_consent_{round_}").check()
    at.button(key=IMPORT).click().run()
    assert not at.exception, at.exception
    return at


def _errors(at: AppTest) -> str:
    return "\n".join(shown(e.value) for e in at.error)


def test_import_needs_consent_and_refuses_a_malformed_csv_storing_nothing(registry, store):
    at = _import(_signed_in("screens/import_csv.py"), "bad.csv", b"a,b,c\n1,2,3\n", consent=False)
    assert "Confirm the patient's consent" in _errors(at)
    at.checkbox(key="peer_consent_0").check()
    at.button(key=IMPORT).click().run()
    assert "not an OpenFace 2 or py-feat per-frame CSV" in _errors(at)
    with store() as s:
        assert patient_timeline(s, "P-1", actor="test") == []
    assert registry.jobs() == []


def test_openface_sample_asks_for_the_frame_rate_then_runs_as_a_job_whose_figures_agree(registry, store,
                                                                                         data_dir):
    content = (data_dir / "peer_outputs" / "OpenFace_Test.csv").read_bytes()
    at = _import(_signed_in("screens/import_csv.py"), "OpenFace_Test.csv", content)
    assert "puts 100 frames in 0.099 s, 1000 frames per second" in _errors(at)
    assert "Enter the recording's frame rate" in "\n".join(shown(i.value) for i in at.info)
    with store() as s:
        assert patient_timeline(s, "P-1", actor="test") == []
    kept = at.file_uploader(key="peer_csv_0").value
    assert kept is not None and kept.name == "OpenFace_Test.csv"  # the form keeps the file

    _import(at, "OpenFace_Test.csv", None, fps=25)
    summary = "\n".join(shown(m.value) for m in at.success)
    assert "OpenFace_Test.csv: OpenFace 2 file, 100 frames, 4.0 s at 25 frames per second (as given)" in summary
    _wait_all(registry)
    at.run()
    assert "analysis finished" in _texts(at)
    with store() as s:
        (view,) = patient_timeline(s, "P-1", actor="test")
        _, result = load_session(s, view.id, actor="test")
    video = result.video
    assert (view.status, len(result.series), video.frames_read) == ("done", 100, 100)
    assert (video.fps, video.duration_s) == (25, pytest.approx(4.0))
    assert result.series.time_s[-1] == pytest.approx(99 / 25)
    assert "100 frames, 4.0 s at 25 frames per second" in result.warnings[0]


def test_import_of_a_pyfeat_file_saves_a_session(registry, store, data_dir):
    content = (data_dir / "peer_outputs" / "Feat_Test.csv").read_bytes()
    at = _import(_signed_in("screens/import_csv.py"), "Feat_Test.csv", content)
    assert "py-feat file, 1 frame, 0.0 s at 30 frames per second (assumed" in "\n".join(
        shown(m.value) for m in at.success)
    _wait_all(registry)
    with store() as s:
        (view,) = patient_timeline(s, "P-1", actor="test")
        _, result = load_session(s, view.id, actor="test")
    assert view.status == "done" and view.file_name == "Feat_Test.csv"
    assert result.versions["import"].endswith("(py-feat)")
    assert result.screening.level == "insufficient"  # one still frame is not an interview


def test_a_running_import_can_be_cancelled(registry, store, data_dir, monkeypatch):
    import mescreen.service

    started, stop = threading.Event(), threading.Event()

    def slow_peer(peer, *, previous, progress):  # stands in for the later stages on a long file
        while True:
            started.set()
            report(progress, Progress("spotting", 0, 1))
            stop.wait(0.01)

    monkeypatch.setattr(mescreen.service, "analyze_peer", slow_peer)
    content = (data_dir / "peer_outputs" / "Feat_Test.csv").read_bytes()
    at = _import(_signed_in("screens/import_csv.py"), "Feat_Test.csv", content)
    assert started.wait(10)
    at.run()
    cancel = next(b for b in at.button if b.label == "Cancel analysis")
    cancel.click().run()
    _wait_all(registry)
    (job,) = registry.jobs()
    assert job.status == "cancelled"
    with store() as s:
        (view,) = patient_timeline(s, "P-1", actor="test")
    assert view.status == "failed" and "Cancelled" in view.error
