"""The clinician's walk of issue 27, through Streamlit's AppTest: each finding on the dashboard's
pages (the browser test, tests/e2e, covers what only a browser shows)."""

from __future__ import annotations

import hashlib
from datetime import date

from mescreen.app import exports
from mescreen.store import repository
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
        repository.create_patient(s, "P-M", actor="ada")
        repository.save_session(s, "P-M", result, recorded_on=date(2026, 5, 1), uploader="ada",
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
        repository.create_patient(s, code, actor="ada")
        for name, day in UPLOADS:
            ids[name] = repository.save_session(s, code, make_result(), recorded_on=day, uploader="ada",
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
        view, _ = repository.load_session(s, ids["june.mp4"], actor="ada")
    assert "_session1_" in exports.file_stem(view)

    at.switch_page("screens/over_time.py").run()
    table = next(t.value for t in at.table if "recording order" in t.value.columns)  # a table: names in full
    assert table["session"].tolist() == ["2", "3", "1"] and table["recording order"].tolist() == ["1", "2", "3"]
    compare = at.selectbox(key="compare_second")
    assert compare.format_func(compare.value).startswith("Session 1 - recorded 2026-06-01")


def test_a_code_the_pdf_cannot_print_is_named_beside_the_pdf_buttons(store):
    code = "P-\U00013000"  # an Egyptian hieroglyph: no font mescreen installs or looks for has it
    with store() as s:
        repository.create_patient(s, code, actor="ada")
        repository.save_session(s, code, make_result(), recorded_on=date(2026, 5, 1), uploader="ada",
                                file_name="a.mp4", content_hash="h" * 64)
    at = _signed_in("screens/session.py")
    assert "[U+13000]" in "\n".join(shown(w.value) for w in at.warning)
    at.switch_page("screens/over_time.py").run()
    assert "[U+13000]" in "\n".join(shown(w.value) for w in at.warning)
