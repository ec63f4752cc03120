import numpy as np
import pytest

from bcdcodec.coding.ans import decode_clip, encode_clip
from bcdcodec.coding.tables import CodingTables, quantize_pmf_rows
from bcdcodec.errors import CorruptPacketError
from bcdcodec.symbols import ClipSymbols


def _tables(rng, groups=64, size=32, channels=8, symbols=64):
    motion = quantize_pmf_rows(rng.dirichlet(np.full(size, 0.3), size=groups), 16)
    content = quantize_pmf_rows(rng.dirichlet(np.full(symbols, 0.3), size=channels), 16)
    return CodingTables(motion, content, 16)


def _sample(rng, tables, frames, queries=4):
    motion = np.stack([rng.choice(len(r), size=frames, p=r / r.sum()) for r in tables.motion], 1)
    content = np.stack([rng.choice(len(r), size=queries, p=r / r.sum()) for r in tables.content], 1)
    return ClipSymbols(content.astype(np.int32), motion.astype(np.int32))


@pytest.mark.parametrize("frames", [1, 8, 50])
def test_symbols_round_trip_bit_exactly(frames):
    rng = np.random.default_rng(frames)
    tables = _tables(rng)
    for _ in range(5):
        symbols = _sample(rng, tables, frames)
        assert decode_clip(encode_clip(symbols, tables), tables, 4, frames) == symbols


def test_size_is_within_one_percent_of_ideal_plus_coder_flush():
    """Real payload bits vs the ideal code length under the frozen tables: the ANS coder adds at
    most 32 bits of termination per packet on top of 1%."""
    rng = np.random.default_rng(1)
    tables = _tables(rng)
    for frames in (8, 25, 50, 200):
        symbols = _sample(rng, tables, frames)
        ideal = tables.ideal_bits(symbols.content, symbols.motion)
        real = len(encode_clip(symbols, tables)) * 8
        assert ideal <= real <= ideal * 1.01 + 32, (frames, ideal, real)


def test_out_of_table_symbols_are_refused():
    rng = np.random.default_rng(2)
    tables = _tables(rng)
    symbols = _sample(rng, tables, 4)
    symbols.motion[0, 0] = 32
    with pytest.raises(ValueError):
        encode_clip(symbols, tables)


def test_wrong_length_or_garbage_payload_is_a_corrupt_packet():
    rng = np.random.default_rng(3)
    tables = _tables(rng)
    payload = encode_clip(_sample(rng, tables, 8), tables)
    with pytest.raises(CorruptPacketError):
        decode_clip(payload, tables, 4, 7)
    with pytest.raises(CorruptPacketError):
        decode_clip(payload[:-6], tables, 4, 8)
