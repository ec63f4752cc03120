"""Python API: load a model, compress frames to .bcd bytes, decompress them back.

    >>> from bcdcodec import api
    >>> model = api.load_model("sprites-64")             # a bundled name, or a checkpoint path
    >>> data = api.compress(frames, model, fps=25)        # frames: [T, H, W, 3] uint8
    >>> video = api.decompress(data, model)               # video.frames [T, H, W, 3] uint8, video.fps

Files: :func:`compress_file` and :func:`decompress_file`. Motion of one stream on the content of
another: :func:`transfer`; new motion from the prior: :func:`generate`.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

from .bitstream import stream_info
from .codec import CodecModel, attach_prior, compress, encode_source, load_model, with_bundled_prior
from .decoding import (
    Decoded,
    WrittenVideo,
    decode_stream,
    decode_symbols,
    decompress,
    iter_decoded,
    plan_decode,
    write_rendered,
)
from .errors import BcdError, InvalidArgumentError, StreamError
from .fileio import check_writable, read_stream_file, write_bytes_atomic
from .flowcodec import FlowCodec
from .generate import generate
from .packing import DEFAULT_GOP_SECONDS, DEFAULT_SCENE_CUT
from .ratecontrol import encode_to_rate
from .settings import SamplerSettings
from .transfer import transfer
from .video import Video, open_video


def compress_file(
    src: str | Path,
    dst: str | Path,
    model: CodecModel | FlowCodec,
    *,
    force: bool = False,
    fit: str = "stretch",
    sampler: SamplerSettings | None = None,
    size: tuple[int, int] | None = None,
    fps: Fraction | None = None,
    max_frames: int | None = None,
    progress: bool = False,
    motion_prior: bool = False,
    gop_seconds: float = DEFAULT_GOP_SECONDS,
    scene_cut: float | None = DEFAULT_SCENE_CUT,
    probe=None,
    point: int | None = None,
    target_kbps: float | None = None,
    refine_steps: int = 0,
) -> bytes:
    """Stream a video file through the encoder (one clip in memory at a time) and write the .bcd
    atomically. Returns the stream. ``probe``: see :func:`codec.encode_source`. ``point``: the
    operating point (default: the model's top one); ``target_kbps``: choose the operating point
    and GOP length that land the whole file within 10 % of it instead (see :mod:`ratecontrol`;
    ``point`` and ``gop_seconds`` are then not used). ``refine_steps``: fit each GOP's content to
    its frames (:mod:`refine`); not with ``target_kbps``, which chooses among unrefined files.
    The key-frame codec (a :class:`FlowCodec` model) takes ``fit``, ``gop_seconds``, ``point`` and
    ``target_kbps`` (:func:`ratecontrol.flow_encode_to_rate`); the other options are the diffusion
    models'."""
    if target_kbps is not None and refine_steps:
        raise InvalidArgumentError("content refinement works at a chosen quality, not with a target bitrate")
    check_writable(Path(dst), force, inputs=[src])
    source = open_video(src, size=size, fps=fps, max_frames=max_frames)
    if target_kbps is not None:
        data = encode_to_rate(
            source, model, target_kbps, fit=fit, sampler=sampler, progress=progress,
            motion_prior=motion_prior, scene_cut=scene_cut, probe=probe,
        ).data  # fmt: skip
    else:
        data = encode_source(
            source, model, fit, sampler, progress, motion_prior, gop_seconds, scene_cut, probe, point, refine_steps
        )
    write_bytes_atomic(dst, data, force, inputs=[src])
    return data


def decompress_file(
    src: str | Path,
    dst: str | Path,
    model: CodecModel | None = None,
    *,
    force: bool = False,
    steps: int | None = None,
    progress: bool = False,
    start: float = 0.0,
    duration: float | None = None,
    conceal: bool = False,
) -> WrittenVideo:
    """Decode a .bcd file (from ``start`` seconds for ``duration``; ``conceal`` damaged GOPs) and
    write the video (.mp4/.mkv/.mov, .y4m, or a PNG folder) atomically, clip by clip: memory does
    not grow with the length of the video."""
    plan = plan_decode(read_stream_file(src), model, start, duration, conceal)
    lost: list[tuple[float, float]] = []
    chunks = iter_decoded(plan, steps=steps, progress=progress, lost=lost)
    written = write_rendered(chunks, plan.header, dst, plan.header.fps, force)
    written.lost = lost
    return written


__all__ = [
    "BcdError",
    "CodecModel",
    "Decoded",
    "FlowCodec",
    "SamplerSettings",
    "StreamError",
    "Video",
    "WrittenVideo",
    "attach_prior",
    "compress",
    "compress_file",
    "decode_stream",
    "decode_symbols",
    "decompress",
    "decompress_file",
    "generate",
    "load_model",
    "stream_info",
    "transfer",
    "with_bundled_prior",
]
