"""Face: finds the patient's face in every frame and cuts the crop every model reads.

Takes video frames (or a still); returns, per frame, the patient's face as a `CROP_SIZE` x
`CROP_SIZE` CLAHE crop with its geometry and confidence, or no face. `crop` holds the crop
contract both face stages share; `mesh`, `mesh_track` and `shape` are the default landmark stage
(BlazeFace, the 468-point mesh, head pose, eye and mouth opening, the face-shape measures the AU
detector reads); `haar` is the seed paper's Haar stage (`--face paper`); `tracks` links detections
over a video and picks the patient's track.
"""
