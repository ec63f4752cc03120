"""2.x streams: the bit-packed header, GOP framing and checks, bounds, concealment."""

from fractions import Fraction

import numpy as np
import pytest

from bcdcodec.bitstream import SequenceHeader, read_stream, stream_info, write_stream
from bcdcodec.bitstream.v2 import header_to_bytes
from bcdcodec.bitstream.varint import encode_varint
from bcdcodec.errors import (
    InvalidHeaderError,
    NotABcdError,
    StreamError,
    TruncatedStreamError,
    UnsupportedVersionError,
)


def _header(**kw):
    base = dict(model_id=1, weights_hash=b"\xab\xcd", source_width=64, source_height=64, fps=Fraction(25),
                frame_count=8, clip_len=8)  # fmt: skip
    base.update(kw)
    return SequenceHeader(**base)


def _gops(*sizes_and_clips):
    rng = np.random.default_rng(len(sizes_and_clips))
    return [(clips, rng.bytes(size)) for size, clips in sizes_and_clips]


def test_header_round_trips_defaults_and_written_out_fields():
    plain = _header()
    assert len(header_to_bytes(plain, 1)) == 7  # a one-clip 64x64 Sprites file: 7 header bytes
    unusual = _header(
        model_id=70000 % 65536, source_width=1000, source_height=562, fps=Fraction(7, 3), frame_count=283,
        clip_len=5, operating_point=3, sampler_kind="heun", sampler_steps=64, seed=2**32 - 1, fit="pad",
        motion_prior_hash=b"\x12\x34",
    )  # fmt: skip
    for header, gops in ((plain, _gops((10, 1))), (unusual, _gops((300, 28), (7, 28), (1, 1)))):
        parsed = read_stream(write_stream(header, gops))
        assert parsed.header == header
        assert [(u.clip_count, u.payload) for u in parsed.units] == gops


def test_framing_costs_almost_nothing():
    one = write_stream(_header(), _gops((20, 1)))
    assert len(one) - 20 == 7 + 2  # header + CRC-16: the single GOP has no length or count
    many = write_stream(_header(frame_count=250), _gops(*[(30, 8)] * 3 + [(30, 8)]))
    per_gop = (len(many) - len(header_to_bytes(_header(frame_count=250), 4)) - 4 * 30) / 4
    assert per_gop <= 4  # length, clip count, CRC-16; per clip inside a GOP: nothing


def test_large_gops_carry_a_crc32():
    data = write_stream(_header(frame_count=16), _gops((400, 1), (400, 1)))
    assert len(data) == len(header_to_bytes(_header(frame_count=16), 2)) + 2 + 1 + 400 + 4 + 400 + 4


def test_every_truncation_is_a_typed_error():
    data = write_stream(_header(frame_count=40), _gops((40, 2), (3, 1), (9, 2)))
    for cut in range(len(data)):
        with pytest.raises(StreamError):
            read_stream(data[:cut])


def test_every_bit_flip_is_detected_or_concealed():
    header = _header(frame_count=40)
    data = write_stream(header, _gops((12, 2), (5, 1), (9, 2)))
    for byte in range(len(data)):
        for bit in range(8):
            mutated = bytearray(data)
            mutated[byte] ^= 1 << bit
            with pytest.raises(StreamError):
                read_stream(bytes(mutated))
            try:
                parsed = read_stream(bytes(mutated), conceal=True)
            except StreamError:
                continue
            assert parsed.header == header  # a damaged header never passes a check
            assert sum(u.clip_count for u in parsed.units) == header.clip_count
            assert any(u.payload is None for u in parsed.units)


def test_a_damaged_gop_costs_that_gop_only():
    header = _header(frame_count=40)
    gops = _gops((12, 2), (5, 1), (9, 2))
    data = bytearray(write_stream(header, gops))
    second = read_stream(bytes(data)).units[1]
    data[second.offset + second.size - 3] ^= 0x10  # inside the second GOP's payload
    parsed = read_stream(bytes(data), conceal=True)
    assert [u.payload for u in parsed.units] == [gops[0][1], None, gops[2][1]]
    assert [u.clip_count for u in parsed.units] == [2, 1, 2]


def test_bad_magic_version_and_trailing_data():
    data = write_stream(_header(), _gops((10, 1)))
    with pytest.raises(NotABcdError):
        read_stream(b"")
    with pytest.raises(NotABcdError):
        read_stream(np.random.default_rng(0).bytes(100))
    with pytest.raises(UnsupportedVersionError):
        read_stream(data[:2] + bytes([0x30]) + data[3:])
    with pytest.raises(UnsupportedVersionError):
        read_stream(data[:2] + bytes([data[2] | 0b1100]) + data[3:])  # minor 3 (2.1 is the latest)
    with pytest.raises(StreamError):
        read_stream(data + b"\x00")


def test_hostile_counts_are_refused_before_allocation():
    head = header_to_bytes(_header(frame_count=120000, clip_len=1, fps=Fraction(1000)), 2)
    with pytest.raises(TruncatedStreamError):
        read_stream(head + b"\xff\xff\x3f\x00")  # claims a 1 MiB GOP that is not there
    with pytest.raises(InvalidHeaderError):
        read_stream(head + b"\xff\xff\xff\xff\x7f")  # length beyond the GOP limit
    with pytest.raises(InvalidHeaderError):
        read_stream(b"BC\x20" + b"\x00" * 8)  # an Exp-Golomb field longer than 32 bits


def test_a_gop_holds_at_most_a_minute():
    header = _header(frame_count=2**24, clip_len=8)  # 2^21 clips at 25 fps: 1500 GOPs at least
    with pytest.raises(InvalidHeaderError, match="cannot hold"):
        read_stream(header_to_bytes(header, 2) + b"\x00" * 64)
    with pytest.raises(ValueError):
        write_stream(_header(frame_count=189 * 8), _gops((4, 189)))  # 189 clips: the 60 s end in clip 188
    two = write_stream(_header(frame_count=189 * 8), _gops((4, 188), (4, 1)))
    assert [u.clip_count for u in read_stream(two).units] == [188, 1]
    framed = header_to_bytes(_header(frame_count=190 * 8), 2) + encode_varint(4) + encode_varint(188)
    with pytest.raises(StreamError, match="clip count of GOP 0"):
        read_stream(framed + b"\x00" * 64)  # a first GOP of 189 clips


def test_info_shows_gops_and_overhead():
    data = write_stream(_header(frame_count=40), _gops((12, 2), (5, 1), (9, 2)))
    info = stream_info(data)
    assert [g["clips"] for g in info["gops"]] == [2, 1, 2]
    assert [g["start_s"] for g in info["gops"]] == [0.0, 0.64, 0.96]
    assert info["payload_bytes"] == 26 and info["overhead_bytes"] == len(data) - 26
    assert info["version"] == "2.1" and info["sampler"]["steps"] == "model"
