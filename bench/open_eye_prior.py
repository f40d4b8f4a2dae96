"""The population open-eye aperture that the AU stage's AU43 reading starts from
(mescreen.core.aus.stage.OPEN_EYE_PRIOR is the 10% quantile printed here: the narrow end of open eyes):
the eye aperture the landmark stage measures on FER+ training faces labelled neutral (at least 6 of 10 crowd votes), prepared as the AU detector's training
faces are (mescreen.training.still_faces), faces the mesh does not find left out.

Usage: MESCREEN_DATA=... .venv/bin/python bench/open_eye_prior.py [--faces 400]
"""

from __future__ import annotations

import argparse

import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--faces", type=int, default=400, help="neutral training faces to measure")
    args = parser.parse_args()
    from mescreen.core.datapaths import require_data_root
    from mescreen.core.labels import FRAME_EMOTIONS
    from mescreen.core.face.mesh_track import MEASURES
    from mescreen.training.ferplus import load_ferplus
    from mescreen.training.still_faces import StillFaces

    data = load_ferplus(require_data_root())
    neutral = FRAME_EMOTIONS.index("neutral")
    chosen = np.flatnonzero((data.split == "train") & (data.label == "neutral") & (data.votes[:, neutral] >= 6))
    faces, eyes = StillFaces(), [MEASURES.index("eye_right"), MEASURES.index("eye_left")]
    apertures = []
    for image in data.images[chosen[: args.faces]]:
        found = faces.measures(image)
        if found is not None:
            apertures.append(float(np.nanmean(found[eyes])))
    a = np.array(apertures)
    q10, q25, q50, q75, q90 = np.nanquantile(a, [0.1, 0.25, 0.5, 0.75, 0.9])
    print(f"FER+ neutral training faces: {a.size} of {min(args.faces, chosen.size)} found by the mesh; eye aperture "
          f"median {q50:.3f} (10% {q10:.3f}, 25% {q25:.3f}, 75% {q75:.3f}, 90% {q90:.3f})")


if __name__ == "__main__":
    main()
