"""Internal names in the words a clinician reads: model and rule versions, audit actions and the
ME cluster ids in indicator evidence. One owner, so the dashboard and the PDF reports say the
same; the technical name stays at hand (a hover on the dashboard) for whoever needs to trace it.
"""

from __future__ import annotations

import re

#: What each entry of SessionResult.versions is (mescreen.core.pipeline.PipelineModels.versions,
#: mescreen.core.io.peer_import), in words.
VERSION_WORDS: dict[str, str] = {
    "pipeline": "analysis pipeline (method version)", "opencv": "OpenCV library",
    "screening_config": "screening rules", "clusters": "reference ME clusters",
    "face_mesh": "face-mesh model files", "face": "face detector", "au": "AU model",
    "au_emotion": "AU-to-emotion mapping", "emotion_cnn": "micro-expression emotion network",
    "frame_emotion": "per-frame emotion network", "import": "import from another tool's output",
}

#: Every action the audit log records (mescreen.store.audit.record and its callers), in words.
ACTION_WORDS: dict[str, str] = {
    "sign_in": "sign-in", "create_user": "create account", "delete_user": "delete account",
    "set_role": "change account role", "set_password": "change password",
    "create_team": "create care team", "set_team_member": "change care team members",
    "move_patient": "move patient to another team", "access_patient": "patient access refused",
    "create_patient": "create patient", "update_patient": "change patient", "delete_patient": "erase patient",
    "list_patients": "list patients", "read_patient": "open patient", "read_session": "open session",
    "read_timeline": "open patient over time", "create_session": "register upload",
    "save_session": "save analysis", "fail_interrupted": "mark interrupted analysis failed",
    "delete_session": "delete session", "edit_session_note": "edit note",
    "export_patient": "export patient", "import_patient": "import patient", "read_audit": "read audit log",
    "download_pdf": "download session PDF", "download_csv": "download per-frame CSV",
    "download_json": "download full result (JSON)", "download_patient_pdf": "download patient PDF",
    "download_patients_csv": "download patients table (CSV)", "download_audit_csv": "download audit log (CSV)",
}


def _fallback(name: str) -> str:
    return name.replace("_", " ")


def version_words(key: str) -> str:
    """A version entry's name in words (an unknown one with its underscores as spaces)."""
    return VERSION_WORDS.get(key, _fallback(key))


def action_words(action: str) -> str:
    """An audit action in words (an unknown one with its underscores as spaces)."""
    return ACTION_WORDS.get(action, _fallback(action))


#: A cluster id such as "Disgust_ME2" (the paper's and mescreen's ME clusters are named so).
_CLUSTER_ID = re.compile(r"\b([A-Z][a-z]+)_ME(\d+)\b")


def cluster_words(text: str) -> str:
    """`text` with each ME cluster id in words: "Disgust_ME2" -> "disgust cluster 2"."""
    return _CLUSTER_ID.sub(lambda m: f"{m.group(1).lower()} cluster {m.group(2)}", text)
