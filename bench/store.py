"""Patient store benchmark: save/load a 60-minute session, load a 50-session patient's timeline,
and compare the two ways of storing per-frame series (compressed blob per array vs one row per frame).

Usage (from the repository root):
    .venv/bin/python bench/store.py                      # SQLite in a temporary folder
    .venv/bin/python bench/store.py --pg-url URL         # ... and PostgreSQL (a scratch schema)
Targets (issue 5): save < 2 s, load < 0.5 s on SQLite. Prints a Markdown table for bench/RESULTS.md.
Data is synthetic (tests/synthetic.py) with the real shape: 108,000 frames x 19 AUs + 7 emotions.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
import uuid
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mescreen.store.patients import create_patient, list_patients
from mescreen.store.recordings import save_session
from mescreen.store.session_queries import load_session, patient_timeline
from mescreen.core.result import FrameSeries  # noqa: E402
from mescreen.store.engine import make_engine, session_factory, upgrade  # noqa: E402
from mescreen.store.series_codec import decode_array, encode_array  # noqa: E402
from tests.synthetic import synthetic_result  # noqa: E402

SCALARS = ("frame_index", "time_s", "face_found", "face_confidence", "face_size", "blur", "motion")


def _timed(func: Callable[[], object], repeats: int) -> tuple[float, object]:
    """Median wall time over `repeats` runs, and the last return value."""
    times, value = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        value = func()
        times.append(time.perf_counter() - start)
    return statistics.median(times), value


@contextmanager
def _database(kind: str, pg_url: str | None) -> Iterator[str]:
    """A scratch SQLite file or PostgreSQL schema, removed afterwards."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite:///{Path(folder) / 'bench.db'}"
        return
    base = make_url(pg_url or "")
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    admin = make_engine(base.render_as_string(hide_password=False))
    with admin.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield base.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _size_bytes(engine: sa.Engine, tables: list[str]) -> int:
    """Bytes the given tables take (PostgreSQL: with TOAST and indexes; SQLite: the whole database)."""
    if engine.dialect.name == "sqlite":
        with engine.connect() as connection:
            pages = connection.exec_driver_sql("PRAGMA page_count").scalar_one()
            return pages * connection.exec_driver_sql("PRAGMA page_size").scalar_one()
    with engine.connect() as connection:
        return sum(
            connection.execute(sa.text("SELECT pg_total_relation_size(:t)"), {"t": t}).scalar_one() for t in tables
        )


def bench_store(url: str, n_frames: int, n_timeline: int, timeline_frames: int, repeats: int) -> dict[str, float]:
    upgrade(url)
    engine = make_engine(url)
    factory = session_factory(engine)
    result = synthetic_result(n_frames, n_episodes=200, seed=1)
    out: dict[str, float] = {}
    with factory() as db:
        create_patient(db, "BENCH-1", actor="bench")
        empty = _size_bytes(engine, ["sessions", "frame_series", "episodes", "indicators"])
        day = iter(range(10_000))

        def save() -> int:
            return save_session(
                db, "BENCH-1", result, recorded_on=date(2026, 1, 1) + timedelta(days=next(day)),
                uploader="bench", file_name="bench.mp4", content_hash=uuid.uuid4().hex,
            )

        out["save_s"], session_id = _timed(save, repeats)
        out["bytes_per_session"] = (
            _size_bytes(engine, ["sessions", "frame_series", "episodes", "indicators"]) - empty
        ) / repeats
        out["load_s"], (_, loaded) = _timed(lambda: load_session(db, session_id, actor="bench"), repeats)
        assert loaded is not None and loaded.equals(result), "stored session differs from the saved one"

        create_patient(db, "BENCH-50", actor="bench")
        small = synthetic_result(timeline_frames, n_episodes=100, seed=2)
        for i in range(n_timeline):
            save_session(
                db, "BENCH-50", small, recorded_on=date(2025, 1, 1) + timedelta(days=7 * i),
                uploader="bench", file_name=f"s{i}.mp4", content_hash=f"t{i}",
            )
        out["timeline_s"], views = _timed(lambda: patient_timeline(db, "BENCH-50", actor="bench"), repeats)
        assert len(views) == n_timeline
        out["list_patients_s"], _ = _timed(lambda: list_patients(db, actor="bench"), repeats)
    engine.dispose()
    return out


