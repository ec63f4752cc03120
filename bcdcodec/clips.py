"""Cutting a stream of frames into clips (the codec's independent packets), as a model sees them."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator

import numpy as np
import torch
from tqdm import tqdm

from .bitstream import MAX_FRAMES
from .errors import VideoError
from .video import fit_frames


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


def fitted_clips(source, clip_len: int, size: int, fit: str, progress: bool) -> Iterator[torch.Tensor]:
    """A :class:`video.VideoSource`'s clips as a model sees them: ``[t, 3, size, size]`` float in
    [-1, 1] (``fit``: the fit policy), one at a time, with a progress bar. Raises
    :class:`VideoError` past ``MAX_FRAMES`` frames, or when the source has none."""
    total = -(-source.frame_count_hint // clip_len) if source.frame_count_hint else None
    frame_count = 0
    clips = iter_clips(source.frames, clip_len)
    for clip in tqdm(clips, total=total, desc="encode", unit="clip", disable=not progress, file=sys.stderr):
        frame_count += len(clip)
        if frame_count > MAX_FRAMES:
            raise VideoError(f"more than {MAX_FRAMES} frames in one stream")
        yield fit_frames(torch.from_numpy(clip), size, fit)
    if not frame_count:
        raise VideoError("no frames to encode")
