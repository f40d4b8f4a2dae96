"""The clinician's walk of issue 27, through Streamlit's AppTest: each finding on the dashboard's
pages (the browser test, tests/e2e, covers what only a browser shows)."""

from __future__ import annotations

import hashlib
from datetime import date

from mescreen.app import exports
from mescreen.store.patients import create_patient
from mescreen.store.recordings import save_session
from mescreen.store.session_queries import load_session
from tests.app.conftest import make_result
from tests.app.test_app import _signed_in, _texts, shown, store  # noqa: F401 (store is a fixture)


def test_tables_show_their_cells_as_typed_not_as_markdown(store):
    """The emotion shares' values read "•": st.table renders each cell as Markdown, where a lone "-"
    (no value) is a bullet, and a typed code could become a link."""
    from dataclasses import replace

    from mescreen.core.result import Indicator

    result = make_result()
    no_value = Indicator("share_anger", "Share of episodes read as anger", None, evidence="0 of 3 episodes.")
    result = replace(result, screening=replace(result.screening, indicators=[*result.screening.indicators, no_value]),
                     video=replace(result.video, file_name="[a](https://x.example).mp4"))
    with store() as s:
        create_patient(s, "P-M", actor="ada")
        save_session(s, "P-M", result, recorded_on=date(2026, 5, 1), uploader="ada",
                                file_name="a.mp4", content_hash="m" * 64)
    at = _signed_in("screens/session.py")
    assert not at.exception, at.exception
    cells = [c for t in at.table for c in [*t.value.columns, *t.value.to_numpy().ravel()]]
    assert "-" not in cells  # every "-" reaches Markdown escaped, so it is shown as a dash
    assert "-" in [shown(c) for c in cells]
    assert "[a](https://x.example).mp4" in [shown(c) for c in cells]  # the file name as typed, in full


UPLOADS = (("june.mp4", date(2026, 6, 1)), ("march.mp4", date(2026, 3, 1)), ("april.mp4", date(2026, 4, 1)))


def _three_uploads(store, code: str = "P-N") -> dict[str, int]:
    """Three sessions in upload order, the second and third back-dated before the first."""
    ids = {}
    with store() as s:
        create_patient(s, code, actor="ada")
        for name, day in UPLOADS:
            ids[name] = save_session(s, code, make_result(), recorded_on=day, uploader="ada",
                                                file_name=name, content_hash=hashlib.sha256(name.encode()).hexdigest())
    return ids


def test_a_sessions_number_is_the_one_given_at_upload_on_every_page(store):
    ids = _three_uploads(store)
    at = _signed_in("screens/session.py")
    picker = at.selectbox(key="session_picker_P-N")
    labels = {i: picker.format_func(i) for i in ids.values()}
    assert labels[ids["june.mp4"]].startswith("Session 1 - recorded 2026-06-01")
    assert labels[ids["march.mp4"]].startswith("Session 2 - recorded 2026-03-01")
    assert labels[ids["april.mp4"]].startswith("Session 3 - recorded 2026-04-01")
    assert picker.value == ids["june.mp4"]  # the latest recording is shown first
    assert any(t.label == "Note on session 1" for t in at.text_area)
    assert any(e.label == "Delete session 1 only" for e in at.expander)
    with store() as s:
        view, _ = load_session(s, ids["june.mp4"], actor="ada")
    assert "_session1_" in exports.file_stem(view)

    at.switch_page("screens/over_time.py").run()
    table = next(t.value for t in at.table if "recording order" in t.value.columns)  # a table: names in full
    assert table["session"].tolist() == ["2", "3", "1"] and table["recording order"].tolist() == ["1", "2", "3"]
    compare = at.selectbox(key="compare_second")
    assert compare.format_func(compare.value).startswith("Session 1 - recorded 2026-06-01")


def _figure(at, key: str) -> dict:
    import json

    chart = next(c for c in at.get("plotly_chart") if c.proto.id.endswith(key) or key in c.proto.id)
    return json.loads(chart.proto.spec)


def _values(data) -> list:
    """A trace's values from the figure JSON (Plotly writes numpy arrays as typed base64 arrays)."""
    import base64

    import numpy as np

    if isinstance(data, dict) and "bdata" in data:
        return np.frombuffer(base64.b64decode(data["bdata"]), dtype=data["dtype"]).tolist()
    return list(data or [])


def _screened_today(result, minutes: float):
    """`result` as today's screening rules score it: per-minute rates have values, the episode
    shares are not judged (too few episodes)."""
    from dataclasses import replace

    from mescreen.core.result import Indicator

    indicators = [Indicator("micro_per_minute", "Micro-expressions per minute", minutes, threshold=2.0),
                  Indicator("negative_share", "Share of negative episodes", None, threshold=0.5),
                  Indicator("face_seconds", "Seconds of video with a face", 19.7)]
    return replace(result, screening=replace(result.screening, indicators=indicators))


