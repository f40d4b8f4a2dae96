"""Real-video check of the AU stage and the per-frame emotion: per labelled segment, each listed
AU's active rate inside and outside the segment and its AUC, and the share of frames whose top
emotion matches the label with the episodes overlapping it; on the clip and on darkened, rotated
and downscaled copies; then the in-the-wild prototype check of the AU detector on FER+ test faces
(mescreen.training.au_wild_check); last, issue 25's grimace targets (mescreen.training.au.grimace_lines).

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
    parser.add_argument("--no-emotions", action="store_true",
                        help="skip the per-frame emotion and episode check (whole pipeline runs)")
    parser.add_argument("--no-wild", action="store_true", help="skip the FER+ prototype-AU check")
    args = parser.parse_args()
    from mescreen.core.au import AUStage
    from mescreen.core.datapaths import require_data_root
    from mescreen.training.au import bar_lines, grimace_lines
    from mescreen.training.face_reading import check_video, labelled_videos, report_markdown

    from mescreen.core.frame_emotion import FrameEmotionModel

    stage, emotion = AUStage.load(args.models), FrameEmotionModel.load(args.models)
    videos = args.videos or labelled_videos(require_data_root())
    print(f"AU stage {stage.version}")
    checked = {}
    for video in videos:
        checked[video.name] = reports = check_video(video, stage, emotion)
        print("\n".join(bar_lines({video.name: reports})))
        print(report_markdown(video.name, reports))
        if not args.no_emotions:
            print(emotion_check(video, args.models))
    wild = None
    if not args.no_wild:
        from mescreen.training.au_wild_check import prototype_check, prototype_markdown

        wild = prototype_check(require_data_root(), stage.detector, features=emotion)
        print(prototype_markdown(wild))
    print("\n" + "\n".join(grimace_lines(checked, wild)))


def emotion_check(video: Path, models_dir: Path | None) -> str:
    """The whole pipeline on the video and its variants: per-frame emotion per segment, episodes."""
    import tempfile

    from mescreen.core.pipeline import AnalysisOptions, Models, analyze_video
    from mescreen.training.emotion_reading import emotion_markdown
    from mescreen.training.face_reading import VARIANTS, read_labels, transformed_copy

    models = Models.load(models_dir)
    segments = read_labels(video.with_suffix(".labels.csv"))
    out = []
    with tempfile.TemporaryDirectory() as folder:
        for name, transform in VARIANTS.items():
            path = video if transform is None else transformed_copy(video, transform, Path(folder))
            result = analyze_video(path, AnalysisOptions(), models=models)
            out.append(emotion_markdown(f"{video.name}, {name}", result, segments))
    return "\n".join(out)


if __name__ == "__main__":
    main()
