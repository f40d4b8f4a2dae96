"""Start-up of `mescreen analyze photo.jpg` as a clinician runs it: wall and CPU seconds of the whole
command (interpreter start, imports, model loading, the one-frame analysis, the summary), its peak
resident memory, and what it printed to stderr (the bar: nothing).

    MESCREEN_DATA=/path/to/data .venv/bin/python bench/startup.py [--runs 3] [IMAGE]

IMAGE defaults to $MESCREEN_DATA/images/single_face.jpg. Each run is a fresh process
(`python -m mescreen.cli.main analyze IMAGE --no-progress`, the installed or PYTHONPATH's mescreen);
its own resource usage comes from wait4, so the figures are that process's alone.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def run_once(image: Path) -> dict[str, object]:
    """One cold `mescreen analyze IMAGE`: wall s, CPU s, peak RSS MiB, stderr lines."""
    with tempfile.TemporaryFile() as err, open(os.devnull, "wb") as out:
        start = time.perf_counter()
        process = subprocess.Popen([sys.executable, "-m", "mescreen.cli.main", "analyze", str(image), "--no-progress"],
                                   stdout=out, stderr=err)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        lines = err.read().decode(errors="replace").splitlines()
    return {"rc": process.returncode, "wall_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime,
            "rss_mib": usage.ru_maxrss / 1024, "stderr": lines}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("image", nargs="?", type=Path)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    from mescreen.core.datapaths import require_data_root

    image = args.image or require_data_root() / "images" / "single_face.jpg"
    print(f"load average {os.getloadavg()[0]:.1f} before\n")
    print("| run | wall s | CPU s | peak RSS MiB | exit | stderr lines | first stderr line |")
    print("|---|---|---|---|---|---|---|")
    for k in range(1, args.runs + 1):
        r = run_once(image)
        first = (r["stderr"][0][:80] if r["stderr"] else "").replace("|", "/")  # type: ignore[index]
        print(f"| {k} | {r['wall_s']:.2f} | {r['cpu_s']:.2f} | {r['rss_mib']:.1f} | {r['rc']} | "
              f"{len(r['stderr'])} | {first} |")  # type: ignore[arg-type]
    print(f"\nload average {os.getloadavg()[0]:.1f} after")


if __name__ == "__main__":
    main()
