"""Writing and parsing .bcd 1.x streams (one ANS-coded packet per clip, each with its content).
The byte layout is specified in bitstreams/SPEC.md, appendix A.

Every count and length is checked against its bound before it is used, so a hostile or damaged
file gets a typed :class:`~bcdcodec.errors.StreamError`, never a crash or a huge allocation.
"""

from __future__ import annotations

import zlib
from fractions import Fraction

from ..errors import (
    CorruptPacketError,
    InvalidHeaderError,
    NotABcdError,
    TruncatedStreamError,
    UnsupportedVersionError,
)
from ..settings import FIT_POLICIES, SAMPLERS
from .header import (
    HASH_PREFIX_BYTES,
    MAX_CLIP_LEN,
    MAX_FPS_TERM,
    MAX_FRAMES,
    MAX_PACKET_BYTES,
    MAX_SIDE,
    GopUnit,
    ParsedStream,
    SequenceHeader,
)
from .varint import Reader, encode_varint

MAGIC = b"BCD"
VERSION_MAJOR = 1
VERSION_MINOR = 1  # 1.1 adds prior-coded motion; streams without it are written as 1.0
FLAG_MOTION_PRIOR = 0b100

V1_FIT_POLICIES = 3  # 1.x knew stretch, crop and pad


def header_to_bytes(h: SequenceHeader) -> bytes:
    if len(h.weights_hash) != HASH_PREFIX_BYTES:
        raise ValueError("weights_hash must be a 2-byte prefix")
    flags = FIT_POLICIES.index(h.fit)
    if flags >= V1_FIT_POLICIES:
        raise ValueError(f"a 1.x stream cannot record the {h.fit!r} fit")
    prior = b""
    if h.motion_prior_hash is not None:
        if len(h.motion_prior_hash) != HASH_PREFIX_BYTES:
            raise ValueError("motion_prior_hash must be a 2-byte prefix")
        flags |= FLAG_MOTION_PRIOR
        prior = h.motion_prior_hash
    minor = 1 if prior else 0
    if h.model_size is None or h.operating_point is None or h.sampler_steps is None:
        raise ValueError("a 1.x header spells out model size, operating point and sampler steps")
    sampler = (SAMPLERS.index(h.sampler_kind) << 7) | (h.sampler_steps - 1)
    return b"".join(
        [
            MAGIC,
            bytes([(VERSION_MAJOR << 4) | minor]),
            encode_varint(h.model_id),
            h.weights_hash,
            bytes([flags]),
            prior,
            encode_varint(h.source_width),
            encode_varint(h.source_height),
            encode_varint(h.fps.numerator),
            encode_varint(h.fps.denominator),
            encode_varint(h.frame_count),
            encode_varint(h.clip_len),
            encode_varint(h.model_size),
            encode_varint(h.operating_point),
            bytes([sampler]),
            encode_varint(h.seed),
        ]
    )


