"""Bit-exact coding of one clip's symbols with constriction's ANS coder and frozen integer tables.

Order in the stream (decode order): the content symbols channel by channel (K symbols each),
then the motion symbols group by group (T symbols each), all in one ANS stream. The coder's
32-bit words are stored little-endian with up to 3 trailing zero bytes trimmed.
"""

from __future__ import annotations

import constriction
import numpy as np

from .. import interrupts
from ..errors import CorruptPacketError
from ..symbols import ClipSymbols
from .tables import CodingTables


def _model(freq_row: np.ndarray):
    # Integers are exact in float64, so every machine builds the identical quantized model.
    return constriction.stream.model.Categorical(freq_row.astype(np.float64), perfect=False)


def _finish(coder) -> bytes:
    """The coder's words, little-endian, with up to 3 trailing zero bytes trimmed."""
    data = coder.get_compressed().astype("<u4").tobytes()
    end = len(data)
    while end > len(data) - 3 and end > 0 and data[end - 1] == 0:
        end -= 1
    return data[:end]


def _check_content(content: np.ndarray, tables: CodingTables) -> None:
    if content.shape[1] != tables.content.shape[0]:
        raise ValueError("symbol arrays do not match the coding tables")
    if (content < 0).any() or (content >= tables.content.shape[1]).any():
        raise ValueError("content symbol outside its table")


def _encode_content(coder, content: np.ndarray, tables: CodingTables) -> None:
    """Push the content symbols so that they decode first, channel by channel."""
    for channel in reversed(range(content.shape[1])):
        coder.encode_reverse(np.ascontiguousarray(content[:, channel]), _model(tables.content[channel]))


@interrupts.held()
def encode_clip(symbols: ClipSymbols, tables: CodingTables) -> bytes:
    """Entropy-code one clip. Raises ``ValueError`` if a symbol lies outside its table."""
    content = np.ascontiguousarray(symbols.content, dtype=np.int32)
    motion = np.ascontiguousarray(symbols.motion, dtype=np.int32)
    _check_content(content, tables)
    if motion.shape[1] != tables.motion.shape[0]:
        raise ValueError("symbol arrays do not match the coding tables")
    if (motion < 0).any() or (motion >= tables.motion.shape[1]).any():
        raise ValueError("motion symbol outside its table")
    coder = constriction.stream.stack.AnsCoder()
    for group in reversed(range(motion.shape[1])):
        coder.encode_reverse(np.ascontiguousarray(motion[:, group]), _model(tables.motion[group]))
    _encode_content(coder, content, tables)
    return _finish(coder)


@interrupts.held()
def _decode_guarded(payload: bytes, tables: CodingTables, num_queries: int, decode_motion) -> ClipSymbols:
    """Decode the content symbols, then ``decode_motion(coder, content)``; any coder failure or
    leftover data becomes :class:`CorruptPacketError`."""
    padded = payload + b"\x00" * (-len(payload) % 4)
    words = np.frombuffer(padded, dtype="<u4").astype(np.uint32)
    try:
        coder = constriction.stream.stack.AnsCoder(words)
        content = np.stack(
            [coder.decode(_model(tables.content[c]), num_queries) for c in range(tables.content.shape[0])], axis=1
        ).astype(np.int32)
        motion = decode_motion(coder, content)
        leftover = not coder.is_empty()
    except BaseException as exc:  # constriction raises plain exceptions (or panics) on bad data
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            raise
        raise CorruptPacketError(f"clip payload does not decode: {exc}") from None
    if leftover:
        raise CorruptPacketError("clip payload has data left after its last symbol")
    return ClipSymbols(content, motion.astype(np.int32))


def decode_clip(payload: bytes, tables: CodingTables, num_queries: int, num_frames: int) -> ClipSymbols:
    """Inverse of :func:`encode_clip`; raises :class:`CorruptPacketError` if the payload does not
    decode to exactly ``num_queries`` content rows and ``num_frames`` motion rows."""

    def motion(coder, _content):
        return np.stack(
            [coder.decode(_model(tables.motion[g]), num_frames) for g in range(tables.motion.shape[0])], axis=1
        )

    return _decode_guarded(payload, tables, num_queries, motion)


@interrupts.held()
def encode_clip_with_prior(symbols: ClipSymbols, tables: CodingTables, motion_tables: np.ndarray) -> bytes:
    """Like :func:`encode_clip`, but motion symbol ``[t, n]`` is coded with its own frequency row
    ``motion_tables [T, N, S]`` (from the autoregressive prior). Decode order: content as in
    :func:`encode_clip`, then motion frame by frame, groups in order within a frame."""
    content = np.ascontiguousarray(symbols.content, dtype=np.int32)
    motion = np.ascontiguousarray(symbols.motion, dtype=np.int32)
    if motion_tables.shape[:2] != motion.shape or (motion < 0).any() or (motion >= motion_tables.shape[2]).any():
        raise ValueError("motion symbols do not match the prior's tables")
    _check_content(content, tables)
    coder = constriction.stream.stack.AnsCoder()
    for t in reversed(range(motion.shape[0])):
        for group in reversed(range(motion.shape[1])):
            coder.encode_reverse(motion[t, group : group + 1], _model(motion_tables[t, group]))
    _encode_content(coder, content, tables)
    return _finish(coder)


def decode_clip_with_prior(
    payload: bytes, tables: CodingTables, num_queries: int, num_frames: int, frame_tables
) -> ClipSymbols:
    """Inverse of :func:`encode_clip_with_prior`. ``frame_tables(content [K, Cc], motion [t+1, N])``
    returns the ``[N, S]`` rows of frame ``t`` (row ``t`` of ``motion`` is a placeholder)."""
    groups = tables.motion.shape[0]

    def motion(coder, content):
        out = np.zeros((num_frames, groups), dtype=np.int32)
        for t in range(num_frames):
            rows = frame_tables(content, out[: t + 1])
            for group in range(groups):
                out[t, group] = coder.decode(_model(rows[group]), 1)[0]
        return out

    return _decode_guarded(payload, tables, num_queries, motion)
