"""Pipeline throughput and memory: the whole `analyze_video` against a decode-only pass over the
same videos, frames per second of each, their ratio, and peak RSS.

Videos: $MESCREEN_DATA/videos/WolfgangLanger_Pexels.mp4 (19.7 s, 640x360, 23.98 fps) and a
10-minute video made from it by repeating it (`ffmpeg -stream_loop`, stream copy, in a temporary
folder; nothing is written into the repository). Each measurement runs in its own subprocess, so
peak RSS (`ru_maxrss`) is that run's own; model loading happens before the clock starts and is
reported separately (the modules in `LAZY_IMPORTS` are imported with them). CPU seconds (user +
system, FFmpeg's threads included) are printed beside wall time because the machine may be shared:
frames per CPU-second does not depend on the load.

    MESCREEN_DATA=/path/to/data .venv/bin/python bench/throughput.py [--minutes 10] [--repeat 1] [--face paper]

prints a Markdown section for bench/RESULTS.md. With `--stand-ins`, models that are not trained
yet are replaced by the test doubles of tests/core/fake_models.py (their per-frame cost is
lower than a real model's; the output says which were replaced).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = "WolfgangLanger_Pexels.mp4"
#: Modules an analysis imports only when it needs them (spotting's peak finder; K-means, which only a
#: session with enough micro-expressions runs). Imported before the clock in every pipeline run, so the
#: memory comparison of the long and the short video measures what grows with length, not which
#: libraries one of them happened to load (scikit-learn alone is about 90 MiB).
LAZY_IMPORTS = ("scipy.signal", "sklearn.cluster", "sklearn.metrics")


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: KiB


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _load_models(stand_ins: bool) -> tuple[object, list[str]]:
    from mescreen.core.errors import ModelMissingError
    from mescreen.core.pipeline import Models

    try:
        return Models.load(), []
    except ModelMissingError:
        if not stand_ins:
            raise
    from mescreen.core.aus.stage import AUStage
    from mescreen.core.emotion.au_mapping import AUEmotionMapper
    from mescreen.core.emotion.micro.classifier import EmotionClassifier
    from mescreen.core.episodes.clusters import ReferenceClusters

    sys.path.insert(0, str(ROOT / "tests" / "core"))
    import fake_models  # type: ignore[import-not-found]

    replaced: list[str] = []
    parts = {}
    for key, loader, fake in [
        ("au", AUStage.load, fake_models.FakeAUStage), ("emotion", EmotionClassifier.load, fake_models.FakeEmotion),
        ("mapper", AUEmotionMapper.load, fake_models.FakeMapper), ("clusters", ReferenceClusters.load, None),
    ]:
        try:
            parts[key] = loader()
        except ModelMissingError:
            if fake is None:
                raise
            parts[key] = fake()
            replaced.append(key)
    return Models(**parts), replaced


def child(mode: str, video: str, stand_ins: bool, face: str) -> None:
    """One measurement, printed as JSON on the last line of stdout."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    sys.path.insert(0, str(ROOT))
    from mescreen.core.io.video import VideoReader

    out: dict[str, object] = {"mode": mode}
    if mode == "decode":
        start_cpu, start = _cpu_s(), time.perf_counter()
        reader = VideoReader(video)
        frames = sum(1 for frame in reader.frames() if frame.image is not None)
    else:
        from mescreen.core.pipeline import AnalysisOptions, analyze_video

        t0 = time.perf_counter()
        models, replaced = _load_models(stand_ins)
        out["model_load_s"] = round(time.perf_counter() - t0, 2)
        for module in LAZY_IMPORTS:  # so that both videos' peak RSS counts them (see LAZY_IMPORTS)
            importlib.import_module(module)
        out["stand_ins"] = replaced
        start_cpu, start = _cpu_s(), time.perf_counter()
        result = analyze_video(video, AnalysisOptions(face=face), models=models)  # type: ignore[arg-type]
        frames = len(result.series)
        out["episodes"] = len(result.episodes)
        out["face_frames"] = int(result.series.face_found.sum())
    wall = time.perf_counter() - start
    cpu = _cpu_s() - start_cpu
    out.update(frames=frames, wall_s=round(wall, 2), cpu_s=round(cpu, 2), fps=round(frames / wall, 1),
               fps_per_cpu_s=round(frames / cpu, 1), peak_rss_mib=round(_rss_mib(), 1))
    print(json.dumps(out))


