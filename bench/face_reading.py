"""Real-video check of the AU stage and the per-frame emotion: per labelled segment, each listed
AU's active rate inside and outside the segment and its AUC, and the share of frames whose top
emotion matches the label with the episodes overlapping it; on the clip and on darkened, rotated
and downscaled copies; then the in-the-wild prototype check of the AU detector on FER+ test faces
(mescreen.training.au_wild_check); last, issue 25's grimace targets (mescreen.training.au.grimace_lines).

For every labels file it reads, it also prints the episode figures of issue 26
(mescreen.training.emotion_reading.episode_figures): the expressions with an episode, episodes
per minute over the neutral segments, and the end errors of matched episodes. Besides the shared
clips it builds the constructed clips of mescreen.training.synthetic_clips (a neutral stretch,
talking, a spliced 0.4 s smile, a 0.4 s brow flash; 30 s of neutral each) with their labels into
`--clips` (default var/episode_clips/, ignored by git; never commit them) and reads them the
same way (the whole pipeline only, as recorded; `--no-clips` skips them).

Usage: MESCREEN_DATA=... .venv/bin/python bench/face_reading.py [VIDEO ...] [--models DIR]
Without VIDEO, every video under $MESCREEN_DATA/videos with a `<name>.labels.csv` beside it.
Labels: `clip, start_s, end_s, expression, aus, ...` (aus like "6+12+25"). A check, not a target:
never choose settings on it.
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("videos", nargs="*", type=Path)
    parser.add_argument("--models", type=Path, default=None, help="models folder (default: the shipped models/)")
    parser.add_argument("--no-emotions", action="store_true",
                        help="skip the per-frame emotion and episode check (whole pipeline runs)")
    parser.add_argument("--no-wild", action="store_true", help="skip the FER+ prototype-AU check")
    parser.add_argument("--clips", type=Path, default=Path(__file__).resolve().parent.parent / "var" / "episode_clips",
                        help="folder for the constructed clips (default var/episode_clips/)")
    parser.add_argument("--no-clips", action="store_true", help="skip the constructed clips")
    parser.add_argument("--no-aus", action="store_true", help="skip the AU check of the shared clips")
    args = parser.parse_args()
    from mescreen.core.aus.stage import AUStage
    from mescreen.core.datapaths import require_data_root
    from mescreen.training.au_card import bar_lines, grimace_lines
    from mescreen.training.face_reading import check_video, labelled_videos, report_markdown

    from mescreen.core.emotion.frame.model import FrameEmotionModel

    stage, emotion = AUStage.load(args.models), FrameEmotionModel.load(args.models)
    videos = args.videos or labelled_videos(require_data_root())
    print(f"AU stage {stage.version}")
    checked = {}
    for video in videos:
        if not args.no_aus:
            checked[video.name] = reports = check_video(video, stage, emotion)
            print("\n".join(bar_lines({video.name: reports})))
            print(report_markdown(video.name, reports))
        if not args.no_emotions:
            print(emotion_check(video, args.models))
    if not args.no_clips:
        print(constructed_check(require_data_root() / "videos", args.clips, args.models))
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
    from mescreen.training.emotion_reading import emotion_markdown, episode_figures, episode_figures_markdown
    from mescreen.training.face_reading import VARIANTS, read_labels, transformed_copy

    models = Models.load(models_dir)
    segments = read_labels(video.with_suffix(".labels.csv"))
    out = []
    with tempfile.TemporaryDirectory() as folder:
        for name, transform in VARIANTS.items():
            path = video if transform is None else transformed_copy(video, transform, Path(folder))
            result = analyze_video(path, AnalysisOptions(), models=models)
            out.append(emotion_markdown(f"{video.name}, {name}", result, segments))
            out.append(episode_figures_markdown(f"{video.name}, {name}", episode_figures(result.episodes, segments)))
    return "\n".join(out)


def constructed_check(videos_dir: Path, folder: Path, models_dir: Path | None) -> str:
    """The episode figures of the constructed clips (written into `folder` with their labels),
    and of all of them together."""
    from mescreen.core.pipeline import AnalysisOptions, Models, analyze_video
    from mescreen.training.emotion_reading import episode_figures, episode_figures_markdown
    from mescreen.training.face_reading import read_labels
    from mescreen.training.synthetic_clips import SourceFaces

    models = Models.load(models_dir)
    out, episodes, segments, offset = [], [], [], 0.0
    for name, clip in SourceFaces.read(videos_dir).clips(seconds=30.0).items():
        video = clip.write(folder, name)
        labels = read_labels(video.with_suffix(".labels.csv"))
        result = analyze_video(video, AnalysisOptions(), models=models)
        out.append(episode_figures_markdown(video.name, episode_figures(result.episodes, labels)))
        episodes += [replace(e, onset_s=e.onset_s + offset, offset_s=e.offset_s + offset) for e in result.episodes]
        segments += [replace(s, start_s=s.start_s + offset, end_s=s.end_s + offset) for s in labels]
        offset += clip.duration_s + 1.0
    out.append(episode_figures_markdown("all constructed clips", episode_figures(episodes, segments)))
    return "\n".join(out)


if __name__ == "__main__":
    main()
