"""Reading and writing video with PyAV (FFmpeg): frames are ``[T, H, W, 3]`` uint8 RGB numpy arrays."""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from ..errors import VideoError
from ..fileio import atomic_path

MAX_SIDE = 8192
MAX_BYTES_IN_MEMORY = 4 << 30
DEFAULT_FPS = Fraction(25)
ELEMENTARY_FORMATS = {".264": "h264", ".h264": "h264", ".avc": "h264", ".265": "hevc", ".h265": "hevc", ".hevc": "hevc"}
MP4_CRF = 12  # visually lossless H.264


@dataclass
class Video:
    frames: np.ndarray  # [T, H, W, 3] uint8 RGB
    fps: Fraction

    @property
    def width(self) -> int:
        return int(self.frames.shape[2])

    @property
    def height(self) -> int:
        return int(self.frames.shape[1])


def _check_size(width: int, height: int, frames: int, path: Path) -> None:
    if not (1 <= width <= MAX_SIDE and 1 <= height <= MAX_SIDE):
        raise VideoError(f"{path}: frame size {width}x{height} is outside 1..{MAX_SIDE}")
    if frames * width * height * 3 > MAX_BYTES_IN_MEMORY:
        raise VideoError(f"{path}: {frames} frames of {width}x{height} exceed {MAX_BYTES_IN_MEMORY >> 30} GiB; use --max-frames")


def _read_raw_i420(path: Path, size: tuple[int, int] | None, fps: Fraction | None, max_frames: int | None) -> Video:
    name = path.name
    if size is None:
        match = re.search(r"(\d+)x(\d+)", name)
        if not match:
            raise VideoError(f"{path}: raw .yuv needs its size (--size WxH or a name like clip_352x288_25fps.yuv)")
        size = (int(match.group(1)), int(match.group(2)))
    if fps is None:
        match = re.search(r"(\d+(?:\.\d+)?)fps", name)
        fps = Fraction(match.group(1)).limit_denominator(1001) if match else DEFAULT_FPS
    width, height = size
    if width % 2 or height % 2:
        raise VideoError(f"{path}: I420 needs an even frame size, got {width}x{height}")
    frame_bytes = width * height * 3 // 2
    total = path.stat().st_size
    if total == 0 or total % frame_bytes:
        raise VideoError(f"{path}: {total} bytes is not a whole number of {width}x{height} I420 frames")
    count = total // frame_bytes if max_frames is None else min(total // frame_bytes, max_frames)
    _check_size(width, height, count, path)
    raw = np.fromfile(path, dtype=np.uint8, count=count * frame_bytes).reshape(count, height * 3 // 2, width)
    frames = np.stack([av.VideoFrame.from_ndarray(f, format="yuv420p").to_ndarray(format="rgb24") for f in raw])
    return Video(frames, fps)


def read_video(path: str | Path, *, size: tuple[int, int] | None = None, fps: Fraction | None = None,
               max_frames: int | None = None) -> Video:
    """Decode any file FFmpeg reads (mp4, mov, mkv, webm, avi, y4m, raw .264/.265) or raw I420
    ``.yuv`` (size from ``size`` or the file name) into RGB frames. ``fps`` overrides the file's rate."""
    path = Path(path)
    if not path.is_file():
        raise VideoError(f"no such video file: {path}")
    if path.suffix.lower() == ".yuv":
        return _read_raw_i420(path, size, fps, max_frames)
    frames: list[np.ndarray] = []
    try:
        with av.open(str(path), format=ELEMENTARY_FORMATS.get(path.suffix.lower())) as container:
            if not container.streams.video:
                raise VideoError(f"{path} has no video stream")
            stream = container.streams.video[0]
            rate = fps or stream.average_rate or stream.guessed_rate or DEFAULT_FPS
            for frame in container.decode(stream):
                if not frames:
                    _check_size(frame.width, frame.height, 1, path)
                    frame_bytes = frame.width * frame.height * 3
                elif len(frames) * frame_bytes > MAX_BYTES_IN_MEMORY:
                    _check_size(frame.width, frame.height, len(frames) + 1, path)
                frames.append(frame.to_ndarray(format="rgb24"))
                if max_frames is not None and len(frames) >= max_frames:
                    break
    except VideoError:
        raise
    except (av.FFmpegError, ValueError, OSError, UnicodeDecodeError) as exc:
        raise VideoError(f"cannot read video {path}: {exc}") from None
    if not frames:
        raise VideoError(f"{path} contains no decodable video frames")
    if any(f.shape != frames[0].shape for f in frames):
        raise VideoError(f"{path}: frame size changes mid-stream, which is not supported")
    rate = Fraction(rate).limit_denominator(1001 * 1000)
    if not 0 < rate <= 1000:
        raise VideoError(f"{path}: frame rate {float(rate):g} is out of range")
    return Video(np.stack(frames), rate)


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
                    _encode_with(container, "libx264", video, "yuv420p" if even else "yuv444p",
                                 {"crf": str(MP4_CRF), "preset": "medium"})
    except (av.FFmpegError, OSError) as exc:
        raise VideoError(f"cannot write {path}: {exc}") from None
