"""Talking-head clips: the videos and JPEG frame folders under ``talking_heads/{train,dev}`` of the
data root, cropped, resized to the model resolution and cached.

Crop policy: the centred square of side min(W, H) of every frame, resized (antialiased) to
``size``x``size``. The data is face-centred, so the centred square keeps the face and as much
around it as a square can. The frame rate is kept; every video or folder is one source clip
(JPEG folders play at 25 fps). Dev people are never trained on: the ``dev`` folder is only read
for validation and evaluation.

The cache (``paths.cache_dir("talking_heads")``) holds one ``.npz`` per source and size,
``[N, size, size, 3]`` uint8, keyed by the source's path, size and modification time.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
import torch

from ..errors import BcdError, VideoError
from ..fileio import atomic_path
from ..paths import cache_dir, data_root
from ..video.fit import fit_frames, to_uint8
from ..video.reader import open_video

VIDEO_SUFFIXES = (".mp4", ".mov", ".mkv", ".webm", ".avi", ".mpg", ".mpeg", ".flv")
FRAME_SUFFIXES = (".jpg", ".jpeg", ".png")
SPLITS = ("train", "dev")
FOLDER_FPS = 25


def find_sources(root: Path) -> list[Path]:
    """Every video file and every folder of JPEG or PNG frames under ``root``, sorted."""
    files = [p for p in root.rglob("*") if p.is_file()]
    videos = [p for p in files if p.suffix.lower() in VIDEO_SUFFIXES]
    folders = {p.parent for p in files if p.suffix.lower() in FRAME_SUFFIXES}
    return sorted(videos + list(folders))


def _frame_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in FRAME_SUFFIXES)


def source_frames(path: Path) -> tuple[int, int, Iterator[np.ndarray]]:
    """``(width, height, frames)`` of a video file or frame folder: the frames ``[H, W, 3]``
    uint8 RGB at the source's own size (a folder's size is its first picture's)."""
    if path.is_dir():
        files = _frame_files(path)
        if not files:
            raise VideoError(f"{path} has no frames")
        first = _read_picture(files[0])
        return first.shape[1], first.shape[0], (_read_picture(p) for p in files)
    source = open_video(path)
    return source.width, source.height, source.frames


def _read_source(path: Path, size: int, chunk: int = 64) -> np.ndarray:
    """All frames of a video file or frame folder, centre-cropped and resized: ``[N, size, size, 3]``."""
    frames = source_frames(path)[2]
    out, batch = [], []
    for frame in frames:
        batch.append(frame)
        if len(batch) == chunk:
            out.append(_fit(batch, size))
            batch = []
    if batch:
        out.append(_fit(batch, size))
    if not out:
        raise VideoError(f"{path} has no frames")
    return np.concatenate(out)


def _read_picture(path: Path) -> np.ndarray:
    with av.open(str(path)) as container:
        return next(container.decode(video=0)).to_ndarray(format="rgb24")


def _fit(frames: list[np.ndarray], size: int) -> np.ndarray:
    return to_uint8(fit_frames(torch.from_numpy(np.stack(frames)), size, "crop")).numpy()


def load_source(path: Path, size: int, cache: Path | None = None) -> np.ndarray:
    """The frames of one source at ``size``, from the cache when it is current."""
    if cache is None:
        return _read_source(path, size)
    stamp = f"{path.resolve()}|{size}|{path.stat().st_mtime_ns}".encode()
    cached = cache / f"{path.stem}-{hashlib.sha256(stamp).hexdigest()[:16]}-{size}.npz"
    if cached.is_file():
        with np.load(cached) as data:
            return data["frames"]
    frames = _read_source(path, size)
    cache.mkdir(parents=True, exist_ok=True)
    with atomic_path(cached, force=True) as tmp:
        np.savez(tmp, frames=frames)
    return frames


@dataclass
class FaceClips:
    """The sources of one split at one size: ``videos[i]`` is ``[N_i, size, size, 3]`` uint8."""

    names: list[str]
    videos: list[np.ndarray]
    size: int

    @classmethod
    def load(cls, split: str, size: int, root: Path | None = None, cache: bool = True) -> FaceClips:
        if split not in SPLITS:
            raise BcdError(f"unknown talking-head split {split!r}; choose from {', '.join(SPLITS)}")
        folder = (root or data_root()) / "talking_heads" / split
        sources = find_sources(folder) if folder.is_dir() else []
        if not sources:
            raise BcdError(f"no talking-head videos under {folder} (set BCDCODEC_DATA)")
        where = cache_dir("talking_heads") if cache else None
        return cls([str(p.relative_to(folder)) for p in sources], [load_source(p, size, where) for p in sources], size)

    def window(self, video: int, start: int, length: int) -> np.ndarray:
        return self.videos[video][start : start + length]

    def windows(self, length: int, per_source: int) -> list[tuple[str, int, np.ndarray]]:
        """``(name, source, frames [length, S, S, 3])`` for the first ``per_source``
        consecutive non-overlapping windows of every source (evaluation and benchmarks)."""
        out = []
        for index, (name, video) in enumerate(zip(self.names, self.videos)):
            for k in range(min(per_source, len(video) // length)):
                out.append((f"{name}@{k * length}", index, video[k * length : (k + 1) * length]))
        return out

    def sample(self, count: int, length: int, rng: np.random.Generator, partner_gap: int | None = None):
        """``count`` windows of ``length`` frames ``[B, T, S, S, 3]``, a source picked in
        proportion to its length; with ``partner_gap``, also a partner window of the same source
        starting at least ``partner_gap`` frames away (as far as the source allows)."""
        lengths = np.array([len(v) for v in self.videos])
        usable = np.maximum(lengths - length + 1, 0)
        if not usable.any():
            raise BcdError(f"no talking-head source has {length} frames")
        picks = rng.choice(len(self.videos), size=count, p=usable / usable.sum())
        clips, partners = [], []
        for video in picks:
            start = int(rng.integers(0, usable[video]))
            clips.append(self.window(video, start, length))
            if partner_gap is not None:
                far = [s for s in range(usable[video]) if abs(s - start) >= partner_gap]
                other = int(rng.choice(far)) if far else int(usable[video] - 1 - start)
                partners.append(self.window(video, other, length))
        if partner_gap is None:
            return np.stack(clips)
        return np.stack(clips), np.stack(partners)


def augment(clips: torch.Tensor, partners: torch.Tensor | None, rng: np.random.Generator):
    """The same random mirror, small zoom and shift, and brightness/contrast/saturation change for
    each clip and its partner (``[B, T, 3, S, S]`` in ``[-1, 1]``): new-looking people and framing
    from the training ones."""
    out_clips, out_partners = clips.clone(), None if partners is None else partners.clone()
    size = clips.shape[-1]
    for i in range(clips.shape[0]):
        mirror = rng.random() < 0.5
        zoom = rng.uniform(0.85, 1.0)
        side = int(round(size * zoom))
        top, left = (int(rng.integers(0, size - side + 1)) for _ in range(2))
        gain, bias, saturation = rng.uniform(0.8, 1.2), rng.uniform(-0.1, 0.1), rng.uniform(0.7, 1.3)
        for batch in (out_clips, out_partners):
            if batch is None:
                continue
            x = batch[i, ..., top : top + side, left : left + side]
            if side != size:
                x = torch.nn.functional.interpolate(x, size=(size, size), mode="bilinear", align_corners=False)
            if mirror:
                x = x.flip(-1)
            grey = x.mean(dim=1, keepdim=True)
            x = grey + (x - grey) * saturation
            batch[i] = (x * gain + bias).clamp(-1, 1)
    return out_clips, out_partners
