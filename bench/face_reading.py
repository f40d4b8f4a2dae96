"""Real-video check of the AU stage: per labelled segment, each listed AU's active rate inside and
outside the segment and its AUC, on the clip and on darkened, rotated and downscaled copies.

Usage: MESCREEN_DATA=... .venv/bin/python bench/face_reading.py [VIDEO ...] [--models DIR]
Without VIDEO, every video under $MESCREEN_DATA/videos with a `<name>.labels.csv` beside it.
Labels: `clip, start_s, end_s, expression, aus, ...` (aus like "6+12+25"). A check, not a target:
never choose settings on it.
"""

from __future__ import annotations

import argparse
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("videos", nargs="*", type=Path)
    parser.add_argument("--models", type=Path, default=None, help="models folder (default: the shipped models/)")
    args = parser.parse_args()
    from mescreen.core.au import AUStage
    from mescreen.core.datapaths import require_data_root
    from mescreen.training.au import bar_lines
    from mescreen.training.face_reading import check_video, labelled_videos, report_markdown

    stage = AUStage.load(args.models)
    videos = args.videos or labelled_videos(require_data_root())
    print(f"AU stage {stage.version}")
    for video in videos:
        reports = check_video(video, stage)
        print("\n".join(bar_lines({video.name: reports})))
        print(report_markdown(video.name, reports))


if __name__ == "__main__":
    main()
