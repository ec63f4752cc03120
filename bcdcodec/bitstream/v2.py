"""Writing and parsing .bcd 2.x streams: a bit-packed sequence header, then GOP units, each the
content of a group of clips and their motion in one entropy-coded payload with its own check.
The layout is specified in bitstreams/SPEC.md; every field is bounded before it is used.
"""

from __future__ import annotations

import binascii
import zlib
from fractions import Fraction

from ..errors import CorruptPacketError, InvalidHeaderError, NotABcdError, TruncatedStreamError, UnsupportedVersionError
from ..settings import FIT_POLICIES, SAMPLERS
from .bits import BitReader, BitWriter
from .header import (
    HASH_PREFIX_BYTES,
    LATEST_VERSION,
    MAX_CLIP_LEN,
    MAX_FPS_TERM,
    MAX_FRAMES,
    MAX_GOP_SECONDS,
    MAX_PACKET_BYTES,
    MAX_SIDE,
    GopUnit,
    ParsedStream,
    SequenceHeader,
    max_gop_clips,
)
from .varint import Reader, encode_varint

MAGIC = b"BC"
VERSION = LATEST_VERSION
# the 4-bit size code: common frame sizes (width, height); 15 = written out
FRAME_SIZES = (
    (64, 64), (128, 128), (256, 256), (512, 512), (176, 144), (352, 288), (320, 240), (640, 480),
    (640, 360), (854, 480), (1280, 720), (1920, 1080), (720, 576), (720, 480), (224, 224),
)  # fmt: skip
# the 4-bit frame-rate code; 15 = written out
FRAME_RATES = tuple(
    Fraction(f)
    for f in ("25", "30", "24", "50", "60", "30000/1001", "24000/1001", "60000/1001", "12", "15", "10", "20",
              "48", "100", "120")
)  # fmt: skip
ESCAPE = 15
DEFAULT_CLIP_LEN = 8
# clip length, operating point, sampler kind and steps, seed: what one header bit stands for
CODING_DEFAULTS = (DEFAULT_CLIP_LEN, None, "euler", None, 0)
SMALL_UNIT_BYTES = 258  # a unit (payload + check) of at most this many bytes carries a CRC-16, else a CRC-32


def header_to_bytes(h: SequenceHeader, gop_count: int, minor: int = VERSION[1]) -> bytes:
    """The bit-packed 2.``minor`` sequence header (see bitstreams/SPEC.md §1; ``h.version`` is
    ignored: encoders write the latest minor version, 0 only re-creates recorded 2.0 streams)."""
    if not 1 <= gop_count <= h.clip_count:
        raise ValueError(f"{gop_count} GOPs for {h.clip_count} clips")
    if len(h.weights_hash) != HASH_PREFIX_BYTES:
        raise ValueError("weights_hash must be a 2-byte prefix")
    if not 0 <= minor <= VERSION[1]:
        raise ValueError(f"cannot write a 2.{minor} header")
    w = BitWriter()
    w.bits(VERSION[0], 4)
    w.bits(minor, 2)
    w.exp_golomb(h.model_id)
    w.bits(int.from_bytes(h.weights_hash, "big"), 16)
    w.bits(FIT_POLICIES.index(h.fit), 2)
    w.flag(h.motion_prior_hash is not None)
    if h.motion_prior_hash is not None:
        if len(h.motion_prior_hash) != HASH_PREFIX_BYTES:
            raise ValueError("motion_prior_hash must be a 2-byte prefix")
        w.bits(int.from_bytes(h.motion_prior_hash, "big"), 16)
    size = (h.source_width, h.source_height)
    w.bits(FRAME_SIZES.index(size) if size in FRAME_SIZES else ESCAPE, 4)
    if size not in FRAME_SIZES:
        w.exp_golomb(h.source_width - 1)
        w.exp_golomb(h.source_height - 1)
    w.bits(FRAME_RATES.index(h.fps) if h.fps in FRAME_RATES else ESCAPE, 4)
    if h.fps not in FRAME_RATES:
        w.exp_golomb(h.fps.numerator - 1)
        w.exp_golomb(h.fps.denominator - 1)
    defaults = (h.clip_len, h.operating_point, h.sampler_kind, h.sampler_steps, h.seed) == CODING_DEFAULTS
    w.flag(not defaults)
    if not defaults:
        w.flag(h.clip_len != DEFAULT_CLIP_LEN)
        if h.clip_len != DEFAULT_CLIP_LEN:
            w.exp_golomb(h.clip_len - 1)
        w.flag(h.operating_point is not None)
        if h.operating_point is not None:
            w.exp_golomb(h.operating_point)
        w.flag(h.sampler_kind != "euler" or h.sampler_steps is not None)
        if h.sampler_kind != "euler" or h.sampler_steps is not None:
            if h.sampler_steps is None:
                raise ValueError("a non-default sampler kind needs its steps spelled out")
            w.bits(SAMPLERS.index(h.sampler_kind), 1)
            w.bits(h.sampler_steps - 1, 6)
        w.flag(h.seed != 0)
        if h.seed:
            w.bits(h.seed, 32)
    w.exp_golomb(h.clip_count - 1)
    w.exp_golomb(h.clip_len - h.frames_in_clip(h.clip_count - 1))
    w.exp_golomb(gop_count - 1)
    return MAGIC + w.to_bytes()


