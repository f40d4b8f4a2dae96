"""Dataset images turned into what the runtime's landmark face stage hands the AU detector: the
mesh-aligned CLAHE crop and the face-shape measures (mescreen.core.face.shape).

Why not the Haar `crop_still`: the pipeline's default face stage aligns every crop on mesh
landmarks and reads the shape measures from the same mesh, so training on anything else would
teach the detector a framing and a geometry it never sees at run time. Dataset images are tight
face crops (CK+ and FER+ are 48x48), which leave BlazeFace no context: small images are enlarged
to `MIN_SIDE` and every image gets a replicated border of a third of its size first. When
BlazeFace finds no face (about half of the FER+ faces), the mesh is run on the image itself as its
region (the image is known to be a face crop; `ROI_SCALE` times its side, as MediaPipe grows a
face box). When the mesh finds no face either, the Haar stage's crop is used (no shape: NaN), and
failing that the image itself, enlarged and CLAHE'd; `counts` says how often each happened (the
model card reports it).
"""

from __future__ import annotations

import cv2
import numpy as np

from mescreen.core.face.crop import crop_face, to_gray
from mescreen.core.face.haar import crop_still
from mescreen.core.face.shape import SHAPE_FEATURES
from mescreen.core.face.mesh import Roi
from mescreen.core.face.mesh_track import MEASURES, MeshDetection, MeshTracker, measure
from mescreen.training.megc import prepare_apex

#: Smallest side an image is enlarged to before the mesh looks for its face.
MIN_SIDE = 192
#: Mesh region around a whole face-crop image, in image sides.
ROI_SCALE = 1.2
_SHAPE = [MEASURES.index(name) for name in SHAPE_FEATURES]


class StillFaces:
    """Callable: image -> crop; the shape measures of each call are kept in order in `shapes`."""

    def __init__(self) -> None:
        self.tracker = MeshTracker()
        self.counts = {"mesh": 0, "mesh_on_image": 0, "haar": 0, "fallback": 0}
        self.shapes: list[np.ndarray] = []

    def __call__(self, image: np.ndarray) -> np.ndarray:
        crop, shape = self.crop_and_shape(image)
        self.shapes.append(shape)
        return crop

    def take_shapes(self) -> np.ndarray:
        """(n, k) shapes of the calls since the last take, in call order."""
        out = np.stack(self.shapes) if self.shapes else np.zeros((0, len(SHAPE_FEATURES)), np.float32)
        self.shapes = []
        return out

    def find(self, image: np.ndarray) -> np.ndarray | None:
        """The crop of the largest face BlazeFace and the mesh find in a whole picture (a video
        frame, a photo), or None: no fallback, since a frame is not known to be a face."""
        det = self._largest(image)
        return None if det is None else crop_face(image, det.geometry)[0]

    def _largest(self, image: np.ndarray) -> MeshDetection | None:
        """The largest face BlazeFace finds and the mesh confirms, with its measures."""
        found = [d for d, _ in self.tracker.search(image)]
        return max(found, key=lambda d: d.box[2] * d.box[3]) if found else None

    def measures(self, image: np.ndarray) -> np.ndarray | None:
        """All the landmark stage's measures of a face-crop image (`MEASURES` order), or None
        when the mesh finds no face."""
        det, _ = self._mesh(image)
        return None if det is None else np.array(det.measures, np.float32)

    def crop_and_shape(self, image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        det, padded = self._mesh(image)
        if det is not None:
            return crop_face(padded, det.geometry)[0], np.array(det.measures, np.float32)[_SHAPE]
        nan = np.full(len(SHAPE_FEATURES), np.nan, np.float32)
        still = crop_still(image)
        if still is not None:
            self.counts["haar"] += 1
            return still.crop, nan
        self.counts["fallback"] += 1
        return prepare_apex(image), nan

    def _mesh(self, image: np.ndarray) -> tuple[MeshDetection | None, np.ndarray]:
        """The mesh's detection on the enlarged, padded image (BlazeFace first, else the image as
        its region), and that padded image."""
        gray = to_gray(image)
        h, w = gray.shape
        up = max(1.0, MIN_SIDE / min(h, w))
        if up > 1.0:
            gray = cv2.resize(gray, (round(w * up), round(h * up)), interpolation=cv2.INTER_CUBIC)
        pad = max(gray.shape) // 3
        padded = cv2.copyMakeBorder(gray, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
        colour = cv2.cvtColor(padded, cv2.COLOR_GRAY2BGR)
        det = self._largest(colour)
        if det is not None:
            self.counts["mesh"] += 1
        else:
            h, w = gray.shape
            mesh = self.tracker.landmarks(colour, Roi(pad + w / 2, pad + h / 2, ROI_SCALE * max(h, w), 0.0))
            if mesh is not None:
                self.counts["mesh_on_image"] += 1
                det = measure(mesh, self.tracker.eyes.aperture(colour, mesh.points), 0.0)
        return det, padded