def _rows_table(n_au: int, n_em: int) -> tuple[sa.MetaData, sa.Table]:
    """The alternative we measured against: one row per frame, one column per value."""
    metadata = sa.MetaData()
    columns = [
        sa.Column("session_id", sa.Integer, primary_key=True),
        sa.Column("frame_index", sa.Integer, primary_key=True),
        sa.Column("time_s", sa.Float), sa.Column("face_found", sa.Boolean),
        *[sa.Column(name, sa.Float) for name in SCALARS[3:]],
        *[sa.Column(f"au_{i}", sa.Float) for i in range(n_au)],
        *[sa.Column(f"em_{i}", sa.Float) for i in range(n_em)],
    ]
    return metadata, sa.Table("frame_rows", metadata, *columns)


def _none_if_nan(value: float) -> float | None:
    return None if value != value else value


def bench_rows(url: str, series: FrameSeries, repeats: int) -> dict[str, float]:
    """Save/load the same series as rows, check it reads back into the same arrays."""
    engine = make_engine(url)
    n_au, n_em = series.au_prob.shape[1], series.emotion_prob.shape[1]
    metadata, table = _rows_table(n_au, n_em)
    metadata.create_all(engine)
    empty = _size_bytes(engine, ["frame_rows"])
    columns = [getattr(series, name).tolist() for name in SCALARS]
    au, em = series.au_prob.tolist(), series.emotion_prob.tolist()
    counter = iter(range(1, 1000))

    def save() -> int:
        sid = next(counter)
        rows = []
        for i in range(len(series)):
            row = {name: _none_if_nan(col[i]) if isinstance(col[i], float) else col[i] for name, col in zip(SCALARS, columns)}
            row.update({f"au_{j}": _none_if_nan(v) for j, v in enumerate(au[i])})
            row.update({f"em_{j}": _none_if_nan(v) for j, v in enumerate(em[i])})
            row["session_id"] = sid
            rows.append(row)
        with engine.begin() as connection:
            connection.execute(table.insert(), rows)
        return sid

    def load(sid: int) -> FrameSeries:
        with engine.connect() as connection:
            rows = connection.execute(
                sa.select(table).where(table.c.session_id == sid).order_by(table.c.frame_index)
            ).all()
        matrix = np.array([[np.nan if v is None else v for v in row[1:]] for row in rows], dtype=np.float64)
        arrays = {name: matrix[:, k].astype(getattr(series, name).dtype) for k, name in enumerate(SCALARS)}
        k = len(SCALARS)
        return FrameSeries(
            au_names=series.au_names, emotion_names=series.emotion_names,
            au_prob=matrix[:, k : k + n_au].astype(np.float32),
            emotion_prob=matrix[:, k + n_au :].astype(np.float32), **arrays,
        )

    return _measure(engine, metadata, "frame_rows", empty, save, load, series, repeats)


def bench_blobs(url: str, series: FrameSeries, repeats: int) -> dict[str, float]:
    """The same series as the store keeps it (mescreen/store/series_codec.py), without the rest of a session."""
    engine = make_engine(url)
    metadata = sa.MetaData()
    table = sa.Table(
        "frame_blobs", metadata, sa.Column("session_id", sa.Integer, primary_key=True),
        *[sa.Column(name, sa.LargeBinary) for name in FrameSeries._ARRAYS],
    )
    metadata.create_all(engine)
    empty = _size_bytes(engine, ["frame_blobs"])
    counter = iter(range(1, 1000))

    def save() -> int:
        sid = next(counter)
        row = {name: encode_array(getattr(series, name)) for name in FrameSeries._ARRAYS}
        with engine.begin() as connection:
            connection.execute(table.insert(), {"session_id": sid, **row})
        return sid

    def load(sid: int) -> FrameSeries:
        with engine.connect() as connection:
            row = connection.execute(sa.select(table).where(table.c.session_id == sid)).one()._mapping
        arrays = {name: decode_array(row[name]) for name in FrameSeries._ARRAYS}
        return FrameSeries(au_names=series.au_names, emotion_names=series.emotion_names, **arrays)

    return _measure(engine, metadata, "frame_blobs", empty, save, load, series, repeats)


