"""Bit-exact coding of one key-frame GOP (the ``faces-flow-128`` codec, SPEC §4b): the key
picture's bytes, then every frame's coarse flow as integer symbols, range-coded.

Payload: ``u16le`` key picture length L (1 … 65535), the L bytes of the key picture
(:mod:`keypicture`), then one range-coded stream (constriction's ``RangeEncoder``, 32-bit words,
cut short as in :mod:`gop`) holding the table index (uniform over ``SCALES``), then for each
frame of the GOP in order its ``2 * G * G`` flow symbols (x plane then y plane, row-major), each
coded as its difference from the same value of the frame before (the first frame: from zero)
under the table of that index. Flow symbols lie in ``[-FLOW_LIMIT, FLOW_LIMIT]``.

The tables are integer geometric (two-sided) distributions built with integer arithmetic only
(:func:`delta_table`), so every machine codes with the same model.
"""

from __future__ import annotations

import math
import struct

import constriction
import numpy as np

from .. import interrupts
from ..errors import CorruptPacketError
from .gop import LATEST_MINOR, WORD_BYTES, check_ending, shortest_endings, word_order

FLOW_LIMIT = 63  # |flow symbol|; differences lie in [-2 * FLOW_LIMIT, 2 * FLOW_LIMIT]
DELTA_LIMIT = 2 * FLOW_LIMIT
SCALES = 28  # table indices 0 … 27, from "nothing moves" to nearly flat
PRECISION = 16
MAX_PICTURE_BYTES = 0xFFFF


def delta_table(index: int) -> np.ndarray:
    """Frequencies ``[2 * DELTA_LIMIT + 1]`` int64 of the differences -DELTA_LIMIT … DELTA_LIMIT
    under table ``index``: weights ``w_0 = 2**30``, ``w_k = floor(w_{k-1} * a / 2**16)`` on both
    sides with ``a = 2**16 - isqrt(2**(32 - index))``; each frequency is ``1 + floor(w * (2**16 -
    n) / sum(w))`` and what is left of ``2**16`` goes to the difference 0."""
    if not 0 <= index < SCALES:
        raise ValueError(f"flow table index must be in 0..{SCALES - 1}")
    decay = (1 << 16) - math.isqrt(1 << (32 - index))
    side = [1 << 30]
    for _ in range(DELTA_LIMIT):
        side.append((side[-1] * decay) >> 16)
    weights = side[:0:-1] + side
    count, total = len(weights), sum(weights)
    freq = [1 + w * ((1 << PRECISION) - count) // total for w in weights]
    freq[DELTA_LIMIT] += (1 << PRECISION) - sum(freq)
    return np.array(freq, dtype=np.int64)


TABLES = np.stack([delta_table(i) for i in range(SCALES)])
UNIFORM = np.ones(SCALES, dtype=np.int64)  # the table index's own model (a uniform row)


def _model(freq_row: np.ndarray):
    return constriction.stream.model.Categorical(freq_row.astype(np.float64), perfect=False)


def flow_deltas(symbols: np.ndarray) -> np.ndarray:
    """Flow symbols ``[T, 2, G, G]`` -> their frame-to-frame differences, flattened (int32)."""
    return np.diff(symbols, axis=0, prepend=np.zeros_like(symbols[:1])).astype(np.int32).ravel()


def best_table(deltas: np.ndarray) -> int:
    """The table index under which ``deltas`` cost the fewest bits."""
    counts = np.bincount(deltas + DELTA_LIMIT, minlength=2 * DELTA_LIMIT + 1)
    bits = (counts[None] * (PRECISION - np.log2(TABLES))).sum(axis=1)
    return int(np.argmin(bits))


def _flush(index: int, deltas: np.ndarray, minor: int) -> bytes:
    """The table index and the flow differences range-coded, the coder flushed whole."""
    coder = constriction.stream.queue.RangeEncoder()
    coder.encode(np.array([index], dtype=np.int32), _model(UNIFORM))
    coder.encode(np.ascontiguousarray(deltas + DELTA_LIMIT, dtype=np.int32), _model(TABLES[index]))
    return coder.get_compressed().astype(word_order(minor)).tobytes()


@interrupts.held()
def encode_flow_gop(picture: bytes, flow: np.ndarray, minor: int = LATEST_MINOR) -> bytes:
    """Key ``picture`` bytes and ``flow [T, 2, G, G]`` integer symbols -> the GOP payload of a
    2.``minor`` stream."""
    if not 1 <= len(picture) <= MAX_PICTURE_BYTES:
        raise ValueError(f"a key picture has 1..{MAX_PICTURE_BYTES} bytes, got {len(picture)}")
    flow = np.asarray(flow)
    if flow.ndim != 4 or flow.shape[1] != 2 or flow.shape[2] != flow.shape[3] or not len(flow):
        raise ValueError(f"flow symbols are [T, 2, G, G], got {flow.shape}")
    if np.abs(flow).max() > FLOW_LIMIT:
        raise ValueError(f"flow symbols must lie in [-{FLOW_LIMIT}, {FLOW_LIMIT}]")
    deltas = flow_deltas(flow)
    index = best_table(deltas)
    flushed = _flush(index, deltas, minor)
    ideal_bits = math.log2(SCALES) + float((PRECISION - np.log2(TABLES[index][deltas + DELTA_LIMIT])).sum())
    head = struct.pack("<H", len(picture)) + picture
    for candidate in shortest_endings(flushed, ideal_bits / 8):
        try:
            _, got = decode_flow_gop(head + candidate, flow.shape[0], flow.shape[2], minor)
        except CorruptPacketError:
            continue
        if np.array_equal(got, flow):
            return head + candidate
    raise AssertionError("the flushed range coder output does not decode")  # pragma: no cover


@interrupts.held()
def decode_flow_gop(payload: bytes, frames: int, grid: int, minor: int = LATEST_MINOR) -> tuple[bytes, np.ndarray]:
    """Inverse of :func:`encode_flow_gop` for a GOP of ``frames`` frames and a ``grid`` x ``grid``
    flow: ``(key picture bytes, flow [frames, 2, grid, grid] int32)``. Raises
    :class:`CorruptPacketError` when the payload does not decode to symbols in range."""
    if len(payload) < 3:
        raise CorruptPacketError("key-frame GOP payload is shorter than its picture length")
    (length,) = struct.unpack_from("<H", payload)
    if not 1 <= length <= len(payload) - 2:
        raise CorruptPacketError(f"key picture length {length} does not fit a payload of {len(payload)} bytes")
    picture, rest = payload[2 : 2 + length], payload[2 + length :]
    padded = rest + b"\x00" * (-len(rest) % WORD_BYTES + 2 * WORD_BYTES)
    words = np.frombuffer(padded, dtype=word_order(minor)).astype(np.uint32)
    try:
        coder = constriction.stream.queue.RangeDecoder(words)
        index = int(coder.decode(_model(UNIFORM), 1)[0])
        deltas = coder.decode(_model(TABLES[index]), frames * 2 * grid * grid).astype(np.int32) - DELTA_LIMIT
    except BaseException as exc:  # constriction raises plain exceptions (or panics) on bad data
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            raise
        raise CorruptPacketError(f"key-frame GOP flow does not decode: {exc}") from None
    check_ending(rest, _flush(index, deltas, minor))
    flow = np.cumsum(deltas.reshape(frames, 2, grid, grid), axis=0, dtype=np.int64)
    if np.abs(flow).max() > FLOW_LIMIT:
        raise CorruptPacketError("key-frame GOP flow leaves its range")
    return bytes(picture), flow.astype(np.int32)
