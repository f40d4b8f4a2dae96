"""Batch throughput: `mescreen batch` on a local Dask cluster of 1 and 2 workers against one
process analysing the same manifest in a loop, and Dask's scheduling overhead per task.

Each configuration runs cold in its own subprocess (imports, model loading and, for Dask, cluster
start and stop included, as when a user runs the command) against its own fresh SQLite store, so
nothing is skipped. The manifest holds copies of every video in $MESCREEN_DATA/videos that has a
face (one video is a few seconds of analysis, while loading TensorFlow and the models takes about
ten: copies make the batch long enough for the workers' throughput to show).

    MESCREEN_DATA=/path/to/data .venv/bin/python bench/batch_dask.py [--copies 3] [--repeat 1]

prints a Markdown section for bench/RESULTS.md. The machine is shared: the load average before
and after each run is printed with it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

VIDEOS = ("WolfgangLanger_Pexels.mp4", "single_face.mp4", "face_noface.mov", "noface_face.mov")
NOOP_TASKS = 200
#: cli: `mescreen analyze` per video; single: one process, models loaded once; "1"/"2": Dask workers.
CONFIGS = ("cli", "single", "1", "2")
NAMES = {"cli": "`mescreen analyze` once per video", "single": "one process, models loaded once (no Dask)",
         "1": "`mescreen batch --workers 1`", "2": "`mescreen batch --workers 2`"}


def _manifest(folder: Path, copies: int) -> Path:
    """`copies` copies of each shared video, each with a distinct tail appended (decoders ignore it)
    so that its content hash differs: the batch would otherwise skip repeated content. The copies
    live in a temporary folder deleted after the run."""
    from mescreen.core.datapaths import require_data_root

    videos = require_data_root() / "videos"
    lines = ["video,patient,recorded_on"]
    for name in VIDEOS:
        data = (videos / name).read_bytes()
        for c in range(copies):
            i = len(lines)
            copy = folder / f"{Path(name).stem}_{c}{Path(name).suffix}"
            copy.write_bytes(data + f"mescreen-bench-copy-{c}".encode())
            lines.append(f"{copy},BENCH{i:03d},{dt.date(2026, 1, 1) + dt.timedelta(days=i)}")
    path = folder / "manifest.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _fresh_store(folder: Path) -> str:
    from mescreen.store.engine import upgrade

    url = f"sqlite:///{folder / 'bench.db'}"
    upgrade(url)
    return url


def run_config(config: str, manifest: Path) -> dict:
    """One cold run in this process; `config` is 'single' or the number of Dask workers."""
    started = time.perf_counter()
    from mescreen.batch.manifest import read_manifest

    rows = read_manifest(manifest)
    if config == "single":
        from mescreen.batch.runner import prepare_patients
        from mescreen.batch.store import store_fingerprint
        from mescreen.batch.job import VideoJob
        from mescreen.batch.task import run_job
        from mescreen.store.engine import database_url, make_engine

        url = database_url()
        prepare_patients(make_engine(url), rows, create=True, actor="bench")
        first = time.perf_counter()
        outcomes = [run_job(VideoJob(r.row, str(r.video), r.patient, r.recorded_on, "bench", store_fingerprint(url)))
                    for r in rows]
        processing = time.perf_counter() - first
        workers = 1
    else:
        from mescreen.batch.runner import run_batch

        report = run_batch(rows, uploader="bench", workers=int(config), create_patients=True, show_progress=False)
        outcomes, processing, workers = report.outcomes, report.seconds, report.workers
    wall = time.perf_counter() - started
    failed = [o.detail for o in outcomes if o.status != "done"]
    if failed:
        raise SystemExit(f"bench run {config}: not every video was analysed: {failed}")
    return {
        "config": config, "workers": workers, "videos": len(outcomes), "frames": sum(o.frames for o in outcomes),
        "wall_s": wall, "processing_s": processing, "task_s": [o.seconds for o in outcomes],
    }


def scheduling_overhead(workers: int = 2) -> dict:
    """Round trip of a task that does nothing: what Dask adds to every video."""
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster, \
            Client(cluster) as client:
        client.submit(int, 0, pure=False).result()  # warm connections
        latencies = []
        for i in range(50):
            t = time.perf_counter()
            client.submit(int, i, pure=False).result()
            latencies.append(time.perf_counter() - t)
        t = time.perf_counter()
        client.gather([client.submit(int, i, pure=False) for i in range(NOOP_TASKS)])
        burst = (time.perf_counter() - t) / NOOP_TASKS
    return {"roundtrip_ms_median": statistics.median(latencies) * 1000, "burst_ms_per_task": burst * 1000}


def cli_loop(manifest: Path, env: dict[str, str]) -> dict:
    """`mescreen analyze VIDEO --patient CODE` once per row: what a user without `batch` runs."""
    from mescreen.batch.manifest import read_manifest
    from mescreen.batch.runner import prepare_patients
    from mescreen.store.engine import make_engine

    rows = read_manifest(manifest)
    prepare_patients(make_engine(env["MESCREEN_DB_URL"]), rows, create=True, actor="bench")
    started = time.perf_counter()
    task_s, frames = [], 0
    result_json = manifest.parent / "result.json"
    for r in rows:
        t = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "mescreen.cli.main", "analyze", str(r.video), "--patient", r.patient,
             "--recorded-on", r.recorded_on.isoformat(), "--no-progress", "--json", str(result_json)],
            env=env, check=True, capture_output=True, text=True,
        )
        task_s.append(time.perf_counter() - t)
        frames += json.loads(result_json.read_text(encoding="utf-8"))["video"]["frames_read"]
    wall = time.perf_counter() - started
    return {"config": "cli", "workers": 1, "videos": len(rows), "frames": frames, "wall_s": wall,
            "processing_s": wall, "task_s": task_s}


def _cold_run(config: str, manifest: Path, repeat_index: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="mescreen-bench-") as folder:
        env = dict(os.environ, MESCREEN_DB_URL=_fresh_store(Path(folder)))
        load_before = os.getloadavg()[0]
        if config == "cli":
            result = cli_loop(manifest, env)
        else:
            out = subprocess.run(
                [sys.executable, __file__, "--child", config, "--manifest", str(manifest)],
                env=env, check=True, capture_output=True, text=True,
            )
            result = json.loads(out.stdout.strip().splitlines()[-1])
        result.update(load_before=load_before, load_after=os.getloadavg()[0], repeat=repeat_index)
        return result


def _markdown(runs: list[dict], overhead: dict, command: str) -> str:
    lines = [
        "## Batch (Dask)",
        "",
        f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPU cores, Python "
        f"{platform.python_version()}, shared with other jobs (1-min load average before/after each run shown). "
        f"Command: `{command}`. Manifest: {runs[0]['videos']} videos, copies of {', '.join(VIDEOS)} made distinct "
        f"by an appended tail ({runs[0]['frames']} frames). Each run is cold "
        "(new process: imports, model loading, cluster start/stop) with a fresh SQLite store.",
        "",
        "| run | workers | wall s (cold, whole command) | processing s | videos/hour | frames/s | sum of task s | overhead s/video | load before/after |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in runs:
        name = NAMES[r["config"]]
        task_sum = sum(r["task_s"])
        # Worker time not spent inside a task, spread over the videos (scheduling, and workers idle
        # at the end of an uneven batch).
        idle = (r["processing_s"] * r["workers"] - task_sum) / r["videos"]
        lines.append(
            f"| {name} | {r['workers']} | {r['wall_s']:.1f} | {r['processing_s']:.1f} | "
            f"{r['videos'] / r['wall_s'] * 3600:.0f} | {r['frames'] / r['wall_s']:.1f} | {task_sum:.1f} | "
            f"{idle:.2f} | {r['load_before']:.1f}/{r['load_after']:.1f} |"
        )
    lines += [
        "",
        f"Dask's own cost per task (no-op task on 2 local workers): median round trip "
        f"{overhead['roundtrip_ms_median']:.1f} ms one at a time, {overhead['burst_ms_per_task']:.2f} ms per task "
        f"for {NOOP_TASKS} submitted together: negligible against seconds of analysis per video.",
        "videos/hour and frames/s use the cold wall time; 'processing' starts at the first submitted task "
        "(single process: first video) and ends with the last result.",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1, help="runs of each configuration")
    parser.add_argument("--copies", type=int, default=3, help="copies of each shared video in the manifest")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--manifest", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_config(args.child, args.manifest)))
        return
    with tempfile.TemporaryDirectory(prefix="mescreen-bench-manifest-") as folder:
        manifest = _manifest(Path(folder), args.copies)
        runs = [_cold_run(config, manifest, i) for i in range(args.repeat) for config in CONFIGS]
    for r in runs:
        print(json.dumps(r), file=sys.stderr)
    command = f"python bench/batch_dask.py --copies {args.copies} --repeat {args.repeat}"
    print(_markdown(runs, scheduling_overhead(), command))


if __name__ == "__main__":
    main()
