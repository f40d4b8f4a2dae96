"""Where the whole pipeline's CPU goes: thread CPU time of each stage of `analyze_video`, per frame.

Each stage function is wrapped (in this process only) so that the CPU time of the thread running it
(`time.thread_time`, so work done in the reader, batch and flow-image worker threads is counted where
it runs) is added to that stage. Stages nest (the face mesh runs inside pass 1's face tracking), and
"the rest" is the process's CPU time minus the outermost stages: FFmpeg's own decoder threads, the
right eye's contour model (its worker thread), and the Python between the stages. CPU time hardly depends on the machine's load, wall time does: both are printed.

    MESCREEN_DATA=/path/to/data .venv/bin/python bench/pipeline_profile.py [--video PATH] [--minutes M]

Without `--video` it reads the shared demo clip ($MESCREEN_DATA/videos/WolfgangLanger_Pexels.mp4);
`--minutes` repeats that clip into a longer video in a temporary folder (as bench/throughput.py does).
Models are loaded and one warm-up analysis runs before the measured one.
"""

from __future__ import annotations

import argparse
import functools
import importlib
import inspect
import os
import platform
import resource
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

#: (label, "module:attribute" of the function or method to time, depth in the printed tree).
STAGES: tuple[tuple[str, str, int], ...] = (
    ("pass 1: faces (BlazeFace search, mesh follow, eyes)", "mescreen.core.face.mesh_track:MeshTracker.observe", 0),
    ("BlazeFace", "mescreen.core.face.mesh:BlazeFaceDetector.detect", 1),
    ("face mesh", "mescreen.core.face.mesh:FaceMesh.run", 1),
    ("eye contours (both eyes)", "mescreen.core.face.mesh:EyeContours.aperture", 1),
    ("pass 2: crop (warp, gray, blur, CLAHE)", "mescreen.core.pipeline:crop_face", 0),
    ("pass 2: spotting feature", "mescreen.core.pipeline:appearance_feature", 0),
    ("pass 2: per-frame emotion network", "mescreen.core.emotion.frame.model:FrameEmotionModel.predict_with_features", 0),
    ("pass 2: AU stage (HOG, detector, person normalisation)", "mescreen.core.aus.stage:AUStage.update_many", 0),
    ("spotting", "mescreen.core.episodes.spotting:Spotter.spot", 0),
    ("macro-expressions from the trace", "mescreen.core.pipeline:macro_episodes", 0),
    ("pass 3: ME flow images (TV-L1, worker threads)", "mescreen.core.emotion.micro.classifier:EmotionClassifier.network_image", 0),
    ("pass 3: episode landmarks (mesh)", "mescreen.core.face.mesh_track:MeshTracker.landmarks", 0),
    ("ME emotion network", "mescreen.core.emotion.micro.classifier:EmotionClassifier.read_images", 0),
    ("clusters and screening", "mescreen.core.pipeline:cluster_and_screen", 0),
    ("video reader thread (demux, decode calls, colour conversion)", "mescreen.core.io.video:VideoReader._decoded", 0),
)


class StageClock:
    """Thread CPU seconds and calls per stage; a stage called inside itself is counted once."""

    def __init__(self) -> None:
        self.cpu: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self._active = threading.local()
        self._lock = threading.Lock()

    def wrap(self, label: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        if inspect.isgeneratorfunction(fn):
            return self._wrap_generator(label, fn)

        @functools.wraps(fn)
        def timed(*args: Any, **kwargs: Any) -> Any:
            running = getattr(self._active, "labels", set())
            if label in running:
                return fn(*args, **kwargs)
            self._active.labels = running | {label}
            start = time.thread_time()
            try:
                return fn(*args, **kwargs)
            finally:
                spent = time.thread_time() - start
                self._active.labels = running
                with self._lock:
                    self.cpu[label] += spent
                    self.calls[label] += 1
        return timed


    def _wrap_generator(self, label: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        """A generator's CPU is spent in whichever thread advances it (the video reader's thread)."""
        @functools.wraps(fn)
        def timed(*args: Any, **kwargs: Any) -> Any:
            items = fn(*args, **kwargs)
            try:
                while True:
                    start = time.thread_time()
                    try:
                        item = next(items)
                    except StopIteration:
                        return
                    finally:
                        with self._lock:
                            self.cpu[label] += time.thread_time() - start
                    yield item
            finally:
                items.close()
                with self._lock:
                    self.calls[label] += 1
        return timed


def install(clock: StageClock) -> list[tuple[str, int]]:
    """Wrap every stage that exists in this version of the code; the (label, depth) wrapped."""
    done = []
    for label, target, depth in STAGES:
        module_name, attribute = target.split(":")
        owner: Any = importlib.import_module(module_name)
        *path, name = attribute.split(".")
        for part in path:
            owner = getattr(owner, part, None)
        if owner is None or not hasattr(owner, name):
            continue
        setattr(owner, name, clock.wrap(label, getattr(owner, name)))
        done.append((label, depth))
    return done


def _process_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--video", type=Path, help="video to analyse (default: the shared demo clip)")
    parser.add_argument("--minutes", type=float, default=0.0, help="repeat the demo clip into a video this long")
    args = parser.parse_args()

    from mescreen.core.datapaths import require_data_root
    from mescreen.core.pipeline import Models, analyze_video

    clock = StageClock()
    with tempfile.TemporaryDirectory() as tmp:
        video = args.video or require_data_root() / "videos" / "WolfgangLanger_Pexels.mp4"
        if args.minutes:
            sys.path.insert(0, str(ROOT / "bench"))
            from throughput import _long_video  # type: ignore[import-not-found]

            video = _long_video(video, args.minutes, Path(tmp))
        models = Models.load()
        analyze_video(video, models=models)  # warm-up: first-call costs out of the figures
        wrapped = install(clock)
        load_before = os.getloadavg()[0]
        cpu0, wall0 = _process_cpu(), time.perf_counter()
        result = analyze_video(video, models=models)
        cpu, wall = _process_cpu() - cpu0, time.perf_counter() - wall0
    frames = len(result.series)
    micro = sum(e.kind == "micro" for e in result.episodes)
    print(f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
          f"load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after.\n")
    print(f"{video.name}: {frames} frames, {len(result.episodes)} episodes ({micro} micro); wall {wall:.2f} s "
          f"({frames / wall:.1f} frames/s), CPU {cpu:.2f} s ({1000 * cpu / frames:.2f} ms per frame, "
          f"{frames / cpu:.1f} frames per CPU-second)\n")
    print("| stage | calls | CPU s | CPU ms per frame | share of CPU |")
    print("|---|---|---|---|---|")
    outer = 0.0
    for label, depth in wrapped:
        seconds = clock.cpu.get(label, 0.0)
        outer += seconds if depth == 0 else 0.0
        name = ("&nbsp;&nbsp;" * 2 * depth) + label
        print(f"| {name} | {clock.calls.get(label, 0)} | {seconds:.3f} | {1000 * seconds / frames:.3f} | "
              f"{100 * seconds / cpu:.1f}% |")
    rest = cpu - outer
    print(f"| the rest (FFmpeg's threads, the right eye, glue) | - | {rest:.3f} | {1000 * rest / frames:.3f} | {100 * rest / cpu:.1f}% |")


if __name__ == "__main__":
    main()
