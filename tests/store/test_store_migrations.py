"""Data migrations: sessions stored under an older schema keep their meaning after an upgrade."""

from __future__ import annotations

import importlib.util
import json
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
from alembic import command
from sqlalchemy import text

import mescreen.store
from mescreen.core.aus.activity import DEFAULT_THRESHOLD
from mescreen.core.labels import AU_NAMES
from mescreen.store.erasure import delete_patient
from mescreen.store.patients import create_patient
from mescreen.store.recordings import create_session
from mescreen.store.session_queries import load_session, patient_timeline
from mescreen.store.session_rows import DEFAULT_THRESHOLD_NOTE
from mescreen.store.engine import _alembic_config, make_engine, session_factory, upgrade
from mescreen.store.series_codec import encode_array

_MIGRATION = Path(mescreen.store.__file__).parent / "migrations" / "versions" / "0002_au_thresholds_and_face_geometry.py"


def _known_thresholds() -> dict[str, list[float]]:
    spec = importlib.util.spec_from_file_location("migration_0002", _MIGRATION)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module.KNOWN_AU_THRESHOLDS


def _insert_old_session(connection, session_id: int, au_version: str) -> None:
    """A done session as schema 0001 stored it (no thresholds recorded)."""
    now = datetime.now(timezone.utc)
    connection.execute(text(
        "INSERT INTO sessions (id, patient_id, recorded_on, uploader, file_name, content_hash, status, "
        "created_at, updated_at, versions, video, summary, level, screening_reasons, clusters, options, "
        "warnings) VALUES (:id, 1, :day, 'u', 'a.mp4', :hash, 'done', :now, :now, :versions, :video, "
        "'{}', 'none', '[]', '{}', '{}', '[]')"
    ), {"id": session_id, "day": f"2026-01-0{session_id}", "hash": f"h{session_id}", "now": now,
        "versions": json.dumps({"au": au_version}),
        "video": json.dumps({"file_name": "a.mp4", "width": 64, "height": 64, "fps": 30.0,
                             "declared_frames": 3, "frames_read": 3, "duration_s": 0.1})})
    arrays = {
        "frame_index": np.arange(3, dtype=np.int32), "time_s": np.arange(3) / 30.0,
        "face_found": np.ones(3, bool), "face_confidence": np.ones(3, np.float32),
        "face_size": np.full(3, 100, np.float32), "blur": np.ones(3, np.float32),
        "motion": np.zeros(3, np.float32), "au_prob": np.full((3, len(AU_NAMES)), 0.55, np.float32),
        "emotion_prob": np.full((3, 3), np.nan, np.float32),
    }
    connection.execute(text(
        f"INSERT INTO frame_series (session_id, codec, n_frames, au_names, emotion_names, {', '.join(arrays)}) "
        f"VALUES (:sid, 'shuffle-zlib-v1', 3, :aus, :ems, {', '.join(':' + k for k in arrays)})"
    ), {"sid": session_id, "aus": json.dumps(AU_NAMES), "ems": json.dumps(["negative", "positive", "surprise"]),
        **{k: encode_array(v) for k, v in arrays.items()}})


def test_upgrade_gives_old_sessions_their_models_thresholds_or_the_default_with_a_note(db_url: str) -> None:
    engine = make_engine(db_url)
    with engine.begin() as connection:
        command.upgrade(_alembic_config(connection), "0001")
        now = datetime.now(timezone.utc)
        connection.execute(text("INSERT INTO patients (id, code, created_at, updated_at) VALUES (1, 'P1', :n, :n)"),
                           {"n": now})
        known_version, known = next(iter(_known_thresholds().items()))
        _insert_old_session(connection, 1, known_version)
        _insert_old_session(connection, 2, "au_detector.npz@unknown")
    engine.dispose()
    upgrade(db_url)
    engine = make_engine(db_url)
    with session_factory(engine)() as db:
        _, first = load_session(db, 1, actor="test")
        _, second = load_session(db, 2, actor="test")
    engine.dispose()
    assert first.series.au_thresholds == known
    assert DEFAULT_THRESHOLD_NOTE not in first.warnings
    assert first.series.au_active()[:, AU_NAMES.index("AU10")].sum() == 0  # unreliable in that model
    assert second.series.au_thresholds == []
    assert second.series.thresholds().tolist() == [DEFAULT_THRESHOLD] * len(AU_NAMES)
    assert DEFAULT_THRESHOLD_NOTE in second.warnings
    assert first.series.emotion_recall == {} == second.series.emotion_recall  # how well emotions are read: unknown


def test_upgrade_to_never_reused_ids_keeps_every_row(db_url: str) -> None:
    """0003 rebuilds patients, sessions and audit_log on SQLite (AUTOINCREMENT): no row, child
    row or reference may be lost, and the erased ids are not handed out again afterwards."""
    engine = make_engine(db_url)
    with engine.begin() as connection:
        command.upgrade(_alembic_config(connection), "0002")
        now = datetime.now(timezone.utc)
        connection.execute(text("INSERT INTO patients (id, code, created_at, updated_at) VALUES (1, 'P1', :n, :n)"),
                           {"n": now})
        _insert_old_session(connection, 1, "au_detector.npz@unknown")
        _insert_old_session(connection, 2, "au_detector.npz@unknown")
    engine.dispose()
    upgrade(db_url)
    engine = make_engine(db_url)
    with session_factory(engine)() as db:
        assert [v.id for v in patient_timeline(db, "P1", actor="test")] == [1, 2]
        assert load_session(db, 2, actor="test")[1] is not None  # per-frame series kept
        delete_patient(db, "P1", actor="test")
        create_patient(db, "P2", actor="test")
        new = create_session(db, "P2", recorded_on=datetime(2026, 1, 1).date(), uploader="u",
                                  file_name="b.mp4", content_hash="h")
    engine.dispose()
    assert new > 2