def test_over_time_draws_the_indicators_that_have_values_and_compares_each_figure_once(store):
    with store() as s:
        create_patient(s, "P-T", actor="ada")
        for k, day in enumerate((1, 2, 3)):
            save_session(s, "P-T", _screened_today(make_result(), 1.0 + k), recorded_on=date(2026, 5, day),
                                    uploader="ada", file_name=f"d{day}.mp4", content_hash=str(day) * 64)
    at = _signed_in("screens/over_time.py")
    assert not at.exception, at.exception
    assert "3 analysed session(s)" in _texts(at)
    values = _figure(at, "trend_ind")
    assert any(t.get("name", "").startswith("Micro-expressions per minute") for t in values["data"]), values["data"]
    assert not values["layout"].get("annotations")  # drawn, not "Not enough analysed sessions"
    change = _figure(at, "trend_ind_change")["layout"]["annotations"][0]["text"]
    assert "3 earlier" in change.replace("<br>", "")  # words kept apart across the line break

    compare = next(t.value for t in at.table if any("second minus first" in str(c) for c in t.value.columns))
    figures = [shown(f) for f in compare.iloc[:, 0]]
    assert "Seconds of video with a face" in figures
    assert not any(f in ("face seconds", "share anger", "share sadness") for f in figures)
    assert len(figures) == len(set(figures))
    for row in compare.itertuples(index=False):  # every cell reads as text: "-" is not a Markdown bullet
        assert all(cell != "-" for cell in row), row


def test_over_time_says_when_no_indicator_could_be_judged_in_any_session(store):
    """Three analysed sessions, each too short to judge any indicator: the page said "Not enough
    analysed sessions for this patient yet" under an empty chart."""
    from dataclasses import replace

    from mescreen.core.result import Indicator

    result = make_result()
    short = replace(result, screening=replace(result.screening, indicators=[
        Indicator("micro_per_minute", "Micro-expressions per minute", None, threshold=2.0),
        Indicator("face_seconds", "Seconds of video with a face", 19.7, threshold=30.0)]))
    with store() as s:
        create_patient(s, "P-J", actor="ada")
        for day in (1, 2, 3):
            save_session(s, "P-J", short, recorded_on=date(2026, 5, day), uploader="ada",
                                    file_name=f"j{day}.mp4", content_hash=f"j{day}" * 32)
    at = _signed_in("screens/over_time.py")
    assert not at.exception, at.exception
    text = _texts(at)
    assert "No screening indicator could be judged in any of the 3 analysed session(s)" in text, text
    assert "Not enough analysed sessions" not in text
    assert not any("trend_ind" in c.proto.id for c in at.get("plotly_chart"))  # no empty indicator chart


def _short_interview(result):
    """A 19.7 s recording with the face found in every frame: too short for the rules that need
    30 s (the evidence floor) or 60 s of face; episodes assigned to mescreen's Sadness_ME1."""
    from dataclasses import replace

    from mescreen.core.result import Indicator

    indicators = [
        Indicator("face_seconds", "Seconds of video with a face", 19.7, threshold=30.0,
                  evidence="591 of 591 analysed frames had a face."),
        Indicator("micro_per_minute", "Micro-expressions per minute", None, threshold=2.0,
                  evidence="3 micro-expression episode(s) in 0.3 min of visible face. Not judged: too little visible face."),
        Indicator("au12_per_minute", "AU12 starts per minute", None, threshold=1.0,
                  evidence="AU12 started 2 time(s) in 0.3 min of visible face. Not judged: needs at least 60 s of "
                           "visible face."),
        Indicator("case_study_clusters", "Share of episodes showing a case-study combination", 0.0, threshold=0.3,
                  evidence="0 of 3 episodes (Disgust_ME2 {AU4, AU9} x0). Not matchable (AU combination unknown to "
                           "mescreen): Sadness_ME1, Sadness_ME2."),
        Indicator("share_anger", "Share of episodes read as anger", None, evidence="0 of 3 episodes."),
    ]
    return replace(result, screening=replace(result.screening, indicators=indicators))


