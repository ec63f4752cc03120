"""The standard Sprites benchmark (DSVAE protocol), built from the LPC layer sheets.

1296 characters = body x bottomwear x topwear x hair (values 0-5 each), always with shoes/1.png,
alpha-composited over black in the order body, bottom, top, hair, shoes. Each character has 9
sequences (actions walk, spellcast, slash x directions front, left, right) of 8 frames of 64x64.
Characters are numbered c = body*216 + bottom*36 + top*6 + hair; ``np.random.seed(423)`` then
``np.random.permutation(1296)`` gives the split: perm[:1000] train, perm[1000:] test.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
from tqdm import tqdm

from ..errors import BcdError
from ..fileio import atomic_path
from ..paths import sprites_sheets

CELL = 64
ATTRIBUTES = ("body", "bottomwear", "topwear", "hair")
ACTIONS = ("walk", "spellcast", "slash")
DIRECTIONS = ("front", "left", "right")
_ACTION_FIRST_ROW = {"spellcast": 0, "walk": 8, "slash": 12}
_DIRECTION_ROW_OFFSET = {"left": 1, "front": 2, "right": 3}  # rows per animation: up, left, down, right
_FRAME_COLUMNS = {
    "walk": [8, 1, 2, 3, 4, 5, 6, 7],
    "spellcast": [0, 1, 2, 3, 4, 5, 4, 6],
    "slash": [0, 1, 2, 3, 4, 5, 4, 0],
}
NUM_CHARACTERS = 1296
SPLIT_SEED = 423
NUM_TRAIN_CHARACTERS = 1000


def character_attributes(c: int) -> tuple[int, int, int, int]:
    """Character number -> (body, bottomwear, topwear, hair)."""
    return c // 216, (c // 36) % 6, (c // 6) % 6, c % 6


def split_characters() -> tuple[np.ndarray, np.ndarray]:
    """The protocol's (train, test) character numbers: 1000 and 296."""
    state = np.random.get_state()
    try:
        np.random.seed(SPLIT_SEED)
        perm = np.random.permutation(NUM_CHARACTERS)
    finally:
        np.random.set_state(state)
    return perm[:NUM_TRAIN_CHARACTERS], perm[NUM_TRAIN_CHARACTERS:]


def motion_class(action: str, direction: str) -> int:
    """Label in 0..8 = action index * 3 + direction index."""
    return ACTIONS.index(action) * 3 + DIRECTIONS.index(direction)


def _load_rgba(path: Path) -> np.ndarray:
    try:
        with av.open(str(path)) as container:
            frame = next(container.decode(video=0))
            return frame.to_ndarray(format="rgba")
    except (av.FFmpegError, StopIteration, OSError) as exc:
        raise BcdError(f"cannot read sprite sheet {path}: {exc}") from None


class SheetLibrary:
    """Loads the layer sheets once and composites characters from them."""

    def __init__(self, root: str | Path | None = None):
        self.root = Path(root) if root is not None else sprites_sheets()
        if not (self.root / "body" / "0.png").is_file():
            raise BcdError(f"Sprites layer sheets not found under {self.root}")
        self._cache: dict[tuple[str, int], np.ndarray] = {}

    def layer(self, kind: str, index: int) -> np.ndarray:
        key = (kind, index)
        if key not in self._cache:
            self._cache[key] = _load_rgba(self.root / kind / f"{index}.png").astype(np.float32) / 255.0
        return self._cache[key]

    def character_sheet(self, c: int) -> np.ndarray:
        """Composited sheet ``[1344, 832, 3]`` float in [0, 1] of character ``c``."""
        body, bottom, top, hair = character_attributes(c)
        layers = [("body", body), ("bottomwear", bottom), ("topwear", top), ("hair", hair), ("shoes", 1)]
        out = np.zeros(self.layer("body", 0).shape[:2] + (3,), dtype=np.float32)
        for kind, index in layers:
            rgba = self.layer(kind, index)
            alpha = rgba[..., 3:4]
            out = rgba[..., :3] * alpha + out * (1 - alpha)
        return out

    def sequences(self, c: int) -> np.ndarray:
        """The 9 sequences of character ``c``: ``[9, 8, 64, 64, 3]`` uint8, in motion-class order."""
        sheet = self.character_sheet(c)
        out = np.empty((9, 8, CELL, CELL, 3), dtype=np.uint8)
        for action in ACTIONS:
            for direction in DIRECTIONS:
                row = _ACTION_FIRST_ROW[action] + _DIRECTION_ROW_OFFSET[direction]
                for t, col in enumerate(_FRAME_COLUMNS[action]):
                    cell = sheet[row * CELL : (row + 1) * CELL, col * CELL : (col + 1) * CELL]
                    out[motion_class(action, direction), t] = np.round(cell * 255).astype(np.uint8)
        return out


@dataclass
class SpritesSplit:
    """One split: ``videos [S, 8, 64, 64, 3]`` uint8, ``attributes [S, 4]`` int (0-5 each),
    ``motion [S]`` int (0-8), ``character [S]`` int (protocol number)."""

    videos: np.ndarray
    attributes: np.ndarray
    motion: np.ndarray
    character: np.ndarray

    def __len__(self) -> int:
        return len(self.videos)


def build_split(
    split: str, root: str | Path | None = None, cache_dir: str | Path | None = None, progress: bool = False
) -> SpritesSplit:
    """Build (or load from ``cache_dir``) the ``train`` (9000 sequences) or ``test`` (2664) split from
    the sheets in ``root`` (default: ``paths.sprites_sheets()``)."""
    if split not in ("train", "test"):
        raise ValueError("split must be 'train' or 'test'")
    cache = Path(cache_dir) / f"sprites_{split}.npz" if cache_dir else None
    if cache is not None and cache.is_file():
        with np.load(cache) as data:
            return SpritesSplit(data["videos"], data["attributes"], data["motion"], data["character"])
    characters = split_characters()[0 if split == "train" else 1]
    library = SheetLibrary(root)
    videos = np.empty((len(characters) * 9, 8, CELL, CELL, 3), dtype=np.uint8)
    for i, c in enumerate(tqdm(characters, desc=f"sprites {split}", disable=not progress)):
        videos[i * 9 : (i + 1) * 9] = library.sequences(int(c))
    character = np.repeat(characters, 9)
    attributes = np.array([character_attributes(int(c)) for c in character], dtype=np.int64)
    motion = np.tile(np.arange(9), len(characters))
    result = SpritesSplit(videos, attributes, motion, character)
    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(cache, force=True) as tmp:
            np.savez(tmp, videos=videos, attributes=attributes, motion=motion, character=character)
    return result
