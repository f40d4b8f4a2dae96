"""Frames with a face under fast motion: pass 1 of the pipeline (the default landmark stage) on
copies of the shared clips moved by a camera pan, head roll and yaw, with motion blur
(mescreen.training.synthetic_clips.moving).

For every clip in $MESCREEN_DATA/videos with a face, pass 1 first runs on the clip as recorded;
the faces it places are where the face is in each frame. Each copy moves the frames and blurs
them (`MOTIONS`); a frame counts when the moved face is in view (its centre at
least half a face side inside the picture). The table gives, per copy, the share of those frames
where pass 1 places the patient's face, the frames where it places one though the recording has
none there, and pass 1's CPU milliseconds per frame. The copies are written into `--out`
(default var/motion_clips/, ignored by git; never commit them: they are research data).

    MESCREEN_DATA=/path/to/data .venv/bin/python bench/face_motion.py [--out DIR] [--keep]
"""

from __future__ import annotations

import argparse
import resource
import shutil
from pathlib import Path

from mescreen.core.datapaths import require_data_root
from mescreen.core.io.video import VideoReader
from mescreen.core.pipeline import AnalysisOptions, FacePass, find_patient_faces
from mescreen.training.synthetic_clips import Motion, moving, read_frames

ROOT = Path(__file__).resolve().parent.parent

#: The copies. The first five were fixed before the first run: the issue's fast pans (30-60
#: degrees a second) and yaw up to 60 degrees, a head roll of 45 degrees and all of them at once,
#: blurred over half a frame interval. The shipped code found the face in all their frames, so
#: the last three, harder ones, were added after that run (bench/RESULTS.md says so): a pan that
#: takes the face out of the picture and back, a faster pan, and pan, roll and yaw at once, all
#: blurred over the whole frame interval.
MOTIONS: dict[str, Motion] = {
    "pan 30 deg/s": Motion(pan_speed=30.0, pan_deg=10.0, exposure=0.5),
    "pan 60 deg/s": Motion(pan_speed=60.0, pan_deg=10.0, exposure=0.5),
    "roll +-45 deg at 90 deg/s": Motion(roll_speed=90.0, roll_deg=45.0, exposure=0.5),
    "yaw +-60 deg at 60 deg/s": Motion(yaw_speed=60.0, yaw_deg=60.0, exposure=0.5),
    "pan 60 + roll 30 + yaw 45, all at 60 deg/s": Motion(pan_speed=60.0, pan_deg=10.0, roll_speed=60.0,
                                                         roll_deg=30.0, yaw_speed=60.0, yaw_deg=45.0, exposure=0.5),
    "pan +-40 deg at 60 deg/s (out and back), full blur": Motion(pan_speed=60.0, pan_deg=40.0, exposure=1.0),
    "pan 120 deg/s, full blur": Motion(pan_speed=120.0, pan_deg=10.0, exposure=1.0),
    "pan 90 + roll 60 at 120 + yaw 70 at 120, full blur": Motion(pan_speed=90.0, pan_deg=15.0, roll_speed=120.0,
                                                                  roll_deg=60.0, yaw_speed=120.0, yaw_deg=70.0,
                                                                  exposure=1.0),
}


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _pass1(path: Path) -> tuple[FacePass, float]:
    start = _cpu_s()
    faces = find_patient_faces(VideoReader(path), AnalysisOptions())
    return faces, (_cpu_s() - start) * 1000.0 / max(1, len(faces.frame_index))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "var" / "motion_clips")
    parser.add_argument("--keep", action="store_true", help="keep the copies (default: delete them at the end)")
    args = parser.parse_args()
    videos = sorted(p for p in (require_data_root() / "videos").iterdir() if p.suffix in (".mp4", ".mov"))
    print("| clip | copy | frames with the face in view | found | placed without a face | pass-1 CPU ms/frame |")
    print("|---|---|---|---|---|---|")
    found_all, seen_all = 0, 0
    try:
        for video in videos:
            reference, _ = _pass1(video)
            if not reference.placements.found.any():
                continue
            faces = [(p.geometry.cx, p.geometry.cy, p.geometry.side) if (p := reference.placements[i]) else None
                     for i in range(len(reference.placements))]
            frames, fps = read_frames(video)
            frames = frames[:len(faces)]
            for k, (name, motion) in enumerate(MOTIONS.items()):
                clip, visible = moving(frames, fps, motion, faces[:len(frames)])
                path = clip.write(args.out, f"{video.stem}.motion{k}")
                result, ms = _pass1(path)
                found = result.placements.found[:len(visible)]
                without = ~reference.placements.found[:len(found)]
                hit = int((found & visible[:len(found)]).sum())
                found_all, seen_all = found_all + hit, seen_all + int(visible.sum())
                print(f"| {video.name} | {name} | {int(visible.sum())} | {hit / max(1, visible.sum()):.0%} | "
                      f"{int((found & without).sum())} | {ms:.2f} |")
    finally:
        if not args.keep:
            shutil.rmtree(args.out, ignore_errors=True)
    print(f"\nall copies: the face found in {found_all} of {seen_all} frames with it in view "
          f"({found_all / max(1, seen_all):.1%})")


if __name__ == "__main__":
    main()
