"""1.x streams (read for compatibility; written only here, to test the reader)."""

from fractions import Fraction

import numpy as np
import pytest

from bcdcodec.bitstream import SequenceHeader
from bcdcodec.bitstream.v1 import header_to_bytes, read_stream, write_stream
from bcdcodec.errors import (
    CorruptPacketError,
    InvalidHeaderError,
    NotABcdError,
    StreamError,
    TruncatedStreamError,
    UnsupportedVersionError,
)


def _header(**kw):
    base = dict(
        model_id=3,
        weights_hash=b"\xab\xcd",
        source_width=64,
        source_height=64,
        fps=Fraction(25),
        frame_count=8,
        clip_len=8,
        model_size=64,
        operating_point=160,
        sampler_kind="euler",
        sampler_steps=8,
        fit="stretch",
        version=(1, 0),
    )
    base.update(kw)
    return SequenceHeader(**base)


def test_header_and_packets_round_trip():
    header = _header(
        source_width=1280,
        source_height=720,
        fps=Fraction(30000, 1001),
        frame_count=20,
        sampler_kind="heun",
        sampler_steps=64,
        seed=2**32 - 1,
        fit="pad",
    )
    packets = [b"\x01" * 5, b"\x02" * 300, b"\x03"]
    parsed = read_stream(write_stream(header, packets))
    assert parsed.header == header and parsed.packets == packets


def test_one_clip_overhead_is_small():
    """Everything outside the clip payload of a one-clip 64x64 file at 160 bits/frame."""
    data = write_stream(_header(), [b"\x55" * 60])
    assert len(data) - 60 <= 25


@pytest.mark.parametrize("frame_count,clip_len,expected", [(8, 8, 1), (9, 8, 2), (1, 8, 1), (17, 4, 5)])
def test_clip_count(frame_count, clip_len, expected):
    assert _header(frame_count=frame_count, clip_len=clip_len).clip_count == expected


def test_every_truncation_is_a_typed_error():
    data = write_stream(_header(frame_count=20), [b"\x10" * 40, b"\x20" * 3, b"\x30" * 9])
    for cut in range(len(data)):
        with pytest.raises(StreamError):
            read_stream(data[:cut])
    with pytest.raises(TruncatedStreamError):
        read_stream(data[:-1])


def test_every_bit_flip_is_detected():
    data = write_stream(_header(frame_count=16), [b"\x10\x99\x42" * 10, b"\x20" * 7])
    for byte in range(len(data)):
        for bit in range(8):
            mutated = bytearray(data)
            mutated[byte] ^= 1 << bit
            with pytest.raises(StreamError):
                read_stream(bytes(mutated))


def test_garbage_version_and_trailing_data():
    data = write_stream(_header(), [b"\x11" * 10])
    with pytest.raises(NotABcdError):
        read_stream(b"")
    with pytest.raises(NotABcdError):
        read_stream(np.random.default_rng(0).bytes(100))
    with pytest.raises(UnsupportedVersionError):
        read_stream(data[:3] + bytes([0x20]) + data[4:])
    with pytest.raises(UnsupportedVersionError):
        read_stream(data[:3] + bytes([0x12]) + data[4:])
    with pytest.raises(CorruptPacketError):  # 1.1 reads a 1.0 header, but the CRC covers the version byte
        read_stream(data[:3] + bytes([0x11]) + data[4:])
    with pytest.raises(CorruptPacketError):
        read_stream(data + b"\x00")


def test_hostile_lengths_are_refused_before_allocation():
    head = header_to_bytes(_header(frame_count=2**24, clip_len=1))
    with pytest.raises(TruncatedStreamError):
        read_stream(head + b"\xff\xff\x3f")  # claims a 1 MiB packet that is not there
    with pytest.raises(InvalidHeaderError):
        read_stream(head + b"\xff\xff\xff\xff\x7f")  # length beyond the packet limit
    with pytest.raises(InvalidHeaderError):
        read_stream(header_to_bytes(_header())[:-1] + b"\x80\x80\x80\x80\x80\x01")  # overlong varint


def test_motion_prior_flag_and_hash():
    plain = write_stream(_header(), [b"\x11" * 5])
    flagged = write_stream(_header(motion_prior_hash=b"\x12\x34", version=(1, 1)), [b"\x11" * 5])
    assert plain[3] == 0x10 and flagged[3] == 0x11 and len(flagged) == len(plain) + 2
    header = read_stream(flagged).header
    assert header.motion_prior_hash == b"\x12\x34" and header.version == (1, 1)
    assert read_stream(plain).header.motion_prior_hash is None
    flags_at = 4 + 1 + 2  # magic, version, model id 3 (1 byte), weights hash
    assert flagged[flags_at] & 0b100
    with pytest.raises(InvalidHeaderError):  # the prior flag in a 1.0 stream
        read_stream(flagged[:3] + b"\x10" + flagged[4:])
    with pytest.raises(InvalidHeaderError):  # reserved flag bit 3
        read_stream(plain[:flags_at] + bytes([plain[flags_at] | 0b1000]) + plain[flags_at + 1 :])
