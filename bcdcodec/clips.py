"""Cutting a stream of frames into clips (the codec's independent packets)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np


def iter_clips(frames: Iterable[np.ndarray], clip_len: int) -> Iterator[np.ndarray]:
    """Group ``[H, W, 3]`` frames into ``[t, H, W, 3]`` clips of ``clip_len`` frames; the last clip
    holds the remainder (1..clip_len frames). Only one clip is held in memory at a time."""
    chunk: list[np.ndarray] = []
    for frame in frames:
        chunk.append(frame)
        if len(chunk) == clip_len:
            yield np.stack(chunk)
            chunk = []
    if chunk:
        yield np.stack(chunk)
