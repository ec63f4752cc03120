"""Resize/crop policy between a source frame size and the model's square resolution.

- ``stretch`` (default): resize the whole frame to S x S, ignoring aspect ratio; decoding
  resizes back to the source size.
- ``crop``: take the centred square of side min(W, H), resize it to S x S; decoding returns that
  square at its source size (the cropped-away borders are not coded).
- ``pad``: letterbox the frame into a square (black bars), resize to S x S; decoding removes the
  bars and returns the source size.
- ``fill`` (talking heads): code the centred square as ``crop`` does; decoding returns the
  source size, the decoded square sharp in the middle and the uncoded sides filled with a
  blurred stretch of the decoded frame (no bits are spent on them).

The policy is recorded in the stream header.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np
import torch
import torch.nn.functional as F

from ..errors import InvalidArgumentError
from ..settings import FIT_POLICIES


def resize(x: torch.Tensor, h: int, w: int) -> torch.Tensor:
    """``[..., C, H, W]`` (float, or uint8 channels-last) -> ``[..., C, h, w]``: bilinear, antialiased
    when shrinking."""
    if x.shape[-2:] == (h, w):
        return x
    shrinking = h < x.shape[-2] or w < x.shape[-1]
    return F.interpolate(x, size=(h, w), mode="bilinear", align_corners=False, antialias=shrinking)


def to_float(frames_u8: torch.Tensor) -> torch.Tensor:
    """``[T, H, W, 3]`` uint8 -> ``[T, 3, H, W]`` float in ``[-1, 1]``."""
    return frames_u8.permute(0, 3, 1, 2).float() / 127.5 - 1.0


def videos_to_float(videos_u8) -> torch.Tensor:
    """Batches of clips ``[B, T, H, W, 3]`` uint8 (numpy) -> ``[B, T, 3, H, W]`` float in ``[-1, 1]``."""
    return torch.from_numpy(videos_u8).permute(0, 1, 4, 2, 3).float() / 127.5 - 1.0


def to_uint8(frames: torch.Tensor) -> torch.Tensor:
    """``[T, 3, H, W]`` float in ``[-1, 1]`` -> ``[T, H, W, 3]`` uint8."""
    return ((frames.clamp(-1, 1) + 1.0) * 127.5).round().to(torch.uint8).permute(0, 2, 3, 1).contiguous()


def fit_frames(frames_u8: torch.Tensor, size: int, policy: str = "stretch") -> torch.Tensor:
    """Source frames ``[T, H, W, 3]`` uint8 -> model frames ``[T, 3, size, size]`` float in ``[-1, 1]``."""
    if policy not in FIT_POLICIES:
        raise InvalidArgumentError(f"unknown fit policy {policy!r}; choose from {', '.join(FIT_POLICIES)}")
    x = to_float(frames_u8)
    h, w = x.shape[-2:]
    if policy in ("crop", "fill"):
        side = min(h, w)
        top, left = (h - side) // 2, (w - side) // 2
        x = x[..., top : top + side, left : left + side]
    elif policy == "pad":
        side = max(h, w)
        top, left = (side - h) // 2, (side - w) // 2
        x = F.pad(x, (left, side - w - left, top, side - h - top), value=-1.0)
    return resize(x, size, size)


def unfit_frames(frames: torch.Tensor, width: int, height: int, policy: str = "stretch") -> torch.Tensor:
    """Model frames ``[T, 3, S, S]`` in ``[-1, 1]`` -> output frames ``[T, H', W', 3]`` uint8 at the
    source size (for ``crop``: the size of the coded square). The frames are rounded to uint8 at
    the model's size and then resized in uint8 (channels-last), which is an order of magnitude
    faster than resizing floats at the output size. Memory follows the output: no step holds a
    frame larger than the output's side squared (``pad`` resizes rows and columns apart)."""
    x = to_uint8(frames).permute(0, 3, 1, 2)  # [T, 3, S, S] uint8, channels-last in memory
    if policy == "stretch":
        x = resize(x, height, width)
    elif policy == "fill":
        x = _fill(x, width, height)
    elif policy == "crop":
        side = min(width, height)
        x = resize(x, side, side)
    else:
        x = _unpad(x, width, height)
    return x.permute(0, 2, 3, 1).contiguous()


