"""Motion transfer: the content of one stream decoded with the motion of another, no re-encoding."""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from .bitstream import SequenceHeader
from .codec import CodecModel
from .decoding import decode_symbols, render_clips
from .flowcodec import FlowCodec, flow_transfer
from .symbols import ClipSymbols
from .video import Video


def mix(content_stream: bytes, motion_stream: bytes, model: CodecModel) -> tuple[SequenceHeader, list, Fraction]:
    """The symbols of a transfer: clip *i* of ``motion_stream`` with the content of clip
    *min(i, last)* of ``content_stream``. Returns the content stream's header (geometry and
    sampler), the mixed clips and the motion stream's frame rate."""
    content_header, content_clips = decode_symbols(content_stream, model)
    motion_header, motion_clips = decode_symbols(motion_stream, model)
    mixed = [
        ClipSymbols(content_clips[min(i, len(content_clips) - 1)].content, clip.motion)
        for i, clip in enumerate(motion_clips)
    ]
    return content_header, mixed, motion_header.fps


def transfer(
    content_stream: bytes,
    motion_stream: bytes,
    model: CodecModel | FlowCodec,
    *,
    steps: int | None = None,
    progress: bool = False,
) -> Video:
    """Decode clip *i* of ``motion_stream`` with the content latent of clip *min(i, last)* of
    ``content_stream``. The result has the motion stream's frame count and rate, and the content
    stream's geometry (source size and fit policy) and sampler. The key-frame codec: see
    :func:`flowcodec.flow_transfer` (``steps`` does not apply)."""
    if isinstance(model, FlowCodec):
        _, fps, chunks = flow_transfer(content_stream, motion_stream, model)
        return Video(np.concatenate(list(chunks)), fps)
    header, mixed, fps = mix(content_stream, motion_stream, model)
    return Video(render_clips(mixed, header, model, steps=steps, progress=progress, desc="transfer"), fps)
