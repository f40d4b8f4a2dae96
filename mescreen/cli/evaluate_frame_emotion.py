"""Evaluate the per-frame emotion model: FER+ test, CK+48 and MEGC2019 apex across datasets, real clip."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--models", type=Path, default=None, help="models folder to read (default: models/)")
    parser.add_argument("--no-clip", action="store_true", help="skip the real-clip and still-image check")
    parser.add_argument("--threads", type=int, default=2, help="TensorFlow threads (default 2)")
    parser.add_argument("--report", type=Path, default=None, help="also write the printed Markdown to this file")


def run(args: argparse.Namespace) -> int:
    from mescreen.core.datapaths import require_data_root
    from mescreen.core.errors import InputError
    from mescreen.core.emotion.frame.model import FrameEmotionModel
    from mescreen.training import frame_emotion_eval as ev
    from mescreen.training.emotion import limit_threads
    from mescreen.training.ferplus import leak_free, load_ferplus
    from mescreen.training.frame_emotion import prepare_faces

    limit_threads(args.threads)
    model = FrameEmotionModel.load(args.models)
    try:
        root = require_data_root()
    except FileNotFoundError as exc:
        raise InputError(str(exc)) from exc
    data = leak_free(load_ferplus(root))
    train = data.part("train")
    baseline = ev.PixelBaseline().fit(prepare_faces(train.images, ev.model_framing(model)), train.targets)
    videos = root / "videos"
    steps = [
        lambda: (f"## Per-frame emotion model {model.version} ({model.meta['architecture']}, best valid epoch "
                 f"{model.meta['best_epoch']})\n\nTrained with: `{model.meta['command']}`. "
                 f"Published reference: {ev.PUBLISHED}."),
        lambda: ev.ferplus_section(model, baseline, data.part("test")),
        lambda: ev.ferplus_section(model, baseline, data.part("test"), dim=True),
        lambda: ev.crop_section(model, baseline, ev.ckplus_crops(root)),
        lambda: ev.crop_section(model, baseline, ev.megc_apex_crops(root)),
    ]
    if not args.no_clip:
        steps += [lambda: ev.clip_check(model, videos / "WolfgangLanger_Pexels.mp4",
                                        videos / "WolfgangLanger_Pexels.labels.csv"),
                  lambda: ev.images_check(model, root / "images")]
    sections = []
    for step in steps:  # print each section when done: the whole run takes minutes on 2 cores
        sections.append(step())
        print(sections[-1] + "\n", flush=True)
    if args.report:
        args.report.write_text("\n\n".join(sections) + "\n")
    return 0
