"""Classical anchors through PyAV (no ffmpeg binary): libx264, libx265, libsvtav1, libvpx-vp9.

Each sequence is encoded as one GOP into an elementary stream without a container; the bytes counted
are every packet the decoder is fed (parameter sets included), after the configured bitstream filter
removed what a decoder does not need (x264's SEI, AV1 temporal delimiters). The packets are decoded
back with PyAV to RGB for measurement.
"""

from __future__ import annotations

import dataclasses
import fractions
import io
import os
import re
import tempfile
from dataclasses import dataclass, field

import av
import numpy as np
from av.bitstream import BitStreamFilterContext

from ..errors import InvalidArgumentError


@dataclass(frozen=True)
class ClassicalCodec:
    """One classical encoder configuration; ``quality_values`` sweep its rate knob (``quality_option``)
    from the lowest rate upward."""

    name: str  # label in results, e.g. "x264-420"
    encoder: str  # PyAV/FFmpeg encoder name
    raw_format: str  # muxer whose stream type the bitstream filter needs
    decoder: str
    pix_fmt: str
    quality_option: str  # "crf"
    quality_values: tuple[int, ...]
    options: dict = field(default_factory=dict)
    bitstream_filter: str | None = None

    def settings(self) -> dict:
        return {
            "encoder": self.encoder,
            "decoder": self.decoder,
            "pix_fmt": self.pix_fmt,
            "rate_option": self.quality_option,
            "rate_values": list(self.quality_values),
            "options": dict(self.options),
            "bitstream_filter": self.bitstream_filter,
        }


_X264 = {"preset": "veryslow", "x264-params": "scenecut=0:log=-1"}
_X265 = {"preset": "veryslow", "x265-params": "info=0:hash=0:scenecut=0:log-level=none"}
_SVT = {"preset": "2", "svtav1-params": "scd=0:log-level=0"}
_VP9 = {"deadline": "good", "cpu-used": "0", "b": "0", "lag-in-frames": "25", "auto-alt-ref": "1"}
_H26X_CRF = (51, 46, 41, 36, 31, 26)
_AV1_CRF = (63, 56, 49, 42, 35, 28)

CODECS: dict[str, ClassicalCodec] = {
    c.name: c
    for c in (
        ClassicalCodec(
            "x264-420", "libx264", "h264", "h264", "yuv420p", "crf", _H26X_CRF, _X264, "filter_units=remove_types=6"
        ),
        ClassicalCodec(
            "x264-444", "libx264", "h264", "h264", "yuv444p", "crf", _H26X_CRF, _X264, "filter_units=remove_types=6"
        ),
        ClassicalCodec("x265-420", "libx265", "hevc", "hevc", "yuv420p", "crf", _H26X_CRF, _X265),
        ClassicalCodec("x265-444", "libx265", "hevc", "hevc", "yuv444p", "crf", _H26X_CRF, _X265),
        ClassicalCodec(
            "svtav1-420",
            "libsvtav1",
            "obu",
            "libdav1d",
            "yuv420p",
            "crf",
            _AV1_CRF,
            _SVT,
            "filter_units=remove_types=2",
        ),
        ClassicalCodec("vp9-420", "libvpx-vp9", "ivf", "vp9", "yuv420p", "crf", _AV1_CRF, _VP9),
        ClassicalCodec("vp9-444", "libvpx-vp9", "ivf", "vp9", "yuv444p", "crf", _AV1_CRF, _VP9),
    )
}


def codec(name: str) -> ClassicalCodec:
    if name not in CODECS:
        raise InvalidArgumentError(f"unknown classical codec {name!r}; choose from {', '.join(CODECS)}")
    return CODECS[name]


def _quiet_encoders() -> None:
    """SVT-AV1 prints its configuration banner unless its log level says errors only."""
    os.environ.setdefault("SVT_LOG", "1")


def encode(frames: np.ndarray, spec: ClassicalCodec, quality: int, fps: int = 25) -> list[bytes]:
    """``frames [T, H, W, 3]`` uint8 RGB (H, W even) -> the elementary stream's packets, one GOP."""
    _quiet_encoders()
    t, h, w = frames.shape[:3]
    container = av.open(io.BytesIO(), "w", format=spec.raw_format)
    try:
        stream = container.add_stream(spec.encoder, rate=fps)
        stream.width, stream.height, stream.pix_fmt = w, h, spec.pix_fmt
        stream.time_base = fractions.Fraction(1, fps)
        stream.codec_context.gop_size = t
        stream.codec_context.options = {**spec.options, spec.quality_option: str(quality)}
        packets = []
        for i, frame in enumerate(frames):
            picture = av.VideoFrame.from_ndarray(np.ascontiguousarray(frame), format="rgb24").reformat(
                format=spec.pix_fmt
            )
            picture.pts = i
            packets += stream.encode(picture)
        packets += stream.encode(None)
        if spec.bitstream_filter:
            bsf = BitStreamFilterContext(spec.bitstream_filter, stream)
            filtered = []
            for packet in packets:
                filtered += bsf.filter(packet)
            packets = filtered + bsf.filter(None)
        return [bytes(p) for p in packets if p.size]
    finally:
        container.close()


def decode(packets: list[bytes], spec: ClassicalCodec) -> np.ndarray:
    """Packets of :func:`encode` -> ``[T, H, W, 3]`` uint8 RGB."""
    context = av.CodecContext.create(spec.decoder, "r")
    frames = []
    for data in packets:
        frames += context.decode(av.Packet(data))
    frames += context.decode(None)
    return np.stack([f.to_ndarray(format="rgb24") for f in frames])


def library_versions() -> dict:
    """FFmpeg library versions behind PyAV (the encoders are linked into libavcodec)."""
    return {"pyav": av.__version__, **{k: ".".join(map(str, v)) for k, v in av.library_versions.items()}}


def encoder_versions() -> dict:
    """Encoder library versions, read from what each encoder itself reports: x264's and x265's
    version SEI (in a throw-away stream), SVT-AV1's start-up banner. libvpx reports none."""
    frames = np.zeros((2, 64, 64, 3), np.uint8)
    out = {}
    x264 = dataclasses.replace(CODECS["x264-420"], bitstream_filter=None)
    match = re.search(rb"x264 - core \d+[^-]*", b"".join(encode(frames, x264, 40)))
    out["libx264"] = match.group(0).decode(errors="replace").strip() if match else "unknown"
    x265 = dataclasses.replace(
        CODECS["x265-420"], options={**CODECS["x265-420"].options, "x265-params": "info=1:log-level=none"}
    )
    match = re.search(rb"x265 \(build \d+\) - [\w.+-]+", b"".join(encode(frames, x265, 40)))
    out["libx265"] = match.group(0).decode(errors="replace") if match else "unknown"
    out["libsvtav1"] = _svt_banner_version(frames)
    out["libvpx-vp9"] = "not reported by the library"
    return out


def _svt_banner_version(frames: np.ndarray) -> str:
    previous_level = os.environ.get("SVT_LOG")
    os.environ["SVT_LOG"] = "3"
    saved = os.dup(2)
    with tempfile.TemporaryFile() as capture:
        os.dup2(capture.fileno(), 2)
        try:
            encode(frames, CODECS["svtav1-420"], 60)
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            if previous_level is None:
                os.environ.pop("SVT_LOG", None)
            else:
                os.environ["SVT_LOG"] = previous_level
        capture.seek(0)
        match = re.search(rb"SVT-AV1 Encoder Lib (v[\w.-]+)", capture.read())
    return f"SVT-AV1 {match.group(1).decode()}" if match else "unknown"
