"""Clips cut from a folder of videos (any file PyAV reads), fitted to the model's resolution."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from ..errors import VideoError
from ..video import fit_frames, open_video

VIDEO_SUFFIXES = {".mp4", ".mov", ".mkv", ".webm", ".avi", ".y4m", ".264", ".h264", ".265", ".hevc"}


class VideoFolderClips:
    """Every video under ``root`` (recursively), decoded once and kept at ``size`` x ``size`` uint8.

    ``sample(batch, generator)`` draws random clips ``[B, clip_len, 3, size, size]`` float in
    ``[-1, 1]``. Videos shorter than ``clip_len`` frames are skipped.
    """

    def __init__(self, root: str | Path, clip_len: int, size: int, fit: str = "crop", max_frames: int | None = None):
        self.clip_len = clip_len
        self.videos: list[np.ndarray] = []  # each [T, 3, size, size] uint8
        self.paths: list[Path] = []
        for path in sorted(Path(root).rglob("*")):
            if path.suffix.lower() not in VIDEO_SUFFIXES:
                continue
            try:
                source = open_video(path, max_frames=max_frames)
                chunks = [fit_frames(torch.from_numpy(f[None]), size, fit) for f in source.frames]
            except VideoError:
                continue
            if len(chunks) >= clip_len:
                frames = torch.cat(chunks)
                self.videos.append(((frames + 1) * 127.5).round().to(torch.uint8).numpy())
                self.paths.append(path)
        if not self.videos:
            raise VideoError(f"no readable video of at least {clip_len} frames under {root}")
        lengths = np.array([len(v) - clip_len + 1 for v in self.videos])
        self._weights = lengths / lengths.sum()

    def __len__(self) -> int:
        return len(self.videos)

    def sample(self, batch: int, generator: np.random.Generator) -> torch.Tensor:
        picks = generator.choice(len(self.videos), size=batch, p=self._weights)
        clips = []
        for i in picks:
            start = generator.integers(0, len(self.videos[i]) - self.clip_len + 1)
            clips.append(self.videos[i][start : start + self.clip_len])
        return torch.from_numpy(np.stack(clips)).float() / 127.5 - 1.0
