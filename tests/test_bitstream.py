from fractions import Fraction

import numpy as np
import pytest

from bcdcodec import api
from bcdcodec.bitstream import SequenceHeader, read_stream, write_stream
from bcdcodec.diffusion import SamplerSettings
from bcdcodec.errors import (
    CorruptPacketError,
    InvalidHeaderError,
    ModelMismatchError,
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
        sampler=SamplerSettings("euler", 8, 0),
        fit="stretch",
    )
    base.update(kw)
    return SequenceHeader(**base)


def test_header_and_packets_round_trip():
    header = _header(
        source_width=1280,
        source_height=720,
        fps=Fraction(30000, 1001),
        frame_count=20,
        sampler=SamplerSettings("heun", 64, 2**32 - 1),
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
    head = _header(frame_count=2**24, clip_len=1).to_bytes()
    with pytest.raises(TruncatedStreamError):
        read_stream(head + b"\xff\xff\x3f")  # claims a 1 MiB packet that is not there
    with pytest.raises(InvalidHeaderError):
        read_stream(head + b"\xff\xff\xff\xff\x7f")  # length beyond the packet limit
    with pytest.raises(InvalidHeaderError):
        read_stream(_header().to_bytes()[:-1] + b"\x80\x80\x80\x80\x80\x01")  # overlong varint


def test_symbols_and_model_checks(tiny_model, sample_frames, other_checkpoint):
    data = api.compress(sample_frames, tiny_model, fps=25)
    _, symbols = api.decode_symbols(data, tiny_model)
    assert [s.motion.shape[0] for s in symbols] == [4, 4, 2]
    assert all(s.content.shape == (2, 4) for s in symbols)
    with pytest.raises(ModelMismatchError):
        api.decode_symbols(data, api.load_model(other_checkpoint))


def test_real_bytes_against_ideal_code_length(tiny_model, sample_frames):
    data = api.compress(sample_frames, tiny_model, fps=25)
    parsed = read_stream(data)
    _, clips = api.decode_symbols(data, tiny_model)
    ideal = sum(tiny_model.tables.ideal_bits(s.content, s.motion) for s in clips)
    payload_bits = 8 * sum(len(p) for p in parsed.packets)
    assert ideal <= payload_bits <= ideal * 1.01 + 32 * len(clips)
    assert len(data) == parsed.header_size + parsed.packet_overhead + payload_bits // 8


def test_motion_prior_flag_and_hash():
    plain = write_stream(_header(), [b"\x11" * 5])
    flagged = write_stream(_header(motion_prior_hash=b"\x12\x34"), [b"\x11" * 5])
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
