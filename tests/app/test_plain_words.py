"""Internal names (version keys, audit actions, ME cluster ids) reach clinicians in words, from one
owner (mescreen.app.plain_words) that the dashboard and the PDF share (issue 27, section 3)."""

from __future__ import annotations

import ast
import re
from datetime import date
from pathlib import Path

import mescreen
from mescreen.app.plain_words import ACTION_WORDS, VERSION_WORDS, action_words, cluster_words, version_words
from mescreen.store.patients import create_patient
from mescreen.store.recordings import save_session
from mescreen.store.session_queries import patient_timeline
from tests.app.conftest import make_result
from tests.app.test_app import _signed_in, store  # noqa: F401 (store is a fixture)

PACKAGE = Path(mescreen.__file__).parent
RAW = re.compile(r"\b[a-z]+_[a-z_]+\b")  # a name with underscores, such as face_mesh or read_timeline


def _version_keys() -> set[str]:
    """Every key the analysis and the import write into SessionResult.versions."""
    keys: set[str] = set()
    for path in (PACKAGE / "core" / "pipeline.py", PACKAGE / "core" / "io" / "peer_import.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef) and node.name == "versions":
                keys |= {k.value for d in ast.walk(node) if isinstance(d, ast.Dict) for k in d.keys
                         if isinstance(k, ast.Constant)}
            if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "versions" for t in node.targets) \
                    and isinstance(node.value, ast.Dict):
                keys |= {k.value for k in node.value.keys if isinstance(k, ast.Constant)}
            if isinstance(node, ast.Subscript) and getattr(node.value, "id", None) == "versions" \
                    and isinstance(node.slice, ast.Constant):
                keys.add(node.slice.value)
    return keys


def _audit_actions() -> set[str]:
    """Every action name the code hands the audit log (record, record_apart, audited_change, or an
    `action=` / the session page's `audited(make, action)`)."""
    actions: set[str] = set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name not in ("record", "record_apart", "audited_change", "audited"):
                continue  # argparse's add_argument(action=...) is no audit action
            candidates = [kw.value for kw in node.keywords if kw.arg == "action"]
            if name != "audited" and len(node.args) >= 3:
                candidates.append(node.args[2])
            if name == "audited" and len(node.args) == 2:
                candidates.append(node.args[1])
            actions |= {c.value for c in candidates if isinstance(c, ast.Constant) and isinstance(c.value, str)}
    from mescreen.store.sign_in_throttle import SIGN_IN

    return actions | {SIGN_IN}


def test_every_version_the_analysis_records_has_words():
    keys = _version_keys()
    assert {"face_mesh", "emotion_cnn", "frame_emotion", "screening_config"} <= keys  # the scan finds them
    assert keys <= set(VERSION_WORDS), keys - set(VERSION_WORDS)
    assert version_words("frame_emotion") == "per-frame emotion network"


def test_every_audit_action_has_words():
    actions = _audit_actions()
    assert {"read_timeline", "save_session", "download_pdf", "sign_in"} <= actions  # the scan finds them
    assert actions <= set(ACTION_WORDS), actions - set(ACTION_WORDS)
    assert not any(RAW.search(words) for words in ACTION_WORDS.values())
    assert action_words("some_new_thing") == "some new thing"


def test_the_pdf_names_every_version_in_words():
    from dataclasses import replace

    from mescreen.app.report_pdf import _styles, versions_table

    result = make_result()
    result = replace(result, versions={**result.versions, "frame_emotion": "frame_emotion.keras@333333",
                                       "face_mesh": "mesh@1", "emotion_cnn": "emotion.keras@2"})
    names = [str(row[0].getPlainText()) for row in versions_table(result, _styles())._cellvalues[1:]]
    assert "per-frame emotion network" in names and "face-mesh model files" in names
    assert not any(RAW.search(n) or n in ("frame emotion", "emotion cnn") for n in names), names


def test_the_session_page_names_versions_in_words_with_the_technical_name_in_the_hover(store):
    from dataclasses import replace

    result = make_result()
    result = replace(result, versions={"face_mesh": "mesh@1", "emotion_cnn": "emotion.keras@2",
                                       "frame_emotion": "frame.keras@3", "screening_config": "screening_v2.json@4"})
    with store() as s:
        create_patient(s, "P-V", actor="ada")
        save_session(s, "P-V", result, recorded_on=date(2026, 5, 1), uploader="ada", file_name="v.mp4",
                                content_hash="v" * 64)
    at = _signed_in("screens/session.py")
    lines = {m.value: m.proto.help for m in at.markdown if m.proto.help.startswith("Technical name")}
    names = [line.split(":")[0].replace("\\", "") for line in lines]  # "words: version", Markdown-escaped
    assert {"per-frame emotion network", "screening rules", "face-mesh model files"} <= set(names), names
    assert not any(RAW.search(n) for n in names), names
    assert {"Technical name: `frame_emotion`", "Technical name: `face_mesh`"} <= set(lines.values())


def test_the_audit_page_shows_actions_in_words(store):
    with store() as s:
        create_patient(s, "P-A", actor="ada")
        save_session(s, "P-A", make_result(), recorded_on=date(2026, 5, 1), uploader="ada",
                                file_name="a.mp4", content_hash="a" * 64)
        patient_timeline(s, "P-A", actor="ada")
    at = _signed_in("screens/audit.py")
    assert not at.exception, at.exception
    what = at.dataframe[0].value["what"].tolist()
    assert "save analysis" in what and "open patient over time" in what, what
    assert not any(RAW.search(w) for w in what), what
    picker = at.selectbox(key="audit_action")
    assert all(not RAW.search(picker.format_func(o)) for o in picker.options)


def test_indicator_evidence_names_me_clusters_in_words():
    from tests.app.test_walk import _short_interview

    from mescreen.app.summary import indicator_tables

    tables = indicator_tables(_short_interview(make_result()))
    cells = " ".join(str(c) for t in (tables.judged, tables.not_judged, tables.described) for c in t.to_numpy().ravel())
    assert "disgust cluster 2" in cells and "sadness cluster 1" in cells
    assert not re.search(r"_ME\d", cells), cells
    assert cluster_words("Happiness_ME5 and Anger_ME1") == "happiness cluster 5 and anger cluster 1"


def test_a_value_that_is_not_a_share_is_written_with_its_unit():
    from mescreen.app.summary import indicator_value
    from mescreen.core.result import Indicator

    kinds = {"au12_per_minute": "au_events_per_minute", "head_motion": "head_motion", "share_anger": "emotion_share"}
    assert indicator_value(Indicator("au12_per_minute", "", 1.25), kinds) == "1.25 a minute"
    assert indicator_value(Indicator("change_au12_per_minute", "", 0.0), kinds) == "+0 a minute"
    assert indicator_value(Indicator("change_head_motion", "", -1.5), kinds) == "-1.5 degrees a second"
    assert indicator_value(Indicator("change_share_anger", "", 0.05), kinds) == "+5 points"
