"""Reading video with PyAV (FFmpeg), streamed frame by frame: frames are ``[H, W, 3]`` uint8 RGB."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from ..errors import VideoError

MAX_SIDE = 16384  # as a stream's header allows (SPEC §2); decoding writes at most 8K pixels a frame
MAX_BYTES_IN_MEMORY = 4 << 30
DEFAULT_FPS = Fraction(25)
ELEMENTARY_FORMATS = {".264": "h264", ".h264": "h264", ".avc": "h264", ".265": "hevc", ".h265": "hevc", ".hevc": "hevc"}
_AV_ERRORS = (av.FFmpegError, ValueError, OSError, UnicodeDecodeError)


@dataclass
class Video:
    """Frames in memory: ``[T, H, W, 3]`` uint8 RGB, and their rate."""

    frames: np.ndarray
    fps: Fraction

    @property
    def width(self) -> int:
        return int(self.frames.shape[2])

    @property
    def height(self) -> int:
        return int(self.frames.shape[1])


@dataclass
class VideoSource:
    """An open video: size, rate, and an iterator over ``[H, W, 3]`` uint8 RGB frames."""

    width: int
    height: int
    fps: Fraction
    frames: Iterator[np.ndarray]
    frame_count_hint: int | None = None  # from the container; may be absent or wrong


def _check_frame_size(width: int, height: int, path: Path) -> None:
    if not (1 <= width <= MAX_SIDE and 1 <= height <= MAX_SIDE):
        raise VideoError(f"{path}: frame size {width}x{height} is outside 1..{MAX_SIDE}")


def _raw_i420_source(path: Path, size, fps, max_frames) -> VideoSource:
    if size is None:
        match = re.search(r"(\d+)x(\d+)", path.name)
        if not match:
            raise VideoError(f"{path}: raw .yuv needs its size (--size WxH or a name like clip_352x288_25fps.yuv)")
        size = (int(match.group(1)), int(match.group(2)))
    if fps is None:
        match = re.search(r"(\d+(?:\.\d+)?)fps", path.name)
        fps = Fraction(match.group(1)).limit_denominator(1001) if match else DEFAULT_FPS
    width, height = size
    _check_frame_size(width, height, path)
    if width % 2 or height % 2:
        raise VideoError(f"{path}: I420 needs an even frame size, got {width}x{height}")
    frame_bytes = width * height * 3 // 2
    total = path.stat().st_size
    if total == 0 or total % frame_bytes:
        raise VideoError(f"{path}: {total} bytes is not a whole number of {width}x{height} I420 frames")
    count = total // frame_bytes if max_frames is None else min(total // frame_bytes, max_frames)

    def frames() -> Iterator[np.ndarray]:
        with open(path, "rb") as f:
            for _ in range(count):
                raw = np.frombuffer(f.read(frame_bytes), dtype=np.uint8).reshape(height * 3 // 2, width)
                yield av.VideoFrame.from_ndarray(raw, format="yuv420p").to_ndarray(format="rgb24")

    return VideoSource(width, height, Fraction(fps), frames(), count)


def _upright(frame) -> np.ndarray:
    """A decoded frame as ``[H, W, 3]`` uint8 RGB, turned as its display matrix says (a phone's
    portrait video is stored on its side with a rotation of 90 or 270 degrees)."""
    picture = frame.to_ndarray(format="rgb24")
    turns = _quarter_turns(frame)
    return np.ascontiguousarray(np.rot90(picture, turns)) if turns else picture


def _quarter_turns(frame) -> int:
    """The frame's display rotation in counter-clockwise quarter turns, 0..3."""
    return (round(getattr(frame, "rotation", 0) or 0) // 90) % 4


def _container_frames(container, decoded, path: Path, first, max_frames) -> Iterator[np.ndarray]:
    try:
        yield _upright(first)
        produced = 1
        for frame in decoded:
            if max_frames is not None and produced >= max_frames:
                break
            if (frame.width, frame.height) != (first.width, first.height):
                raise VideoError(f"{path}: frame size changes mid-stream, which is not supported")
            yield _upright(frame)
            produced += 1
    except _AV_ERRORS as exc:
        raise VideoError(f"cannot read video {path}: {exc}") from None
    finally:
        container.close()


def open_video(
    path: str | Path, *, size: tuple[int, int] | None = None, fps: Fraction | None = None, max_frames: int | None = None
) -> VideoSource:
    """Open any file FFmpeg reads (mp4, mov, mkv, webm, avi, y4m, raw .264/.265) or raw I420
    ``.yuv`` (size from ``size`` or the file name) for streaming; ``fps`` overrides the file's
    rate. The first frame is decoded here, so an unreadable or empty file fails at once."""
    path = Path(path)
    if not path.exists():
        raise VideoError(f"no such video file: {path}")
    if not path.is_file():
        raise VideoError(f"{path} is not a regular file (a folder, device or pipe); give a video file")
    if path.suffix.lower() == ".yuv":
        return _raw_i420_source(path, size, fps, max_frames)
    try:
        container = av.open(str(path), format=ELEMENTARY_FORMATS.get(path.suffix.lower()))
    except _AV_ERRORS as exc:
        raise VideoError(f"cannot read video {path}: {exc}") from None
    try:
        if not container.streams.video:
            raise VideoError(f"{path} has no video stream")
        stream = container.streams.video[0]
        rate = Fraction(fps or stream.average_rate or stream.guessed_rate or DEFAULT_FPS).limit_denominator(1001 * 1000)
        if not 0 < rate <= 1000:
            raise VideoError(f"{path}: frame rate {float(rate):g} is out of range")
        decoded = container.decode(stream)
        first = next(decoded, None)
        if first is None:
            raise VideoError(f"{path} contains no decodable video frames")
        _check_frame_size(first.width, first.height, path)
        width, height = (first.height, first.width) if _quarter_turns(first) % 2 else (first.width, first.height)
        hint = stream.frames or None
    except VideoError:
        container.close()
        raise
    except _AV_ERRORS as exc:
        container.close()
        raise VideoError(f"cannot read video {path}: {exc}") from None
    return VideoSource(width, height, rate, _container_frames(container, decoded, path, first, max_frames), hint)


def read_video(
    path: str | Path, *, size: tuple[int, int] | None = None, fps: Fraction | None = None, max_frames: int | None = None
) -> Video:
    """Decode a whole video into memory (see :func:`open_video`); refuses more than 4 GiB of frames."""
    source = open_video(path, size=size, fps=fps, max_frames=max_frames)
    limit = max(1, MAX_BYTES_IN_MEMORY // (source.width * source.height * 3))
    frames = []
    for frame in source.frames:
        if len(frames) >= limit:
            source.frames.close()
            raise VideoError(f"{path}: more than {MAX_BYTES_IN_MEMORY >> 30} GiB of frames; use --max-frames")
        frames.append(frame)
    return Video(np.stack(frames), source.fps)