def _read_header(data: bytes) -> tuple[SequenceHeader, int, int]:
    """The header, its GOP count and the byte position after it."""
    if data[: len(MAGIC)] != MAGIC:
        raise NotABcdError("not a .bcd stream (bad magic bytes)")
    r = BitReader(data, len(MAGIC))
    major, minor = r.bits(4, "version"), r.bits(2, "version")
    if major != VERSION[0] or minor > VERSION[1]:
        raise UnsupportedVersionError(
            f"stream version {major}.{minor} is not supported (this decoder reads 1.0-1.1 and 2.0-2.1)"
        )
    model_id = r.exp_golomb("model id", 0, 2**16 - 1)
    weights_hash = r.bits(16, "weights hash").to_bytes(2, "big")
    fit_code = r.bits(2, "fit policy")
    if fit_code >= len(FIT_POLICIES):
        raise InvalidHeaderError(f"fit policy code {fit_code} is reserved")
    prior_hash = r.bits(16, "motion prior hash").to_bytes(2, "big") if r.flag("motion prior flag") else None
    size_code = r.bits(4, "frame size")
    if size_code == ESCAPE:
        width = r.exp_golomb("source width", 0, MAX_SIDE - 1) + 1
        height = r.exp_golomb("source height", 0, MAX_SIDE - 1) + 1
        if (width, height) in FRAME_SIZES:
            raise InvalidHeaderError(f"frame size {width}x{height} must use its size code")
    else:
        width, height = FRAME_SIZES[size_code]
    rate_code = r.bits(4, "frame rate")
    if rate_code == ESCAPE:
        num = r.exp_golomb("fps numerator", 0, MAX_FPS_TERM - 1) + 1
        den = r.exp_golomb("fps denominator", 0, MAX_FPS_TERM - 1) + 1
        fps = Fraction(num, den)
        if fps > 1000 or fps.numerator != num or fps in FRAME_RATES:
            raise InvalidHeaderError(f"frame rate {num}/{den} is above 1000, not in lowest terms, or has a code")
    else:
        fps = FRAME_RATES[rate_code]
    clip_len, operating_point, kind, steps, seed = CODING_DEFAULTS
    if r.flag("coding defaults flag"):
        if r.flag("clip length flag"):
            clip_len = r.exp_golomb("clip length", 0, MAX_CLIP_LEN - 1) + 1
            if clip_len == DEFAULT_CLIP_LEN:
                raise InvalidHeaderError("the default clip length is written out")
        operating_point = r.exp_golomb("operating point", 0, 255) if r.flag("operating point flag") else None
        if r.flag("sampler flag"):
            kind, steps = SAMPLERS[r.bits(1, "sampler kind")], r.bits(6, "sampler steps") + 1
        seed = r.bits(32, "seed") if r.flag("seed flag") else 0
        if (clip_len, operating_point, kind, steps, seed) == CODING_DEFAULTS:
            raise InvalidHeaderError("coding defaults are written out")
    clip_count = r.exp_golomb("clip count", 0, MAX_FRAMES // clip_len - 1) + 1
    frame_count = clip_count * clip_len - r.exp_golomb("frames missing from the last clip", 0, clip_len - 1)
    if frame_count > MAX_FRAMES:
        raise InvalidHeaderError(f"frame count {frame_count} is above {MAX_FRAMES}")
    gop_count = r.exp_golomb("GOP count", 0, clip_count - 1) + 1
    end = r.end_of_header()
    longest = max_gop_clips(fps, clip_len)
    if gop_count * longest < clip_count:
        raise InvalidHeaderError(
            f"{gop_count} GOPs cannot hold {clip_count} clips: "
            f"a GOP holds at most {MAX_GOP_SECONDS:g} s ({longest} clips)"
        )
    header = SequenceHeader(
        model_id=model_id, weights_hash=weights_hash, source_width=width, source_height=height, fps=fps,
        frame_count=frame_count, clip_len=clip_len, operating_point=operating_point, sampler_kind=kind,
        sampler_steps=steps, seed=seed, fit=FIT_POLICIES[fit_code], motion_prior_hash=prior_hash,
        version=(major, minor),
    )  # fmt: skip
    return header, gop_count, end


def _check(unit: bytes, head: bytes, index: int, first_clip: int) -> bytes:
    """The check of a unit: CRC-16/CCITT-FALSE of small units, CRC-32 of the others, over the
    header, the unit's index and first clip, and its bytes (framing included), so that a unit
    only passes under its header and at the place it was written for."""
    data = head + index.to_bytes(4, "little") + first_clip.to_bytes(4, "little") + unit
    if len(unit) + 2 <= SMALL_UNIT_BYTES:
        return binascii.crc_hqx(data, 0xFFFF).to_bytes(2, "little")
    return zlib.crc32(data).to_bytes(4, "little")


def check_size(unit_bytes: int) -> int:
    """Bytes of the check of a unit whose framing and payload take ``unit_bytes``."""
    return 2 if unit_bytes + 2 <= SMALL_UNIT_BYTES else 4


def write_stream(header: SequenceHeader, gops: list[tuple[int, bytes]], minor: int = VERSION[1]) -> bytes:
    """Serialise a whole 2.``minor`` stream: the header, then each GOP ``(clip count, payload)``
    (payloads coded for that minor version). Every GOP but the last is framed by its payload
    length and clip count; the last runs to the end of the stream and holds the clips that are left."""
    if sum(n for n, _ in gops) != header.clip_count or any(not 1 <= n <= header.max_gop_clips for n, _ in gops):
        raise ValueError(f"the GOPs must hold every clip, at least one and at most {header.max_gop_clips} each")
    head = header_to_bytes(header, len(gops), minor)
    parts, first = [head], 0
    for index, (clips, payload) in enumerate(gops):
        if not 1 <= len(payload) <= MAX_PACKET_BYTES:
            raise ValueError(f"GOP payload of {len(payload)} bytes is outside [1, {MAX_PACKET_BYTES}]")
        last = index == len(gops) - 1
        unit = payload if last else encode_varint(len(payload)) + encode_varint(clips - 1) + payload
        parts += [unit, _check(unit, head, index, first)]
        first += clips
    return b"".join(parts)


def read_stream(data: bytes, conceal: bool = False) -> ParsedStream:
    """Parse a whole stream and check every GOP. A defect raises a :class:`StreamError`. With
    ``conceal``, a GOP that fails its check is returned damaged (``payload`` None) and parsing
    goes on; where the framing itself is lost, the rest of the stream is one damaged unit. A
    damaged header, or a stream of which no GOP passes, is still an error."""
    data = bytes(data)
    header, gop_count, header_size = _read_header(data)
    head = data[:header_size]
    r = Reader(data)
    r.pos = header_size
    units, clip = [], 0
    for index in range(gop_count):
        start = r.pos
        last = index == gop_count - 1
        try:
            if last:
                rest = len(data) - start
                size = rest - (2 if rest <= SMALL_UNIT_BYTES else 4)
                if size < 1:
                    raise TruncatedStreamError(f"stream ends inside GOP {index} of {gop_count}")
                clips, payload_start = header.clip_count - clip, start
                if clips > header.max_gop_clips:
                    raise InvalidHeaderError(f"GOP {index} holds {clips} clips, more than {header.max_gop_clips}")
            else:
                length = r.varint(f"payload length of GOP {index}", 1, MAX_PACKET_BYTES)
                most = min(header.clip_count - clip - (gop_count - index), header.max_gop_clips - 1)
                clips = r.varint(f"clip count of GOP {index}", 0, most) + 1
                payload_start = r.pos
                size = payload_start - start + length
                if size + check_size(size) > len(data) - start:
                    raise TruncatedStreamError(f"stream ends inside GOP {index} of {gop_count}")
        except (TruncatedStreamError, InvalidHeaderError) as exc:
            if not conceal:
                raise
            units.append(GopUnit(clip, header.clip_count - clip, None, start, len(data) - start, str(exc)))
            break
        unit = data[start : start + size]
        r.pos = start + size
        stored = r.take(check_size(size), f"check of GOP {index}")
        damage = "" if stored == _check(unit, head, index, clip) else f"GOP {index} fails its check"
        if damage and not conceal:
            raise CorruptPacketError(f"{damage} (header or GOP damaged)")
        payload = None if damage else data[payload_start : start + size]
        units.append(GopUnit(clip, clips, payload, start, r.pos - start, damage))
        clip += clips
    if units[-1].payload is not None and r.pos != len(data):
        raise CorruptPacketError(f"{len(data) - r.pos} bytes of unexpected data after the last GOP")
    if not any(u.payload is not None for u in units):
        raise CorruptPacketError("no GOP of the stream passes its check (header or every GOP damaged)")
    framing = len(data) - header_size - sum(len(u.payload) for u in units if u.payload is not None)
    return ParsedStream(header, header_size, units, framing)
