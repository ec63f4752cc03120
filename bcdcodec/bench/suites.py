"""Benchmark suites: named sets of sequences, all fitted to the model's square frame size.

A sequence is what each codec codes as one file (one GOP for the classical codecs): ``frames
[T, S, S, 3]`` uint8 RGB at the model's size ``S``, with its source fps and, for sprites, labels.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np
import torch

from ..data.faces import FaceClips
from ..data.procedural import procedural_split
from ..data.sprites import build_split
from ..errors import InvalidArgumentError
from ..paths import cache_dir, data_root, sprites_sheets
from ..video.fit import fit_frames, to_uint8
from ..video.reader import open_video

VIDEO_SUFFIXES = {".mp4", ".mov", ".mkv", ".webm", ".avi", ".y4m", ".264", ".h264", ".265", ".hevc", ".yuv"}


@dataclass
class Sequence:
    name: str
    frames: np.ndarray  # [T, S, S, 3] uint8
    fps: Fraction
    attributes: np.ndarray | None = None  # [4] int, sprites only
    motion: int | None = None  # 0..8, sprites only


@dataclass
class Suite:
    name: str
    description: str
    sequences: list[Sequence]

    @property
    def labelled(self) -> bool:
        return all(s.attributes is not None for s in self.sequences)


def _sprites_test(count: int | None, seed: int) -> Suite:
    if not sprites_sheets().is_dir():
        raise InvalidArgumentError(f"the sprites-test suite needs the layer sheets in {sprites_sheets()}")
    split = build_split("test", cache_dir=cache_dir("sprites"), progress=True)
    rng = np.random.default_rng(seed)
    characters = np.unique(split.character)
    # one sequence per test character (its action drawn with the seed), then the first `count`
    picks = [int(rng.choice(np.flatnonzero(split.character == c))) for c in characters]
    picks = picks[:count] if count else picks
    sequences = [
        Sequence(
            f"char{split.character[i]}-m{split.motion[i]}",
            split.videos[i],
            Fraction(25),
            split.attributes[i],
            int(split.motion[i]),
        )
        for i in picks
    ]
    return Suite(
        "sprites-test",
        f"Sprites test split: {len(sequences)} of the 296 held-out characters, "
        "one 8-frame sequence each (action x direction drawn with the seed)",
        sequences,
    )


def _procedural(count: int | None, seed: int) -> Suite:
    split = procedural_split(count or 8, seed=seed)
    sequences = [
        Sequence(f"procedural{i}", v, Fraction(25), a, int(m))
        for i, (v, a, m) in enumerate(zip(split.videos, split.attributes, split.motion))
    ]
    return Suite("procedural", "procedural sprites of our own (no external files)", sequences)


def _talking_heads_dev(count: int | None, size: int, frames: int, root: Path | None) -> Suite:
    clips = FaceClips.load("dev", size, root)
    windows = clips.windows(frames, FACE_WINDOWS_PER_SOURCE)[:count]
    if not windows:
        raise InvalidArgumentError(f"no talking-head dev video has {frames} frames")
    return Suite(
        "talking-heads-dev",
        f"talking-head dev people (never trained on): {len(windows)} windows of {frames} frames, at most "
        f"{FACE_WINDOWS_PER_SOURCE} per person, centre square at {size}x{size}, coded at 25 fps",
        [Sequence(name.replace("/", "_"), video, Fraction(25)) for name, _, video in windows],
    )


def _read_fitted(path: Path, size: int, frames: int, fit: str) -> Sequence:
    source = open_video(path, max_frames=frames)
    video = np.stack(list(source.frames))
    fitted = to_uint8(fit_frames(torch.from_numpy(video), size, fit)).numpy()
    return Sequence(path.stem, fitted, source.fps)


def _folder(root: Path, name: str, count: int | None, size: int, frames: int, fit: str) -> Suite:
    files = sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in VIDEO_SUFFIXES)
    if not files:
        raise InvalidArgumentError(f"no videos found under {root}")
    files = files[:count] if count else files
    shown = f"../shared/data/{root.relative_to(data_root())}" if root.is_relative_to(data_root()) else str(root)
    return Suite(
        name,
        f"{len(files)} videos under {shown}: first {frames} frames, {fit} to {size}x{size}",
        [_read_fitted(p, size, frames, fit) for p in files],
    )


SUITES = ("sprites-test", "talking-heads-dev", "natural-dev", "procedural")
FACE_WINDOWS_PER_SOURCE = 4
FACE_WINDOW = 48  # frames: 1.92 s at 25 fps, one GOP per window for every codec
FOLDER_FRAMES = 64


def load_suite(
    name: str,
    *,
    size: int = 64,
    count: int | None = None,
    frames: int | None = None,
    fit: str = "crop",
    seed: int = 0,
    root: Path | None = None,
) -> Suite:
    """A named suite, or any folder of videos given by its path; named folders are found under
    ``root`` (default: ``paths.data_root()``)."""
    if name == "sprites-test":
        return _sprites_test(count, seed)
    if name == "procedural":
        return _procedural(count, seed)
    if name == "talking-heads-dev":
        return _talking_heads_dev(count, size, frames or FACE_WINDOW, root)
    base = root if root is not None else data_root()
    folders = {"natural-dev": base / "natural"}
    root = folders.get(name, Path(name))
    if not root.is_dir():
        raise InvalidArgumentError(f"unknown suite {name!r} (choose from {', '.join(SUITES)} or give a folder)")
    return _folder(root, name if name in folders else root.name, count, size, frames or FOLDER_FRAMES, fit)
