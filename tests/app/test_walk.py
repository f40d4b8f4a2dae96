"""The clinician's walk of issue 27, through Streamlit's AppTest: each finding on the dashboard's
pages (the browser test, tests/e2e, covers what only a browser shows)."""

from __future__ import annotations

from datetime import date

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
