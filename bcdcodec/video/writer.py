"""Writing video with PyAV: H.264 (.mp4/.mkv/.mov), y4m, or a folder of PNG frames, atomically."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np

from ..errors import InvalidArgumentError, VideoError
from ..fileio import atomic_path
from .reader import Video

MP4_CRF = 12  # visually lossless H.264
MP4_PRESET = "veryfast"  # 2x the speed of "medium" at 720p; the files are larger
# above this many pixels a frame, x264 keeps no frames in flight (no lookahead, no B-frames, threads
# over slices), which keeps an 8K decode within 2 GB (docs/usage.md has the figures)
LARGE_FRAME_PIXELS = 3840 * 2160
LARGE_FRAME_X264 = "rc-lookahead=0:sync-lookahead=0:bframes=0:sliced-threads=1"


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
    raise InvalidArgumentError(f"cannot write {path}: use .mp4, .mkv, .mov, .y4m or a folder name for PNG frames")


class VideoWriter:
    """Writes frames as they come, chunk by chunk, to a temporary name that replaces ``path`` only
    when the writer closes without an error (H.264 at CRF 12 for .mp4/.mkv/.mov, 4:4:4 y4m, or a
    folder of PNG frames). Memory does not grow with the frame count.

        with VideoWriter(path, fps, force) as writer:
            writer.write(frames)  # [t, H, W, 3] uint8, every chunk the same H and W
    """

    def __init__(self, path: str | Path, fps, force: bool = False):
        self.path, self.fps, self.force = Path(path), fps, force
        self.kind = output_kind(self.path)
        self.count = 0
        self._atomic = self._tmp = self._container = self._stream = self._png = None
        self._size: tuple[int, int] | None = None

    def __enter__(self) -> VideoWriter:
        self._atomic = atomic_path(self.path, self.force, is_dir=self.kind == "png")
        self._tmp = self._atomic.__enter__()
        return self

    def write(self, frames: np.ndarray) -> None:
        if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8:
            raise VideoError("frames must be a [T, H, W, 3] uint8 array")
        if self._size is None:
            self._open(frames.shape[2], frames.shape[1])
        elif frames.shape[1:3] != (self._size[1], self._size[0]):
            raise VideoError("all frames of a video must have the same size")
        try:
            for rgb in frames:
                self._write_frame(np.ascontiguousarray(rgb))
        except (av.FFmpegError, OSError) as exc:
            raise VideoError(f"cannot write {self.path}: {exc}") from None

    def _open(self, width: int, height: int) -> None:
        self._size = (width, height)
        try:
            if self.kind == "png":
                self._png = av.CodecContext.create("png", "w")
                self._png.width, self._png.height, self._png.pix_fmt = width, height, "rgb24"
                return
            if self.kind == "y4m":
                self._container = av.open(str(self._tmp), "w", format="yuv4mpegpipe")
                codec, pix_fmt, options = "rawvideo", "yuv444p", {}
            else:
                fmt = {".mkv": "matroska", ".mov": "mov"}.get(self.path.suffix.lower(), "mp4")
                self._container = av.open(str(self._tmp), "w", format=fmt)
                even = width % 2 == 0 and height % 2 == 0
                codec, pix_fmt = "libx264", "yuv420p" if even else "yuv444p"
                options = {"crf": str(MP4_CRF), "preset": MP4_PRESET}
                if width * height > LARGE_FRAME_PIXELS:
                    options["x264-params"] = LARGE_FRAME_X264
            self._stream = self._container.add_stream(codec, rate=self.fps, options=options)
            self._stream.width, self._stream.height, self._stream.pix_fmt = width, height, pix_fmt
        except (av.FFmpegError, OSError) as exc:
            raise VideoError(f"cannot write {self.path}: {exc}") from None

    def _write_frame(self, rgb: np.ndarray) -> None:
        frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
        if self._png is not None:
            packets = self._png.encode(frame)
            (self._tmp / f"{self.count:06d}.png").write_bytes(b"".join(bytes(p) for p in packets))
        else:
            frame = frame.reformat(format=self._stream.pix_fmt)
            frame.pts = self.count
            self._container.mux(self._stream.encode(frame))
        self.count += 1

    def __exit__(self, kind, error, traceback) -> None:
        try:
            if self._container is not None:
                if error is None:
                    try:
                        self._container.mux(self._stream.encode(None))
                    except (av.FFmpegError, OSError) as exc:
                        error = VideoError(f"cannot write {self.path}: {exc}")
                self._container.close()
            if error is None and not self.count:
                error = VideoError("no frames to write")
        finally:
            if error is None:
                self._atomic.__exit__(None, None, None)
            else:
                self._atomic.__exit__(type(error), error, None)
        if error is not None and kind is None:
            raise error


def write_video(video: Video, path: str | Path, force: bool = False) -> None:
    """Write frames atomically as H.264 (visually lossless, CRF 12), y4m (4:4:4) or PNG frames."""
    with VideoWriter(path, video.fps, force) as writer:
        writer.write(video.frames)
