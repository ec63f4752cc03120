"""A GOP's key picture as an AV1 intra picture: ``[S, S, 3]`` uint8 RGB <-> bytes.

The bytes are one AV1 temporal unit in low-overhead OBU form (a sequence header OBU and one key
frame, 8-bit 4:2:0), encoded by SVT-AV1 (still-picture mode) and decoded by dav1d, both through PyAV. AV1 decoding is
integer arithmetic, so every conforming decoder rebuilds the same YUV picture from these bytes;
the RGB conversion after it is FFmpeg's. The temporal delimiter OBU the encoder emits first
(2 bytes) is dropped, and put back before decoding.
"""

from __future__ import annotations

import os
from fractions import Fraction

import av
import numpy as np

from ..errors import CorruptPacketError, InvalidArgumentError

TEMPORAL_DELIMITER = b"\x12\x00"
MIN_CRF, MAX_CRF = 1, 63
SVT_PRESET = "0"  # the most thorough: about 0.1 s for a 128x128 picture
# still-picture coding (a reduced sequence header): at preset 0 on 11 dev key frames, crf 47 gives
# 339 B at 30.7 dB against 338 B at 30.6 dB without it (crf 50)
SVT_PARAMS = "avif=1"


def encode_picture(picture: np.ndarray, crf: int) -> bytes:
    """``picture [S, S, 3]`` uint8 RGB (S even, >= 16) -> the AV1 bytes of one intra picture at
    constant rate factor ``crf`` (1 … 63; higher is smaller)."""
    if picture.dtype != np.uint8 or picture.ndim != 3 or picture.shape[2] != 3:
        raise InvalidArgumentError(f"a key picture is [S, S, 3] uint8, got {picture.dtype} {picture.shape}")
    height, width = picture.shape[:2]
    if height % 2 or width % 2 or min(height, width) < 16:
        raise InvalidArgumentError(f"a key picture needs even sides of at least 16 pixels, got {width}x{height}")
    if not MIN_CRF <= crf <= MAX_CRF:
        raise InvalidArgumentError(f"crf must be in {MIN_CRF}..{MAX_CRF}, got {crf}")
    os.environ.setdefault("SVT_LOG", "1")  # errors only: SVT-AV1 prints its banner otherwise
    context = av.CodecContext.create("libsvtav1", "w")
    context.width, context.height = width, height
    context.pix_fmt = "yuv420p"
    context.time_base = Fraction(1, 25)
    context.options = {"crf": str(crf), "preset": SVT_PRESET, "svtav1-params": SVT_PARAMS}
    frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(picture), format="rgb24").reformat(format="yuv420p")
    frame.pts = 0
    data = b"".join(bytes(packet) for packet in [*context.encode(frame), *context.encode(None)])
    if data.startswith(TEMPORAL_DELIMITER):
        data = data[len(TEMPORAL_DELIMITER) :]
    return data


OBU_SEQUENCE_HEADER, OBU_FRAME_HEADER, OBU_TILE_GROUP, OBU_FRAME = 1, 3, 4, 6


def _leb128(data: bytes, pos: int) -> tuple[int, int]:
    value = 0
    for i in range(8):
        if pos >= len(data):
            raise CorruptPacketError("key picture ends inside an OBU size")
        byte = data[pos]
        value |= (byte & 0x7F) << (7 * i)
        pos += 1
        if not byte & 0x80:
            return value, pos
    raise CorruptPacketError("key picture has an OBU size longer than 8 bytes")


def check_obus(data: bytes) -> None:
    """The OBU framing of a key picture (SPEC §4.3): one sequence header OBU, then the OBUs of
    one frame (a frame OBU, or a frame header and its tile groups), each with its size field,
    ending exactly at the end of the bytes. :class:`CorruptPacketError` otherwise."""
    pos, types = 0, []
    while pos < len(data):
        header = data[pos]
        if header & 0x80 or not header & 0x02:
            raise CorruptPacketError("key picture has an OBU with its forbidden bit set or without a size")
        types.append((header >> 3) & 0x0F)
        pos += 2 if header & 0x04 else 1  # the extension byte
        size, pos = _leb128(data, pos)
        pos += size
    if pos != len(data):
        raise CorruptPacketError(f"key picture's last OBU runs {pos - len(data)} bytes past its end")
    one_frame = types[1:] == [OBU_FRAME] or (
        len(types) > 2 and types[1] == OBU_FRAME_HEADER and set(types[2:]) == {OBU_TILE_GROUP}
    )
    if not types or types[0] != OBU_SEQUENCE_HEADER or not one_frame:
        raise CorruptPacketError(f"key picture is not a sequence header and one frame (OBU types {types})")


def decode_picture(data: bytes, height: int, width: int | None = None) -> np.ndarray:
    """Inverse of :func:`encode_picture`: ``[height, width, 3]`` uint8 RGB (``width`` defaults
    to ``height``: a square picture). Raises :class:`CorruptPacketError` when the bytes are not
    one 8-bit 4:2:0 key picture of that size and nothing else (:func:`check_obus`)."""
    width = height if width is None else width
    check_obus(bytes(data))
    try:
        context = av.CodecContext.create("libdav1d", "r")
        # dav1d refuses a picture above this many pixels before allocating it (a crafted header)
        context.options = {"threads": "1", "max_pixels": str(height * width)}
        frames = [*context.decode(av.Packet(TEMPORAL_DELIMITER + bytes(data))), *context.decode(None)]
    except (av.error.FFmpegError, ValueError) as exc:
        raise CorruptPacketError(f"key picture does not decode: {exc}") from None
    if len(frames) != 1 or frames[0].width != width or frames[0].height != height:
        shapes = ", ".join(f"{f.width}x{f.height}" for f in frames) or "none"
        raise CorruptPacketError(f"key picture decodes to {shapes}, expected one {width}x{height} picture")
    if frames[0].format.name != "yuv420p" or not frames[0].key_frame:
        raise CorruptPacketError(f"key picture is {frames[0].format.name}, not one 8-bit 4:2:0 key frame")
    return frames[0].to_ndarray(format="rgb24")
