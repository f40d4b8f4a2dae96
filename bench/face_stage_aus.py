"""Do the AU detector and the spotter read the landmark stage's crops as they read Haar's?

The demo clip (WolfgangLanger_Pexels.mp4) through the whole pipeline with the shipped models,
once per face stage. Per AU: the correlation of the two stages' per-frame probabilities and
their mean absolute difference, and how often the AU is active in each; then the episodes each
stage spots. The models were trained on Haar crops, so large differences would mean the
landmark alignment does not reproduce the Haar crop's framing.

    MESCREEN_DATA=/path/to/data .venv/bin/python bench/face_stage_aus.py
"""

from __future__ import annotations

import numpy as np

from mescreen.core.datapaths import require_data_root
from mescreen.core.pipeline import AnalysisOptions, Models, analyze_video

CLIP = "WolfgangLanger_Pexels.mp4"


def main() -> None:
    path = require_data_root() / "videos" / CLIP
    models = Models.load()
    results = {stage: analyze_video(path, AnalysisOptions(face=stage), models=models) for stage in ("paper", "mesh")}
    paper, mesh = results["paper"].series, results["mesh"].series
    both = paper.face_found & mesh.face_found
    active_p, active_m = paper.au_active()[both], mesh.au_active()[both]
    readable = paper.au_readable()
    print(f"{CLIP}: {int(both.sum())} frames with a face in both stages\n")
    print("| AU | correlation | mean abs difference | active: Haar | active: mesh |")
    print("|---|---|---|---|---|")
    corr = []
    for k, name in enumerate(paper.au_names):
        a, b = paper.au_prob[both, k], mesh.au_prob[both, k]
        r = float(np.corrcoef(a, b)[0, 1]) if a.std() > 0 and b.std() > 0 else float("nan")
        corr.append(r)
        note = "" if readable[k] else " (not read)"
        print(f"| {name}{note} | {r:.2f} | {np.abs(a - b).mean():.3f} | {active_p[:, k].mean():.0%} | "
              f"{active_m[:, k].mean():.0%} |")
    print(f"\nmedian correlation over AUs: {np.nanmedian(corr):.2f}")
    for stage, result in results.items():
        spans = ", ".join(
            f"{e.onset_s:.2f}-{e.offset_s:.2f} s ({e.emotion or 'undetermined'})" for e in result.episodes
        )
        print(f"episodes, {stage}: {len(result.episodes)}: {spans}")


if __name__ == "__main__":
    main()
