"""What a code change does to the analysis' outputs on the shared videos: per-frame AU probabilities,
the per-frame emotion trace, face found, and the episodes, against results saved before the change.

    # before the change (e.g. in a checkout of the earlier commit, same models):
    MESCREEN_DATA=... .venv/bin/python bench/output_drift.py --save DIR
    # after it:
    MESCREEN_DATA=... .venv/bin/python bench/output_drift.py --against DIR

Videos: every video in $MESCREEN_DATA/videos in which a face is found (all of them but no_face.mp4),
analysed with the default options. `--save` writes one SessionResult JSON per video into DIR (a
folder outside the repository: the results derive from the research videos); the mescreen imported
is the installed one, or the checkout first on PYTHONPATH. `--against` analyses
them again and prints, per video: frames with a face (before / now), the largest and the mean
absolute difference of the AU probabilities and of the emotion trace over frames with a face in
both, how often a frame's top emotion and its active AUs (at the stored thresholds) change, and the
episodes: how many, how many match one of before (same kind, overlapping, onset and offset within
0.1 s) and how many micro-expressions keep their emotion.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np


def _videos() -> list[Path]:
    from mescreen.core.datapaths import require_data_root

    return sorted(p for p in (require_data_root() / "videos").iterdir()
                  if p.suffix in (".mp4", ".mov") and p.name != "no_face.mp4")


def _matched(before: list, now: list, tolerance_s: float = 0.1) -> int:
    """Episodes of `now` with one of `before` of the same kind, onset and offset within tolerance."""
    return sum(any(b.kind == e.kind and abs(b.onset_s - e.onset_s) <= tolerance_s
                   and abs(b.offset_s - e.offset_s) <= tolerance_s for b in before) for e in now)


def compare(before: object, now: object) -> str:
    """One Markdown row: the differences listed in the module docstring."""
    b, n = before.series, now.series  # type: ignore[attr-defined]
    both = b.face_found & n.face_found
    au = np.abs(b.au_prob[both] - n.au_prob[both])
    emo = np.abs(b.emotion_prob[both] - n.emotion_prob[both])
    top = np.mean(b.emotion_prob[both].argmax(1) != n.emotion_prob[both].argmax(1)) if both.any() else 0.0
    active = np.mean(b.au_active()[both] != n.au_active()[both]) if both.any() else 0.0
    eb, en = before.episodes, now.episodes  # type: ignore[attr-defined]
    same_emotion = sum(any(x.kind == "micro" and abs(x.onset_s - e.onset_s) <= 0.1 and x.emotion == e.emotion
                           for x in eb) for e in en if e.kind == "micro")
    return (f"| {int(b.face_found.sum())} / {int(n.face_found.sum())} | {np.nanmax(au, initial=0):.2e} / "
            f"{np.nanmean(au) if au.size else 0:.2e} | {np.nanmax(emo, initial=0):.2e} / {np.nanmean(emo) if emo.size else 0:.2e} "
            f"| {top:.2%} | {active:.2%} | {len(eb)} / {len(en)} | {_matched(eb, en)} | "
            f"{same_emotion} of {sum(e.kind == 'micro' for e in en)} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--save", type=Path, help="write the results into this folder")
    what.add_argument("--against", type=Path, help="compare with the results saved in this folder")
    args = parser.parse_args()
    from mescreen.core.pipeline import Models, analyze_video
    from mescreen.core.result import SessionResult

    models = Models.load()
    if args.save:
        args.save.mkdir(parents=True, exist_ok=True)
        for video in _videos():
            (args.save / f"{video.name}.json").write_text(analyze_video(video, models=models).to_json())
            print(f"saved {video.name}")
        return
    print("| video | frames with a face, before / now | AU probability difference, largest / mean | "
          "emotion trace difference, largest / mean | frames whose top emotion changed | AU activations changed | "
          "episodes before / now | now matched to one before | micro-expressions keeping their emotion |")
    print("|---|---|---|---|---|---|---|---|---|")
    for video in _videos():
        saved = args.against / f"{video.name}.json"
        if saved.is_file():
            before = SessionResult.from_json(saved.read_text())
            print(f"| {video.name} " + compare(before, analyze_video(video, models=models)))


if __name__ == "__main__":
    main()