def test_the_session_page_says_why_an_indicator_was_not_judged_in_figures_and_plain_words(store):
    with store() as s:
        create_patient(s, "P-S", actor="ada")
        save_session(s, "P-S", _short_interview(make_result()), recorded_on=date(2026, 5, 1),
                                uploader="ada", file_name="short.mp4", content_hash="s" * 64)
    at = _signed_in("screens/session.py")
    assert not at.exception, at.exception
    tables = {tuple(shown(c) for c in t.value.columns): t.value for t in at.table}
    not_judged = next(v for k, v in tables.items() if "why not judged" in k)
    reasons = [shown(r) for r in not_judged.iloc[:, 1]]
    assert "Too little face was visible: 19.7 s of the 30 s needed." in reasons, reasons
    assert "Needs at least 60 s of visible face. This recording has 19.7 s." in reasons, reasons
    everything = " ".join(shown(c) for t in tables.values() for c in t.to_numpy().ravel())
    assert "unknown to mescreen" not in everything
    assert "The paper's case-study clusters sadness cluster 1, sadness cluster 2 are not counted" in everything
    described = next(v for k, v in tables.items() if k == ("figure", "value", "evidence"))
    assert all(cell != "-" for cell in described.to_numpy().ravel())  # st.table would draw "-" as a bullet


def _many_episodes_with_the_chin_moving(n: int = 30):
    """A session of `n` episodes, each with landmarks whose chin points reach the crop's lower edge."""
    from dataclasses import replace

    from mescreen.app.evidence import REGION_POINTS
    from tests.app.conftest import synthetic_landmarks

    result = make_result()
    episodes = []
    for k in range(n):
        marks = synthetic_landmarks(REGION_POINTS["chin and jaw"], shift=0.03, seed=k)
        for i in REGION_POINTS["chin and jaw"]:
            marks["onset"][i][1], marks["apex"][i][1] = 0.975, 0.995
        episodes.append(replace(result.episodes[k % len(result.episodes)], landmarks=marks))
    return replace(result, episodes=episodes)


def test_the_session_page_draws_one_evidence_picture_and_never_cuts_off_the_chin(store):
    """Issue 27: the page drew a picture per episode (slow to open: 8.4 s), each cut off at the chin."""
    with store() as s:
        create_patient(s, "P-E", actor="ada")
        save_session(s, "P-E", _many_episodes_with_the_chin_moving(), recorded_on=date(2026, 5, 1),
                                uploader="ada", file_name="long.mp4", content_hash="e" * 64)
    at = _signed_in("screens/session.py")
    assert not at.exception, at.exception
    assert len(at.get("plotly_chart")) == 9  # the eight session charts and one evidence picture, not 38
    picker = at.selectbox(key=next(k for k in at.session_state if str(k).startswith("evidence_episode_")))
    assert len(picker.options) == 30
    figure = _figure(at, "evidence")
    for trace in figure["data"]:
        axis = "yaxis" + trace.get("yaxis", "y")[1:]
        low, high = sorted(figure["layout"][axis]["range"])
        ys = [y for y in _values(trace.get("y")) if y is not None]
        assert all(low <= y <= high for y in ys), (axis, low, high, max(ys, default=None))


def test_the_upload_form_states_its_limit_as_the_upload_widget_does(store):
    """The label said "up to 1024 MB" above a widget saying "1GB per file"."""
    with store() as s:
        create_patient(s, "P-U", actor="ada")
    at = _signed_in("screens/upload.py")
    label = at.file_uploader(key="recording_0").label
    assert "up to 1 GB)" in label and "1024" not in label, label


def test_the_chosen_file_is_named_in_full(store):
    """The upload widget shortens long names ("interview record...clinic.mp4")."""
    with store() as s:
        create_patient(s, "P-F", actor="ada")
    at = _signed_in("screens/upload.py")
    name = "interview recording of visit 2 at the memory clinic, 2026-03-01.mp4"
    at.file_uploader(key="recording_0").upload(name, b"x" * 2048).run()
    assert f"Chosen: {name}" in "\n".join(shown(c.value) for c in at.caption)


def test_a_link_to_a_session_that_does_not_exist_says_so_in_sentences(store):
    from streamlit.testing.v1 import AppTest

    from tests.app.test_app import APP, PASSWORD, TIMEOUT

    with store() as s:
        create_patient(s, "P-L", actor="ada")
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params["patient"] = "P-L"
    at.query_params["session"] = "999"
    at.run()
    at.text_input[0].input("ada")
    at.text_input[1].input(PASSWORD)
    at.button[0].click().run()
    error = "\n".join(shown(e.value) for e in at.error)
    assert "There is no session with the id 999. Choose a patient" in error, error


def test_a_code_the_pdf_cannot_print_is_named_beside_the_pdf_buttons(store):
    code = "P-\U00013000"  # an Egyptian hieroglyph: no font mescreen installs or looks for has it
    with store() as s:
        create_patient(s, code, actor="ada")
        save_session(s, code, make_result(), recorded_on=date(2026, 5, 1), uploader="ada",
                                file_name="a.mp4", content_hash="h" * 64)
    at = _signed_in("screens/session.py")
    assert "[U+13000]" in "\n".join(shown(w.value) for w in at.warning)
    at.switch_page("screens/over_time.py").run()
    assert "[U+13000]" in "\n".join(shown(w.value) for w in at.warning)
