"""Motion transfer: the content of one stream decoded with the motion of another, no re-encoding."""

from __future__ import annotations

import sys

import numpy as np
from tqdm import tqdm

from .api import CodecModel, decode_symbols
from .coding.ans import ClipSymbols
from .diffusion import clip_noise
from .settings import SamplerSettings
from .video import Video, unfit_frames


def transfer(content_stream: bytes, motion_stream: bytes, model: CodecModel, *, steps: int | None = None,
             progress: bool = False) -> Video:
    """Decode clip *i* of ``motion_stream`` with the content latent of clip *min(i, last)* of
    ``content_stream``. The result has the motion stream's frame count and rate, and the content
    stream's geometry (source size and fit policy) and sampler."""
    content_header, content_clips = decode_symbols(content_stream, model)
    motion_header, motion_clips = decode_symbols(motion_stream, model)
    sampler = content_header.sampler
    settings = SamplerSettings(sampler.kind, steps or sampler.steps, sampler.seed)
    size = model.cfg.image_size
    noise = clip_noise((3, size, size), settings.seed)
    out = []
    for i, motion in enumerate(tqdm(motion_clips, desc="transfer", unit="clip", disable=not progress, file=sys.stderr)):
        mixed = ClipSymbols(content_clips[min(i, len(content_clips) - 1)].content, motion.motion)
        frames = model.net.decode_symbols(mixed, settings, noise)
        out.append(unfit_frames(frames, content_header.source_width, content_header.source_height,
                                content_header.fit).numpy())
    return Video(np.concatenate(out), motion_header.fps)