CHUNK_PIXELS = 1 << 24  # output pixels per chunk of :func:`iter_unfit` (at least one frame)


def frames_per_chunk(width: int, height: int) -> int:
    """How many ``width`` x ``height`` frames make one chunk of about ``CHUNK_PIXELS`` (>= 1)."""
    return max(1, CHUNK_PIXELS // max(1, width * height))


def iter_unfit(frames: torch.Tensor, width: int, height: int, policy: str = "stretch") -> Iterator[np.ndarray]:
    """:func:`unfit_frames` a few frames at a time: yields ``[t, H', W', 3]`` uint8 arrays of about
    ``CHUNK_PIXELS`` pixels each, so that memory follows the output frame, not the clip length."""
    step = frames_per_chunk(width, height)
    for start in range(0, frames.shape[0], step):
        yield unfit_frames(frames[start : start + step], width, height, policy).numpy()


def iter_repeat(frame: np.ndarray, count: int) -> Iterator[np.ndarray]:
    """``frame`` ``[H, W, 3]`` repeated ``count`` times, in chunks of about ``CHUNK_PIXELS`` pixels."""
    step = frames_per_chunk(frame.shape[1], frame.shape[0])
    for start in range(0, count, step):
        yield np.repeat(frame[None], min(step, count - start), axis=0)


def iter_output(
    clips: Iterable[tuple[int, torch.Tensor | None]], width: int, height: int, policy: str, shape: tuple[int, ...]
) -> Iterator[np.ndarray]:
    """Decoded clips ``(frame count, frames [t, 3, S, S] float in [-1, 1], or None when lost)`` ->
    output chunks ``[t', H', W', 3]`` uint8 (:func:`iter_unfit`). A lost clip repeats the last
    frame before it, mid-grey at the start; ``shape`` is the output frame's ``(H', W', 3)``."""
    previous = np.full(shape, 128, np.uint8)
    for count, frames in clips:
        chunks = iter_repeat(previous, count) if frames is None else iter_unfit(frames, width, height, policy)
        for out in chunks:
            previous = out[-1]
            yield out


def _unpad(x: torch.Tensor, width: int, height: int) -> torch.Tensor:
    """Decoded letterboxed squares ``[T, 3, S, S]`` uint8 -> ``[T, 3, height, width]`` uint8: the
    square at side max(W, H) without its bars. Rows and columns are resized one after the other
    and cropped in between, so a 16384 x 1 output never holds a 16384 x 16384 frame."""
    side = max(width, height)
    top, left = (side - height) // 2, (side - width) // 2
    x = resize(x, side, x.shape[-1])[..., top : top + height, :]
    return resize(x.contiguous(memory_format=torch.channels_last), height, side)[..., left : left + width]


FILL_BLUR = 16  # the fill around a ``fill`` square is the frame seen at 1/16 of its size


def _fill(x: torch.Tensor, width: int, height: int) -> torch.Tensor:
    """Decoded squares ``[T, 3, S, S]`` uint8 -> ``[T, 3, height, width]`` uint8: the square at
    side min(W, H) in the middle, the sides a blurred stretch of it."""
    side = min(width, height)
    square = resize(x, side, side)
    if (width, height) == (side, side):
        return square
    small = resize(x.float(), max(1, height // FILL_BLUR), max(1, width // FILL_BLUR))
    small = small.round().clamp(0, 255).to(torch.uint8).contiguous(memory_format=torch.channels_last)
    out = resize(small, height, width)  # in uint8: an 8K float frame would take 400 MB
    top, left = (height - side) // 2, (width - side) // 2
    out[..., top : top + side, left : left + side] = square
    return out
