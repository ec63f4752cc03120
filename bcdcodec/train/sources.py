"""Where training clips come from: the Sprites split, procedural sprites, or a folder of videos."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from ..data.folder import VideoFolderClips
from ..data.procedural import procedural_split
from ..data.sprites import SpritesSplit, build_split
from .presets import TrainConfig

CACHE_DIR = Path(__file__).resolve().parents[2] / "cache" / "sprites"


def _to_model(videos: np.ndarray) -> torch.Tensor:
    """``[B, T, H, W, 3]`` uint8 -> ``[B, T, 3, H, W]`` float in ``[-1, 1]``."""
    return torch.from_numpy(videos).permute(0, 1, 4, 2, 3).float() / 127.5 - 1.0


class SplitSource:
    def __init__(self, train: SpritesSplit, validation: SpritesSplit):
        self.train, self.validation = train, validation

    def train_batch(self, batch: int, rng: np.random.Generator) -> torch.Tensor:
        return _to_model(self.train.videos[rng.integers(0, len(self.train), size=batch)])

    def validation_clips(self, count: int) -> torch.Tensor:
        picks = np.random.default_rng(0).choice(len(self.validation), size=min(count, len(self.validation)), replace=False)
        return _to_model(self.validation.videos[np.sort(picks)])


class FolderSource:
    def __init__(self, clips: VideoFolderClips):
        self.clips = clips

    def train_batch(self, batch: int, rng: np.random.Generator) -> torch.Tensor:
        return self.clips.sample(batch, rng)

    def validation_clips(self, count: int) -> torch.Tensor:
        return self.clips.sample(count, np.random.default_rng(0))


def clip_source(cfg: TrainConfig):
    """The data named by ``cfg.data``; Sprites validation clips come from the test split (for
    monitoring only: no checkpoint is selected on them)."""
    if cfg.data == "sprites":
        return SplitSource(build_split("train", cache_dir=CACHE_DIR), build_split("test", cache_dir=CACHE_DIR))
    if cfg.data == "procedural":
        return SplitSource(procedural_split(4096, seed=cfg.seed), procedural_split(256, seed=cfg.seed + 1))
    return FolderSource(VideoFolderClips(cfg.data, cfg.model.clip_len, cfg.model.image_size, cfg.fit))