def _read_header(r: Reader) -> SequenceHeader:
    if r.remaining < len(MAGIC) or r.data[: len(MAGIC)] != MAGIC:
        raise NotABcdError("not a .bcd stream (bad magic bytes)")
    r.take(len(MAGIC), "magic")
    version = r.u8("version")
    major, minor = version >> 4, version & 0x0F
    if major != VERSION_MAJOR or minor > VERSION_MINOR:
        raise UnsupportedVersionError(
            f"stream version {major}.{minor} is not supported "
            f"(this decoder reads {VERSION_MAJOR}.0-{VERSION_MAJOR}.{VERSION_MINOR})"
        )
    model_id = r.varint("model id", 0, 2**16 - 1)
    weights_hash = r.take(HASH_PREFIX_BYTES, "weights hash")
    flags = r.u8("flags")
    if flags & 0b11 >= V1_FIT_POLICIES or flags >> 3:
        raise InvalidHeaderError(f"flags byte 0x{flags:02x} has reserved bits set")
    prior_hash = None
    if flags & FLAG_MOTION_PRIOR:
        if minor < 1:
            raise InvalidHeaderError("a version 1.0 stream cannot use prior-coded motion")
        prior_hash = r.take(HASH_PREFIX_BYTES, "motion prior hash")
    width = r.varint("source width", 1, MAX_SIDE)
    height = r.varint("source height", 1, MAX_SIDE)
    fps_num = r.varint("fps numerator", 1, MAX_FPS_TERM)
    fps_den = r.varint("fps denominator", 1, MAX_FPS_TERM)
    fps = Fraction(fps_num, fps_den)
    if fps > 1000 or fps.numerator != fps_num:
        raise InvalidHeaderError(f"frame rate {fps_num}/{fps_den} is out of range or not in lowest terms")
    frame_count = r.varint("frame count", 1, MAX_FRAMES)
    clip_len = r.varint("clip length", 1, MAX_CLIP_LEN)
    model_size = r.varint("model resolution", 8, 4096)
    operating_point = r.varint("operating point", 0, 2**16 - 1)
    sampler_byte = r.u8("sampler")
    if sampler_byte & 0x40:
        raise InvalidHeaderError("sampler byte has its reserved bit set")
    seed = r.varint("seed", 0, 2**32 - 1)

    return SequenceHeader(
        model_id=model_id,
        weights_hash=weights_hash,
        source_width=width,
        source_height=height,
        fps=fps,
        frame_count=frame_count,
        clip_len=clip_len,
        model_size=model_size,
        operating_point=operating_point,
        sampler_kind=SAMPLERS[sampler_byte >> 7],
        sampler_steps=(sampler_byte & 0x3F) + 1,
        seed=seed,
        fit=FIT_POLICIES[flags & 0b11],
        motion_prior_hash=prior_hash,
        version=(major, minor),
    )


def _crc(header_bytes: bytes, length_bytes: bytes, payload: bytes) -> bytes:
    return zlib.crc32(payload, zlib.crc32(length_bytes, zlib.crc32(header_bytes))).to_bytes(4, "little")


def write_stream(header: SequenceHeader, payloads: list[bytes]) -> bytes:
    """Serialise a whole stream. ``payloads`` holds one entropy-coded clip per packet."""
    if len(payloads) != header.clip_count:
        raise ValueError(f"{len(payloads)} packets for {header.clip_count} clips")
    head = header_to_bytes(header)
    parts = [head]
    for payload in payloads:
        if not 1 <= len(payload) <= MAX_PACKET_BYTES:
            raise ValueError(f"packet of {len(payload)} bytes is outside [1, {MAX_PACKET_BYTES}]")
        length = encode_varint(len(payload))
        parts += [length, payload, _crc(head, length, payload)]
    parts.append(b"\x00")  # end marker: a zero packet length
    return b"".join(parts)


def read_stream(data: bytes) -> ParsedStream:
    """Parse and verify a whole stream; raises a :class:`StreamError` subclass on any defect."""
    r = Reader(bytes(data))
    header = _read_header(r)
    header_size = r.pos
    head = r.data[:header_size]
    units = []
    for index in range(header.clip_count):
        start = r.pos
        length = r.varint(f"length of packet {index}", 0, MAX_PACKET_BYTES)
        if length == 0:
            raise TruncatedStreamError(f"end marker after {index} of {header.clip_count} packets")
        if length + 4 > r.remaining:
            raise TruncatedStreamError(f"stream ends inside packet {index} of {header.clip_count}")
        length_bytes = r.data[start : r.pos]
        payload = r.take(length, f"packet {index}")
        if r.take(4, f"CRC of packet {index}") != _crc(head, length_bytes, payload):
            raise CorruptPacketError(
                f"packet {index} of {header.clip_count} fails its CRC32 check (header or packet damaged)"
            )
        units.append(GopUnit(index, 1, payload, start, r.pos - start))
    if r.remaining == 0:
        raise TruncatedStreamError("stream ends before its end marker")
    if r.u8("end marker") != 0:
        raise CorruptPacketError(f"expected the end marker after {header.clip_count} packets")
    if r.remaining:
        raise CorruptPacketError(f"{r.remaining} bytes of unexpected data after the end marker")
    overhead = len(r.data) - header_size - sum(len(u.payload) for u in units)
    return ParsedStream(header, header_size, units, overhead)
