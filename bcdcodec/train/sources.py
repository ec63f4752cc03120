"""Where training clips come from: the Sprites split, procedural sprites, talking heads, or a
folder of videos."""

from __future__ import annotations

import numpy as np
import torch

from ..data.faces import FaceClips, augment
from ..data.folder import VideoFolderClips
from ..data.procedural import procedural_split
from ..data.sprites import SpritesSplit, build_split
from ..errors import InvalidArgumentError
from ..paths import cache_dir
from ..video.fit import videos_to_float
from .presets import TrainConfig


class SplitSource:
    def __init__(self, train: SpritesSplit, validation: SpritesSplit):
        self.train, self.validation = train, validation
        order = np.argsort(train.character, kind="stable")
        characters, starts = np.unique(train.character[order], return_index=True)
        self._by_character = dict(zip(characters.tolist(), np.split(order, starts[1:])))

    def train_batch(self, batch: int, rng: np.random.Generator) -> torch.Tensor:
        return videos_to_float(self.train.videos[rng.integers(0, len(self.train), size=batch)])

    def train_pairs(self, batch: int, rng: np.random.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        """``batch`` clips and, for each, another sequence of the same character (its content
        partner): ``([B, T, 3, S, S], [B, T, 3, S, S])`` in ``[-1, 1]``."""
        picks = rng.integers(0, len(self.train), size=batch)
        partners = []
        for i in picks:
            same = self._by_character[int(self.train.character[i])]
            others = same[same != i]
            partners.append(int(rng.choice(others)) if len(others) else int(i))
        return videos_to_float(self.train.videos[picks]), videos_to_float(self.train.videos[np.array(partners)])

    def validation_clips(self, count: int) -> torch.Tensor:
        picks = np.random.default_rng(0).choice(
            len(self.validation), size=min(count, len(self.validation)), replace=False
        )
        return videos_to_float(self.validation.videos[np.sort(picks)])


class FolderSource:
    def __init__(self, clips: VideoFolderClips):
        self.clips = clips

    def train_batch(self, batch: int, rng: np.random.Generator) -> torch.Tensor:
        return self.clips.sample(batch, rng)

    def train_pairs(self, batch: int, rng: np.random.Generator):
        raise InvalidArgumentError("content partners need labelled data (sprites or procedural), not a video folder")

    def validation_clips(self, count: int) -> torch.Tensor:
        return self.clips.sample(count, np.random.default_rng(0))


class FaceSource:
    """Talking heads (``data: talking-heads``): windows of the train people's videos, content
    partners from the same video at least ``PARTNER_GAP`` frames away, augmented alike;
    validation windows from the dev people."""

    PARTNER_GAP = 50  # 2 s at 25 fps: content cannot carry the pose of the frames it drives

    def __init__(self, train: FaceClips, dev: FaceClips, clip_len: int):
        self.train, self.dev, self.clip_len = train, dev, clip_len

    def train_batch(self, batch: int, rng: np.random.Generator) -> torch.Tensor:
        clips = videos_to_float(self.train.sample(batch, self.clip_len, rng))
        return augment(clips, None, rng)[0]

    def train_pairs(self, batch: int, rng: np.random.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        clips, partners = self.train.sample(batch, self.clip_len, rng, partner_gap=self.PARTNER_GAP)
        return augment(videos_to_float(clips), videos_to_float(partners), rng)

    def validation_clips(self, count: int) -> torch.Tensor:
        return videos_to_float(self.dev.sample(count, self.clip_len, np.random.default_rng(0)))


def clip_source(cfg: TrainConfig):
    """The data named by ``cfg.data``; Sprites validation clips come from the test split (for
    monitoring only: no checkpoint is selected on them)."""
    if cfg.data == "sprites":
        cache = cache_dir("sprites")
        return SplitSource(build_split("train", cache_dir=cache), build_split("test", cache_dir=cache))
    if cfg.data == "talking-heads":
        size = cfg.model.image_size
        return FaceSource(FaceClips.load("train", size), FaceClips.load("dev", size), cfg.model.clip_len)
    if cfg.data == "procedural":
        return SplitSource(procedural_split(4096, seed=cfg.seed), procedural_split(256, seed=cfg.seed + 1))
    return FolderSource(VideoFolderClips(cfg.data, cfg.model.clip_len, cfg.model.image_size, cfg.fit))
