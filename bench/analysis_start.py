"""Click to first progress, cold and warm, and the warm worker's memory job after job.

What the dashboard does when "Analyse" is clicked, without the browser: `JobRegistry.submit` on a
temporary migrated SQLite store, then the job's state polled every 5 ms as the page's panel reads
it. Two times per analysis, from submit:

- first word: the first progress of any kind ("Loading models" counts: the clinician sees words,
  not an empty bar);
- first work: the first progress of the pipeline itself (reading, faces, ...), i.e. the analysis
  has started ("Loading models" and the worker's "Starting" do not count).

Runs (the short shared clip $MESCREEN_DATA/videos/single_face.mp4, 72 frames):
1. cold, as before the warm worker: `MESCREEN_WARM_WORKER=false` (a process per analysis that
   loads the models each time), two analyses;
2. cold start of the warm worker: the first analysis submitted right after the registry (the
   server) starts, while the worker is still loading;
3. warm: `--runs` further analyses (default 5) through the same worker, printing the worker's
   resident memory (VmRSS) after each, to show whether it grows job after job.

    MESCREEN_DATA=/path/to/data .venv/bin/python bench/analysis_start.py [--runs 5] [--clip NAME]

prints a Markdown section for bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mescreen.app.jobs import JobRegistry  # noqa: E402
from mescreen.core.datapaths import require_data_root  # noqa: E402
from mescreen.store.patients import create_patient, list_patients
from mescreen.store.engine import make_engine, session_factory, upgrade  # noqa: E402

CLIP = "single_face.mp4"


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def _one(registry: JobRegistry, clip: Path, folder: Path, k: int) -> dict[str, float]:
    """Submit one analysis and time its first progress of any kind and its first pipeline stage."""
    upload = folder / f"upload-{k}.mp4"
    shutil.copyfile(clip, upload)
    started = time.monotonic()
    job = registry.submit(patient_code="BENCH", upload=upload, file_name=clip.name, content_hash=f"{k:064d}",
                          recorded_on=date(2026, 11, 1), uploader="bench", keep_video_in=None)
    first_word = first_work = None
    while not job.finished:
        stage = job.stage
        now = time.monotonic() - started
        if stage and first_word is None:
            first_word = now
        if stage not in ("", "loading", "starting") and first_work is None:
            first_work = now
        time.sleep(0.005)
    if job.status != "done":
        raise RuntimeError(f"analysis {k} {job.status}: {job.error}")
    total = time.monotonic() - started
    return {"first_word": first_word if first_word is not None else total,
            "first_work": first_work if first_work is not None else total, "total": total}


def _registry(folder: Path, warm: bool) -> JobRegistry:
    url = f"sqlite:///{folder / 'bench.db'}"
    upgrade(url)
    sessions = session_factory(make_engine(url))
    with sessions() as session:
        if not list_patients(session, actor="bench"):
            create_patient(session, "BENCH", actor="bench")
    return JobRegistry(sessions, workers=1, warm=warm)


def _row(label: str, t: dict[str, float], rss: str = "-") -> str:
    return f"| {label} | {t['first_word']:.2f} | {t['first_work']:.2f} | {t['total']:.2f} | {rss} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="warm analyses after the cold start")
    parser.add_argument("--clip", default=CLIP, help="a video in $MESCREEN_DATA/videos (default %(default)s)")
    args = parser.parse_args()
    clip = require_data_root() / "videos" / args.clip
    rows = []
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "cold").mkdir()
        cold = _registry(folder / "cold", warm=False)
        for k in range(2):
            rows.append(_row(f"no warm worker (process per analysis), analysis {k + 1}", _one(cold, clip, folder, k)))
        cold.shutdown()
        (folder / "warm").mkdir()
        warm = _registry(folder / "warm", warm=True)
        worker = warm._workers.workers[0]  # the bench reads the process' memory; pages never do
        first = _one(warm, clip, folder, 10)
        rows.append(_row("warm worker, submitted at server start (still loading)", first,
                         f"{_rss_mib(worker.pid):.0f}"))
        rss = []
        for k in range(args.runs):
            timing = _one(warm, clip, folder, 11 + k)
            rss.append(_rss_mib(worker.pid))
            rows.append(_row(f"warm worker, analysis {k + 2}", timing, f"{rss[-1]:.0f}"))
        warm.shutdown()
    print(f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
          f"load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after. Clip: {clip.name}.")
    print()
    print("| run | first word s | first work s | whole analysis s | worker RSS MiB after |")
    print("|---|---|---|---|---|")
    print("\n".join(rows))
    print()
    print(f"Worker RSS over the {args.runs} warm analyses: {rss[0]:.1f} -> {rss[-1]:.1f} MiB "
          f"({rss[-1] - rss[0]:+.1f} MiB).")


if __name__ == "__main__":
    main()
