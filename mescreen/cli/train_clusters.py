"""Fit the reference ME clusters (per-emotion K-means, k by silhouette) from the AU coding sheets."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--sources", default="samm,casme2,ckplus",
        help="comma-separated coding sheets to pool: samm, casme2, ckplus (default: all three)",
    )
    parser.add_argument("--k-min", type=int, default=2, help="smallest k tried (default 2)")
    parser.add_argument("--k-max", type=int, default=8, help="largest k tried (default 8)")
    parser.add_argument("--random-state", type=int, default=0, help="K-means seed (default 0)")
    parser.add_argument(
        "--out", type=Path, default=None,
        help="model file to write (default: models/me_clusters_reference.json); '-' writes nothing",
    )


def run(args: argparse.Namespace) -> int:
    from mescreen.core import datapaths
    from mescreen.core.errors import InputError
    from mescreen.core.episodes.clusters import REFERENCE_FILE
    from mescreen.training.clusters import SOURCES, fit_reference, load_coded_samples, markdown_summary, provenance

    sources = tuple(s.strip() for s in args.sources.split(",") if s.strip())
    unknown = sorted(set(sources) - set(SOURCES)) or ([] if sources else ["(none given)"])
    if unknown:
        raise InputError(f"unknown source(s) {unknown} for --sources; choose from {', '.join(SOURCES)}")
    try:
        root = datapaths.require_data_root()
        samples = load_coded_samples(root, sources)
        model = fit_reference(samples, args.k_min, args.k_max, args.random_state)
    except (FileNotFoundError, ValueError) as exc:
        raise InputError(str(exc)) from exc
    command = (
        f"mescreen train clusters --sources {','.join(sources)} --k-min {args.k_min} "
        f"--k-max {args.k_max} --random-state {args.random_state}"
    )
    info = provenance(samples, command)
    print(f"Fitted on {int(samples.X.any(axis=1).sum())} coded samples: {info['samples_per_dataset_emotion']}")
    print(f"Left out: no AU of the AU list {info['left_out_without_any_au']}; "
          f"emotion without a fine label {info['left_out_emotion_labels']}")
    print(markdown_summary(model))
    if str(args.out) == "-":
        return 0
    out = args.out or datapaths.models_dir() / REFERENCE_FILE
    out.parent.mkdir(parents=True, exist_ok=True)
    model.save(out, extra=info)
    print(f"Wrote {out} ({datapaths.model_version(out)})")
    return 0
