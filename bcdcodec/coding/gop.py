"""Bit-exact coding of one GOP (2.x streams): the content symbols once, then the motion symbols of
each clip, in one range-coded payload (constriction's ``RangeEncoder``, 32-bit words) under the
frozen integer tables.

Decode order: the content symbols channel by channel (K each); then, clip by clip, the motion
symbols group by group (T each) under the static tables, or frame by frame (groups in order)
under rows the motion prior derives from the clip's content and earlier frames.

Termination: the coder's words are written big-endian (2.1; little-endian in 2.0) and then cut as
short as decoding allows. A decoder pads the payload with zero bytes; of the candidate endings (each prefix of the
flushed bytes, as is or with its last byte raised by one) the encoder keeps the shortest one
from which its own decoder returns every symbol. Decoding is integer arithmetic throughout, so
every decoder returns the same symbols from those bytes.
"""

from __future__ import annotations

from collections.abc import Callable

import constriction
import numpy as np

from .. import interrupts
from ..bitstream.header import LATEST_VERSION
from ..errors import CorruptPacketError
from .tables import CodingTables

# frame_rows(content [K, Cc], motion [t + 1, N]) -> the [N, S] rows of frame t of a clip
FrameRows = Callable[[np.ndarray, np.ndarray], np.ndarray]
WORD_BYTES = 4
LATEST_MINOR = LATEST_VERSION[1]  # the 2.x minor version encoders write


def word_order(minor: int) -> str:
    """The numpy dtype of a 2.``minor`` payload's 32-bit coder words. 2.0 stores them little-endian,
    so a payload cut short keeps a word's low bytes and ends on whole words; 2.1 stores them
    big-endian, so the cut keeps the leading bytes and a payload ends within about a third of a
    byte of its symbols' information content (1.5-2.8 B less per GOP on Sprites, docs/rates.md)."""
    return "<u4" if minor == 0 else ">u4"


def _model(freq_row: np.ndarray):
    # integers are exact in float64, so every machine builds the identical quantized model
    return constriction.stream.model.Categorical(freq_row.astype(np.float64), perfect=False)


def _check_symbols(content: np.ndarray, motions: list[np.ndarray], tables: CodingTables) -> None:
    if content.ndim != 2 or content.shape[1] != tables.content.shape[0]:
        raise ValueError("content symbols do not match the coding tables")
    if (content < 0).any() or (content >= tables.content.shape[1]).any():
        raise ValueError("content symbol outside its table")
    for motion in motions:
        if motion.ndim != 2 or motion.shape[1] != tables.motion.shape[0] or not len(motion):
            raise ValueError("motion symbols do not match the coding tables")
        if (motion < 0).any() or (motion >= tables.motion.shape[1]).any():
            raise ValueError("motion symbol outside its table")


@interrupts.held()
def encode_gop(
    content: np.ndarray,
    motions: list[np.ndarray],
    tables: CodingTables,
    prior_rows: list[np.ndarray] | None = None,
    minor: int = LATEST_MINOR,
) -> bytes:
    """``content [K, Cc]`` and each clip's ``motion [T_i, N]`` -> the GOP payload of a 2.``minor``
    stream. With ``prior_rows`` (one ``[T_i, N, S]`` array per clip) motion is coded under those rows."""
    content = np.ascontiguousarray(content, dtype=np.int32)
    motions = [np.ascontiguousarray(m, dtype=np.int32) for m in motions]
    _check_symbols(content, motions, tables)
    flushed = _flush(content, motions, tables, prior_rows, minor)

    def fixed_rows(clip: int) -> FrameRows | None:
        if prior_rows is None:
            return None
        return lambda _content, motion: prior_rows[clip][len(motion) - 1]

    frames = [len(m) for m in motions]
    rows = prior_rows or [None] * len(motions)
    ideal_bits = tables.content_bits(content) + sum(map(tables.motion_bits, motions, rows))
    for candidate in shortest_endings(flushed, ideal_bits / 8):
        try:
            got_content, got_motions = decode_gop(candidate, tables, content.shape[0], frames, fixed_rows, minor)
        except CorruptPacketError:
            continue
        if np.array_equal(got_content, content) and all(map(np.array_equal, got_motions, motions)):
            return candidate
    raise AssertionError("the flushed range coder output does not decode")  # pragma: no cover