def _run(mode: str, video: Path, stand_ins: bool, face: str) -> dict:
    cmd = [sys.executable, __file__, "--child", mode, str(video), "--face", face]
    cmd += ["--stand-ins"] if stand_ins else []
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    if done.returncode != 0:
        sys.exit(f"{mode} run on {video.name} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _long_video(source: Path, minutes: float, folder: Path) -> Path:
    if shutil.which("ffmpeg") is None:
        sys.exit("ffmpeg is needed to make the long video")
    from mescreen.core.io.video import probe

    repeats = max(1, round(minutes * 60 / probe(source).duration_s))
    target = folder / f"repeat{repeats}.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-stream_loop", str(repeats - 1), "-i", str(source), "-an",
                    "-c", "copy", str(target)], check=True)
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="length of the repeated video")
    parser.add_argument("--repeat", type=int, default=1, help="runs per measurement (median reported)")
    parser.add_argument("--stand-ins", action="store_true", help="replace untrained models by test doubles")
    parser.add_argument("--face", choices=("mesh", "paper"), default="mesh", help="face stage (default: mesh)")
    parser.add_argument("--child", nargs=2, metavar=("MODE", "VIDEO"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], args.child[1], args.stand_ins, args.face)
        return
    sys.path.insert(0, str(ROOT))
    from mescreen.core.datapaths import require_data_root

    source = require_data_root() / "videos" / SOURCE
    with tempfile.TemporaryDirectory() as tmp:
        videos = [source, _long_video(source, args.minutes, Path(tmp))]
        load_before = os.getloadavg()[0]
        rows = []
        for video in videos:
            for mode in ("decode", "pipeline"):
                runs = [_run(mode, video, args.stand_ins, args.face) for _ in range(args.repeat)]
                best = sorted(runs, key=lambda r: r["fps"])[len(runs) // 2]
                best["video"] = video.name if video == source else f"{SOURCE} x{video.stem[6:]}"
                best["fps_all"] = [r["fps"] for r in runs]
                rows.append(best)
        load_after = os.getloadavg()[0]
    print(f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}; face stage {args.face}; load average {load_before:.1f} before, "
          f"{load_after:.1f} after.\n")
    print("| video | frames | pass | wall s | fps | CPU s | CPU ms per frame | frames per CPU-s | peak RSS MiB | episodes |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['video']} | {r['frames']} | {r['mode']} | {r['wall_s']} | {r['fps']} | {r['cpu_s']} | "
              f"{1000 * r['cpu_s'] / r['frames']:.2f} | {r['fps_per_cpu_s']} | {r['peak_rss_mib']} | "
              f"{r.get('episodes', '-')} |")
    for video in dict.fromkeys(r["video"] for r in rows):
        dec = next(r for r in rows if r["video"] == video and r["mode"] == "decode")
        pipe = next(r for r in rows if r["video"] == video and r["mode"] == "pipeline")
        print(f"\n{video}: pipeline / decode-only = {pipe['fps'] / dec['fps']:.2f} (wall), "
              f"{pipe['fps_per_cpu_s'] / dec['fps_per_cpu_s']:.2f} (per CPU-second); model loading "
              f"{pipe['model_load_s']} s; stand-ins: {', '.join(pipe['stand_ins']) or 'none'}.")
    short, long = (r for r in rows if r["mode"] == "pipeline")
    print(f"\nPeak RSS, long vs short video (pipeline): {long['peak_rss_mib']} vs {short['peak_rss_mib']} MiB "
          f"({100.0 * (long['peak_rss_mib'] / short['peak_rss_mib'] - 1):+.1f}%).")


if __name__ == "__main__":
    main()
