"""Writing video with PyAV: H.264 (.mp4/.mkv/.mov), y4m, or a folder of PNG frames, atomically."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np

from ..errors import VideoError
from ..fileio import atomic_path
from .reader import Video

MP4_CRF = 12  # visually lossless H.264


def _encode_with(container, codec: str, video: Video, pix_fmt: str, options: dict) -> None:
    stream = container.add_stream(codec, rate=video.fps, options=options)
    stream.width, stream.height, stream.pix_fmt = video.width, video.height, pix_fmt
    for i, rgb in enumerate(video.frames):
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24").reformat(format=pix_fmt)
        frame.pts = i
        container.mux(stream.encode(frame))
    container.mux(stream.encode(None))


def _write_png_folder(folder: Path, video: Video) -> None:
    codec = av.CodecContext.create("png", "w")
    codec.width, codec.height, codec.pix_fmt = video.width, video.height, "rgb24"
    for i, rgb in enumerate(video.frames):
        packets = codec.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24"))
        (folder / f"{i:06d}.png").write_bytes(b"".join(bytes(p) for p in packets))


def output_kind(path: str | Path) -> str:
    """``mp4`` (also .mkv/.mov), ``y4m`` or ``png`` (a folder: no suffix, or an existing folder)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in (".mp4", ".mkv", ".mov"):
        return "mp4"
    if suffix == ".y4m":
        return "y4m"
    if suffix == "" or path.is_dir():
        return "png"
    raise VideoError(f"cannot write {path}: use .mp4, .mkv, .mov, .y4m or a folder name for PNG frames")


def write_video(video: Video, path: str | Path, force: bool = False) -> None:
    """Write frames atomically as H.264 (visually lossless, CRF 12), y4m (4:4:4) or PNG frames."""
    path = Path(path)
    kind = output_kind(path)
    if video.frames.ndim != 4 or video.frames.shape[-1] != 3 or video.frames.dtype != np.uint8 or not len(video.frames):
        raise VideoError("frames must be a non-empty [T, H, W, 3] uint8 array")
    try:
        with atomic_path(path, force, is_dir=kind == "png") as tmp:
            if kind == "png":
                _write_png_folder(tmp, video)
            elif kind == "y4m":
                with av.open(str(tmp), "w", format="yuv4mpegpipe") as container:
                    _encode_with(container, "rawvideo", video, "yuv444p", {})
            else:
                even = video.width % 2 == 0 and video.height % 2 == 0
                fmt = {".mkv": "matroska", ".mov": "mov"}.get(path.suffix.lower(), "mp4")
                with av.open(str(tmp), "w", format=fmt) as container:
                    _encode_with(
                        container,
                        "libx264",
                        video,
                        "yuv420p" if even else "yuv444p",
                        {"crf": str(MP4_CRF), "preset": "medium"},
                    )
    except (av.FFmpegError, OSError) as exc:
        raise VideoError(f"cannot write {path}: {exc}") from None