def _flush(content: np.ndarray, motions: list[np.ndarray], tables: CodingTables, prior_rows, minor: int) -> bytes:
    """Every symbol range-coded and the coder flushed whole: the longest payload they may take.
    ``prior_rows``: one ``[T_i, N, S]`` array per clip, or ``None`` (for all, or for one clip)
    where the static tables code it."""
    coder = constriction.stream.queue.RangeEncoder()
    for channel in range(content.shape[1]):
        coder.encode(np.ascontiguousarray(content[:, channel]), _model(tables.content[channel]))
    for i, motion in enumerate(motions):
        rows = None if prior_rows is None else prior_rows[i]
        if rows is None:
            for group in range(motion.shape[1]):
                coder.encode(np.ascontiguousarray(motion[:, group]), _model(tables.motion[group]))
            continue
        if rows.shape[:2] != motion.shape:
            raise ValueError("the prior's rows do not match the motion symbols")
        for t in range(motion.shape[0]):
            for group in range(motion.shape[1]):
                coder.encode(motion[t, group : group + 1], _model(rows[t, group]))
    return coder.get_compressed().astype(word_order(minor)).tobytes()


def check_ending(payload: bytes, flushed: bytes) -> None:
    """A payload ends where its symbols end: never longer than their complete flush (SPEC §4),
    so bytes appended to a payload make it corrupt instead of being ignored."""
    if len(payload) > len(flushed):
        raise CorruptPacketError(
            f"payload of {len(payload)} bytes runs on past its symbols ({len(flushed)} bytes at most)"
        )


def shortest_endings(flushed: bytes, ideal_bytes: float):
    """Candidate payloads, shortest first, from one byte below the symbols' information content:
    each prefix, then that prefix with its last byte + 1."""
    for size in range(max(1, int(ideal_bytes) - 1), len(flushed) + 1):
        prefix = flushed[:size]
        yield prefix
        if prefix[-1] < 0xFF:
            yield prefix[:-1] + bytes([prefix[-1] + 1])


@interrupts.held()
def decode_gop(
    payload: bytes,
    tables: CodingTables,
    num_queries: int,
    frames: list[int],
    frame_rows: Callable[[int], FrameRows | None] | None = None,
    minor: int = LATEST_MINOR,
) -> tuple[np.ndarray, list[np.ndarray]]:
    """Inverse of :func:`encode_gop`: ``content [K, Cc]`` and one ``motion [T_i, N]`` per clip of
    ``frames[i]`` frames. ``frame_rows(clip)`` gives the prior's rows of that clip (``None`` for
    static tables); ``minor``: the stream's 2.x minor version. Raises :class:`CorruptPacketError`
    if the payload does not decode."""
    padded = payload + b"\x00" * (-len(payload) % WORD_BYTES + 2 * WORD_BYTES)
    words = np.frombuffer(padded, dtype=word_order(minor)).astype(np.uint32)
    groups = tables.motion.shape[0]
    try:
        coder = constriction.stream.queue.RangeDecoder(words)
        content = np.stack(
            [coder.decode(_model(tables.content[c]), num_queries) for c in range(tables.content.shape[0])], axis=1
        ).astype(np.int32)
        motions, used_rows = [], []
        for clip, count in enumerate(frames):
            rows_of = frame_rows(clip) if frame_rows is not None else None
            motion = np.zeros((count, groups), dtype=np.int32)  # a point may send no motion (groups 0)
            if rows_of is None:
                for group in range(groups):
                    motion[:, group] = coder.decode(_model(tables.motion[group]), count)
                used_rows.append(None)
            else:
                clip_rows = []
                for t in range(count):
                    clip_rows.append(rows_of(content, motion[: t + 1]))
                    for group in range(groups):
                        motion[t, group] = coder.decode(_model(clip_rows[-1][group]), 1)[0]
                used_rows.append(np.stack(clip_rows))
            motions.append(motion.astype(np.int32))
    except BaseException as exc:  # constriction raises plain exceptions (or panics) on bad data
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            raise
        raise CorruptPacketError(f"GOP payload does not decode: {exc}") from None
    check_ending(payload, _flush(content, motions, tables, used_rows, minor))
    return content, motions
