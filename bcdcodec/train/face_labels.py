"""Teacher labels for talking-head training: mediapipe's 478-point face mesh on every frame of
every training source, cached, and the per-frame quantities our own networks learn from it.

Training only. mediapipe (``pip install 'bcdcodec[train]'``) is imported here and nowhere on
the encode or decode path; what the codec knows of faces it learns from these labels.

A source's labels are ``points [N, 478, 2]`` float32, the mesh in coordinates normalised to the
source frame (x / width, y / height, so a point off the frame may fall outside [0, 1]), and
``found [N]`` bool (NaN points where no face was found). The mesh runs in tracking mode on the
frames downscaled to at most :data:`LABEL_SIDE` pixels on their longer side.

Derived quantities (:func:`face_box`, :func:`face_state`), all from the points:

- the face box: centre and side of the square around the mesh, in normalised frame units;
- the mouth opening: inner-lip gap (13-14) over the face height (10-152);
- the eyelid openings: lid gap (159-145, 386-374) over the eye width (33-133, 362-263);
- the head pose: yaw (nose tip against the cheeks), pitch (nose tip against eyes and chin),
  roll (the eye line's angle, radians).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import BcdError
from ..fileio import atomic_path

LABEL_SIDE = 640
INSTALL = (
    "pip install --no-deps mediapipe==0.10.21 && "
    "pip install absl-py attrs flatbuffers 'protobuf<5' opencv-python-headless"
)
FOREHEAD, CHIN, NOSE_TIP, UPPER_LIP, LOWER_LIP = 10, 152, 1, 13, 14
LEFT_CHEEK, RIGHT_CHEEK = 234, 454
# (upper lid, lower lid, outer corner, inner corner) of each eye
EYES = ((159, 145, 33, 133), (386, 374, 263, 362))
STATE_NAMES = ("mouth", "eye_left", "eye_right", "yaw", "pitch", "roll")


class TeacherMissing(BcdError):
    """mediapipe, the training-time face teacher, is not installed."""


@dataclass
class FaceLabels:
    """The mesh of every frame of one source (see the module docstring)."""

    points: np.ndarray  # [N, 478, 2] float32, normalised frame coordinates; NaN where not found
    found: np.ndarray  # [N] bool
    width: int
    height: int

    @property
    def found_fraction(self) -> float:
        return float(self.found.mean()) if len(self.found) else 0.0


class FaceMeshTeacher:
    """mediapipe's face mesh in tracking mode, for the frames of one source at a time."""

    def __init__(self) -> None:
        try:
            import mediapipe
        except ImportError:
            raise TeacherMissing(f"face labels need mediapipe: {INSTALL}") from None
        self._module = mediapipe.solutions.face_mesh

    def label(self, frames, width: int, height: int) -> FaceLabels:
        """Mesh every frame of an iterable of ``[H, W, 3]`` uint8 RGB frames."""
        import torch

        from ..video.fit import resize

        scale = min(1.0, LABEL_SIDE / max(width, height))
        small = (max(1, round(height * scale)), max(1, round(width * scale)))
        points, found = [], []
        with self._module.FaceMesh(static_image_mode=False, max_num_faces=1, refine_landmarks=True) as mesh:
            for frame in frames:
                if scale < 1.0:
                    frame = resize(torch.from_numpy(frame).permute(2, 0, 1)[None], *small)[0].permute(1, 2, 0).numpy()
                faces = mesh.process(np.ascontiguousarray(frame)).multi_face_landmarks
                if faces:
                    points.append(np.array([(p.x, p.y) for p in faces[0].landmark[:478]], np.float32))
                    found.append(True)
                else:
                    points.append(np.full((478, 2), np.nan, np.float32))
                    found.append(False)
        if not points:
            raise BcdError("a source with no frames has no face labels")
        return FaceLabels(np.stack(points), np.array(found), width, height)


def _cache_file(path: Path, cache: Path) -> Path:
    stamp = f"{path.resolve()}|{LABEL_SIDE}|{path.stat().st_mtime_ns}".encode()
    return cache / f"{path.stem}-{hashlib.sha256(stamp).hexdigest()[:16]}-mesh.npz"


def load_labels(path: Path, cache: Path, teacher: FaceMeshTeacher | None = None) -> FaceLabels:
    """The labels of one source (video file or frame folder), from the cache when current;
    otherwise computed with ``teacher`` (which must then be given) and cached."""
    from ..data.faces import source_frames

    cached = _cache_file(path, cache)
    if cached.is_file():
        with np.load(cached) as data:
            return FaceLabels(data["points"], data["found"], int(data["width"]), int(data["height"]))
    if teacher is None:
        raise BcdError(f"no cached face labels for {path}")
    width, height, frames = source_frames(path)
    labels = teacher.label(frames, width, height)
    cache.mkdir(parents=True, exist_ok=True)
    with atomic_path(cached, force=True) as tmp:
        np.savez(tmp, points=labels.points, found=labels.found, width=labels.width, height=labels.height)
    return labels


def face_box(labels: FaceLabels) -> np.ndarray:
    """``[N, 3]`` (centre x, centre y, side) of the square around each frame's mesh, in units
    of the frame's shorter side, the centre from the frame's top-left corner; NaN where no face."""
    pixels = labels.points * np.array([labels.width, labels.height], np.float32)
    low, high = np.full((len(pixels), 2), np.nan, np.float32), np.full((len(pixels), 2), np.nan, np.float32)
    low[labels.found], high[labels.found] = pixels[labels.found].min(axis=1), pixels[labels.found].max(axis=1)
    short = min(labels.width, labels.height)
    centre = (low + high) / 2 / short
    side = (high - low).max(axis=1, keepdims=True) / short
    return np.concatenate([centre, side], axis=1).astype(np.float32)


def face_state(points: np.ndarray) -> np.ndarray:
    """``[..., 6]`` (mouth, left eyelid, right eyelid, yaw, pitch, roll) from mesh points
    ``[..., 478, 2]`` in any isotropic coordinates (pixels, or normalised to a square)."""

    def dist(a: int, b: int) -> np.ndarray:
        return np.linalg.norm(points[..., a, :] - points[..., b, :], axis=-1)

    height = dist(FOREHEAD, CHIN)
    mouth = dist(UPPER_LIP, LOWER_LIP) / height
    eyes = [dist(up, low) / dist(outer, inner) for up, low, outer, inner in EYES]
    nose, left, right = points[..., NOSE_TIP, :], points[..., LEFT_CHEEK, :], points[..., RIGHT_CHEEK, :]
    yaw = (nose[..., 0] - (left[..., 0] + right[..., 0]) / 2) / dist(LEFT_CHEEK, RIGHT_CHEEK)
    eye_mid = (points[..., EYES[0][2], :] + points[..., EYES[1][2], :]) / 2
    pitch = (nose[..., 1] - eye_mid[..., 1]) / height
    line = points[..., EYES[1][2], :] - points[..., EYES[0][2], :]
    roll = np.arctan2(line[..., 1], line[..., 0])
    return np.stack([mouth, eyes[0], eyes[1], yaw, pitch, roll], axis=-1).astype(np.float32)


def label_sources(sources: list[Path], cache: Path, progress=None) -> list[FaceLabels]:
    """Labels of every source, computing (with the teacher) those not cached yet; ``progress``
    is called with each source's path once it is labelled."""
    teacher = None
    out = []
    for path in sources:
        if teacher is None and not _cache_file(path, cache).is_file():
            teacher = FaceMeshTeacher()
        out.append(load_labels(path, cache, teacher))
        if progress is not None:
            progress(path)
    return out