def _measure(
    engine: sa.Engine, metadata: sa.MetaData, table: str, empty: int, save: Callable[[], int],
    load: Callable[[int], FrameSeries], series: FrameSeries, repeats: int,
) -> dict[str, float]:
    """Save and load timings and bytes per session for one representation; checks the read-back."""
    out: dict[str, float] = {}
    out["save_s"], sid = _timed(save, repeats)
    out["bytes_per_session"] = (_size_bytes(engine, [table]) - empty) / repeats
    out["load_s"], back = _timed(lambda: load(sid), repeats)
    assert back.equals(series), f"{table} did not read back into the same arrays"
    metadata.drop_all(engine)
    engine.dispose()
    return out


def bench_codec(series: FrameSeries) -> None:
    """Why the codec shuffles bytes: compressed size and encode time, plain zlib vs shuffled."""
    print("| array | raw MB | zlib-6 MB | zlib-6 encode s | shuffle+zlib-6 (stored) MB | encode s | decode s |")
    print("|---|---|---|---|---|---|---|")
    for name in ("au_prob", "emotion_prob", "time_s", "motion"):
        array = getattr(series, name)
        plain_s, plain = _timed(lambda: zlib.compress(array.tobytes(), 6), 3)
        shuffled_s, blob = _timed(lambda: encode_array(array), 3)
        decode_s, _ = _timed(lambda: decode_array(blob), 3)
        print(f"| {name} {array.dtype}{list(array.shape)} | {array.nbytes / 1e6:.2f} | {len(plain) / 1e6:.2f} | "
              f"{plain_s:.3f} | {len(blob) / 1e6:.2f} | {shuffled_s:.3f} | {decode_s:.3f} |")
    print()


def _machine(pg_url: str | None) -> str:
    cpu = platform.processor() or platform.machine()
    try:
        cpu = next(l.split(":", 1)[1].strip() for l in Path("/proc/cpuinfo").read_text().splitlines() if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    import sqlite3

    text = f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}"
    if pg_url:
        engine = make_engine(pg_url)
        with engine.connect() as connection:
            text += ", PostgreSQL " + connection.execute(sa.text("SHOW server_version")).scalar_one().split()[0]
        engine.dispose()
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pg-url", default=os.environ.get("MESCREEN_TEST_PG_URL"), help="PostgreSQL URL (default: MESCREEN_TEST_PG_URL)")
    parser.add_argument("--frames", type=int, default=108_000, help="frames of the big session (60 min at 30 fps)")
    parser.add_argument("--timeline-sessions", type=int, default=50)
    parser.add_argument("--timeline-frames", type=int, default=108_000, help="frames of each timeline session")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)

    kinds = ["sqlite"] + (["postgresql"] if args.pg_url else [])
    series = synthetic_result(args.frames, seed=1).series
    print(f"machine: {_machine(args.pg_url)}")
    print(f"data: {args.frames} frames x {len(series.au_names)} AUs + {len(series.emotion_names)} emotions; "
          f"timeline: {args.timeline_sessions} sessions of {args.timeline_frames} frames; median of {args.repeats}\n")
    bench_codec(series)
    print(f"| backend | what | save s | load s | MB per session | timeline of {args.timeline_sessions} sessions s | patient list s |")
    print("|---|---|---|---|---|---|---|")
    for kind in kinds:
        with _database(kind, args.pg_url) as url:
            s = bench_store(url, args.frames, args.timeline_sessions, args.timeline_frames, args.repeats)
            print(f"| {kind} | store (blob per array) | {s['save_s']:.3f} | {s['load_s']:.3f} | "
                  f"{s['bytes_per_session'] / 1e6:.1f} | {s['timeline_s']:.3f} | {s['list_patients_s']:.3f} |")
            sys.stdout.flush()
        for label, bench in (("series only, blob per array", bench_blobs), ("series only, one row per frame", bench_rows)):
            with _database(kind, args.pg_url) as url:
                r = bench(url, series, args.repeats)
                print(f"| {kind} | {label} | {r['save_s']:.3f} | {r['load_s']:.3f} | "
                      f"{r['bytes_per_session'] / 1e6:.1f} | - | - |")
                sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
