"""Does the model fit the video? The quality its file decodes to, measured on the first clip
(decoding in the loop, like x265's ``--psnr``), so that a sprite model handed a face, or a face
model handed a cartoon, does not pass silently."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import torch

from .clips import iter_clips
from .codec import CodecModel, decode_stream
from .evaluation.metrics import psnr_db
from .video import fit_frames, open_video

# below this PSNR at the model's resolution, the model draws something else than the video shows
# (sprites-64 on talking heads: about 8 dB; on its own test split: 29 dB)
MISFIT_PSNR_DB = 15.0


def first_clip_psnr(data: bytes, model: CodecModel, src: str | Path, *, size=None, fps: Fraction | None = None,
                    fit: str = "stretch") -> float:  # fmt: skip
    """PSNR (dB) of the stream's first clip against the source's first frames, both fitted to the
    model's resolution with the stream's fit policy."""
    source = open_video(src, size=size, fps=fps, max_frames=model.cfg.clip_len)
    first = next(iter_clips(source.frames, model.cfg.clip_len))
    decoded = decode_stream(data, model, duration=len(first) / float(source.fps)).video.frames
    reference = fit_frames(torch.from_numpy(first), model.cfg.image_size, fit)
    # a crop stream decodes to the coded square already: fit it as a square
    test = fit_frames(torch.from_numpy(decoded), model.cfg.image_size, "stretch" if fit == "crop" else fit)
    return psnr_db(_to_uint8(reference), _to_uint8(test))


def _to_uint8(frames: torch.Tensor) -> np.ndarray:
    return ((frames.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8).numpy()
