"""Where the Haar stage's eye-aligned crop puts the mesh's alignment points: the measurement
behind `mescreen.core.face.mesh.ALIGN_TARGETS`.

On every 6th frame of the shared one-face clips where the Haar stage found a face and both eyes,
the mesh landmarks (BlazeFace -> mesh -> mesh again from its own landmarks) are mapped into that
frame's Haar crop; the table gives each alignment point's mean and spread (crop pixels) and
the left/right-symmetric targets derived from the means.

    MESCREEN_DATA=/path/to/data .venv/bin/python bench/face_alignment.py
"""

from __future__ import annotations

import numpy as np

from mescreen.core.datapaths import require_data_root
from mescreen.core.face.crop import FaceGeometry, to_gray
from mescreen.core.face.haar import FaceDetector
from mescreen.core.face.mesh import (
    ALIGN_POINTS, BlazeFaceDetector, FaceMesh, crop_matrix, roi_from_detection, roi_from_landmarks,
)
from mescreen.core.io.video import VideoReader

CLIPS = ("WolfgangLanger_Pexels.mp4", "single_face.mp4")
EVERY = 6


def _mesh_points(image: np.ndarray, blaze: BlazeFaceDetector, mesh: FaceMesh) -> np.ndarray | None:
    faces = blaze.detect(image)
    if not faces:
        return None
    first = mesh.run(image, roi_from_detection(faces[0]))
    return mesh.run(image, roi_from_landmarks(first.points)).points


def main() -> None:
    videos = require_data_root() / "videos"
    haar, blaze, mesh = FaceDetector(), BlazeFaceDetector(), FaceMesh()
    rows = []
    for clip in CLIPS:
        reader = VideoReader(videos / clip)
        for frame in reader.frames(decode=lambda p: p % EVERY == 0):
            if frame.image is None:
                continue
            found = haar.detect(to_gray(frame.image))
            if len(found) != 1 or not found[0].eyes_found:
                continue
            points = _mesh_points(frame.image, blaze, mesh)
            if points is None:
                continue
            matrix = crop_matrix(FaceGeometry.from_detection(found[0]))
            rows.append(points[list(ALIGN_POINTS), :2] @ matrix[:, :2].T + matrix[:, 2])
    data = np.stack(rows)
    mean, spread = data.mean(0), data.std(0)
    print(f"{len(rows)} frames with one Haar face, both eyes found, and a mesh\n")
    print("| mesh point | mean x | mean y | sd x | sd y |\n|---|---|---|---|---|")
    for index, m, s in zip(ALIGN_POINTS, mean, spread):
        print(f"| {index} | {m[0]:.1f} | {m[1]:.1f} | {s[0]:.1f} | {s[1]:.1f} |")
    # symmetric targets: eye corners mirrored about the crop's vertical mid-line, one eye height
    half_outer = (mean[3, 0] - mean[0, 0]) / 2.0
    half_inner = (mean[2, 0] - mean[1, 0]) / 2.0
    mid = (mean[0, 0] + mean[3, 0] + mean[1, 0] + mean[2, 0]) / 4.0
    outer_y, inner_y = (mean[0, 1] + mean[3, 1]) / 2.0, (mean[1, 1] + mean[2, 1]) / 2.0
    targets = [
        (mid - half_outer, outer_y), (mid - half_inner, inner_y), (mid + half_inner, inner_y),
        (mid + half_outer, outer_y), (mid, mean[4, 1]),
    ]
    print("\nsymmetric targets:", [[round(float(x), 1), round(float(y), 1)] for x, y in targets])


if __name__ == "__main__":
    main()
