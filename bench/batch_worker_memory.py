"""Does a Dask batch worker's memory grow job after job? One local worker analyses the same clip
`--runs` times through the batch task path (models loaded once per worker, as `mescreen batch`
does); its resident memory (VmRSS) is read after each job.

    MESCREEN_DATA=/path/to/data .venv/bin/python bench/batch_worker_memory.py [--runs 8] [--arenas N]

`--arenas N` starts the worker with MALLOC_ARENA_MAX=N in its environment instead (the comparison
that shows what glibc's malloc arenas cost). Prints a Markdown line for bench/RESULTS.md. Linux only
(reads /proc).
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import sys
import tempfile
from pathlib import Path


def _rss_mib() -> float:
    """This process's resident memory (runs inside the worker)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def _analyse(video: str) -> int:
    """One job as the batch task runs it: the worker's cached models, the whole pipeline."""
    from mescreen.batch.task import _models
    from mescreen.core.pipeline import AnalysisOptions, analyze_video

    return analyze_video(video, AnalysisOptions(), models=_models()).video.frames_read


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=8)
    parser.add_argument("--clip", default="WolfgangLanger_Pexels.mp4")
    parser.add_argument("--arenas", type=int, default=None, help="set MALLOC_ARENA_MAX in the worker's environment")
    args = parser.parse_args()

    from distributed import Client, LocalCluster

    from mescreen.batch.cluster import worker_env
    from mescreen.core.datapaths import require_data_root

    video = str(require_data_root() / "videos" / args.clip)
    env = worker_env(1, "sqlite:///" + os.path.join(tempfile.gettempdir(), "unused.db"))
    if args.arenas is not None:
        env["MALLOC_ARENA_MAX"] = str(args.arenas)
    rss = []
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=":0",
                      silence_logs=logging.ERROR, env=env) as cluster, Client(cluster) as client:
        for _ in range(args.runs + 1):  # the first job loads the models
            client.submit(_analyse, video, pure=False).result()
            rss.append(next(iter(client.run(_rss_mib).values())))
    setting = f"MALLOC_ARENA_MAX={args.arenas}" if args.arenas is not None else "worker as shipped"
    print(f"| {setting} | {platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python "
          f"{sys.version.split()[0]} | {args.clip} x {args.runs + 1} | after 1st job {rss[0]:.1f} MiB | after 2nd -> "
          f"last: {rss[1]:.1f} -> {rss[-1]:.1f} MiB ({rss[-1] - rss[1]:+.1f}) | per job: "
          + ", ".join(f"{r:.0f}" for r in rss) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
