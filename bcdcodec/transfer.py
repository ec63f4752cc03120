"""Motion transfer: the content of one stream decoded with the motion of another, no re-encoding."""

from __future__ import annotations

from .codec import CodecModel, decode_symbols, render_clips
from .symbols import ClipSymbols
from .video import Video


def transfer(
    content_stream: bytes, motion_stream: bytes, model: CodecModel, *, steps: int | None = None, progress: bool = False
) -> Video:
    """Decode clip *i* of ``motion_stream`` with the content latent of clip *min(i, last)* of
    ``content_stream``. The result has the motion stream's frame count and rate, and the content
    stream's geometry (source size and fit policy) and sampler."""
    content_header, content_clips = decode_symbols(content_stream, model)
    motion_header, motion_clips = decode_symbols(motion_stream, model)
    mixed = [
        ClipSymbols(content_clips[min(i, len(content_clips) - 1)].content, clip.motion)
        for i, clip in enumerate(motion_clips)
    ]
    frames = render_clips(mixed, content_header, model, steps=steps, progress=progress, desc="transfer")
    return Video(frames, motion_header.fps)
