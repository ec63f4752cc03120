"""Clip symbols <-> GOP payloads: where GOPs start (the encoder's choice), coding each GOP, and
decoding the units of a parsed stream of any version into per-clip symbols.

A GOP codes one content once, the most representative of its clips' contents (see
:func:`representative`); every clip of the GOP is rendered with it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from .bitstream import ParsedStream
from .coding.ans import decode_clip, decode_clip_with_prior
from .coding.gop import decode_gop, encode_gop
from .coding.tables import CodingTables
from .errors import CorruptPacketError, InvalidArgumentError
from .symbols import ClipSymbols

DEFAULT_GOP_SECONDS = 2.0  # content every 2 s: a face does not change faster (talking heads)
# a new GOP starts early when a clip's content differs from its GOP's by more than this, in
# standard deviations of the (standardised) content latent per value: a scene cut
DEFAULT_SCENE_CUT = 1.0

# rows(content [K, Cc], motion [T, N]) -> [T, N, S] frequency rows of a clip under the motion prior
PriorRows = Callable[[np.ndarray, np.ndarray], np.ndarray]


def content_change(a: np.ndarray, b: np.ndarray, content_gain: float) -> float:
    """Mean absolute difference of two content latents (symbols, one step per unit), in standard
    deviations of the standardised content."""
    return float(np.abs(a.astype(np.float64) - b).mean() / content_gain)


def representative(contents: list[np.ndarray], lengths: list[int]) -> int:
    """Which of a GOP's clip contents (symbols ``[K, Cc]``; clips of ``lengths`` frames) it codes:
    the medoid (the least summed squared distance to the others), ties going to the clip whose
    first frame, the one its content is read from, is nearest the GOP's middle frame. Measured on
    the dev talking heads with faces-128 (docs/rates.md), against the first clip's content:
    +1.1 dB with 2 s GOPs at quality 4, +0.5 dB with 0.64 s GOPs at quality 1, same rate."""
    stacked = np.stack([c.astype(np.float64) for c in contents])
    spread = ((stacked[:, None] - stacked[None]) ** 2).sum(axis=(2, 3)).sum(axis=1)
    starts = np.cumsum([0, *lengths[:-1]])
    middle = (sum(lengths) - 1) / 2
    return min(range(len(contents)), key=lambda i: (spread[i], abs(starts[i] - middle)))


@dataclass
class GopWriter:
    """Collects clip symbols and closes a GOP when it holds ``max_clips`` clips or a clip's content
    moved more than ``scene_cut`` from the GOP's (``None``: never)."""

    tables: CodingTables
    max_clips: int
    content_gain: float
    scene_cut: float | None = DEFAULT_SCENE_CUT
    prior_rows: PriorRows | None = None
    # refine(content, [each clip's frames], [each clip's motion]) -> the content the GOP codes
    refine: Callable[[np.ndarray, list, list[np.ndarray]], np.ndarray] | None = None

    def __post_init__(self) -> None:
        if self.max_clips < 1:
            raise InvalidArgumentError("a GOP holds at least one clip")
        self.gops: list[tuple[int, bytes]] = []
        self._contents: list[np.ndarray] = []  # the first is where scene cuts are measured from
        self._motions: list[np.ndarray] = []
        self._frames: list = []

    def add(self, symbols: ClipSymbols, frames=None) -> None:
        """The next clip's symbols (and, for ``refine``, its frames as the model sees them)."""
        if self._contents:
            cut = (
                self.scene_cut is not None
                and content_change(symbols.content, self._contents[0], self.content_gain) > self.scene_cut
            )
            if len(self._motions) == self.max_clips or cut:
                self._close()
        self._contents.append(symbols.content)
        self._motions.append(symbols.motion)
        if self.refine is not None:
            self._frames.append(frames)

    def _close(self) -> None:
        content = self._contents[representative(self._contents, [len(m) for m in self._motions])]
        if self.refine is not None:
            content = self.refine(content, self._frames, self._motions)
        rows = None
        if self.prior_rows is not None:
            rows = [self.prior_rows(content, motion) for motion in self._motions]
        self.gops.append((len(self._motions), encode_gop(content, self._motions, self.tables, rows)))
        self._contents, self._motions, self._frames = [], [], []

    def finish(self) -> list[tuple[int, bytes]]:
        """Every GOP as ``(clip count, payload)``."""
        if self._contents:
            self._close()
        return self.gops


def iter_units(
    parsed: ParsedStream,
    tables: CodingTables,
    num_queries: int,
    prior_rows: PriorRows | None,
    clips: range | None = None,
    conceal: bool = False,
) -> Iterator[tuple[int, ClipSymbols | None]]:
    """The symbols of every clip in ``clips`` (default: all), as ``(clip index, symbols or None)``
    in clip order, entropy-decoding only the units that hold them, one at a time: memory holds one
    GOP's symbols, whatever the stream's length. With ``conceal``, a damaged unit (or one whose
    payload does not decode) gives ``None`` for its clips; otherwise it raises
    :class:`CorruptPacketError`."""
    header = parsed.header
    wanted = clips if clips is not None else range(header.clip_count)
    for unit in parsed.units:
        span = range(unit.first_clip, unit.first_clip + unit.clip_count)
        if not (span.start < wanted.stop and wanted.start < span.stop):
            continue
        try:
            if unit.payload is None:
                raise CorruptPacketError(unit.damage)
            decoded = _decode_unit(unit.payload, header, span, tables, num_queries, prior_rows)
        except CorruptPacketError:
            if not conceal:
                raise
            decoded = [None] * len(span)
        yield from ((c, symbols) for c, symbols in zip(span, decoded) if c in wanted)


def _decode_unit(payload, header, span: range, tables, num_queries, prior_rows) -> list[ClipSymbols]:
    frames = [header.frames_in_clip(c) for c in span]
    if header.version[0] == 1:  # one clip per packet, its own content
        if prior_rows is None:
            return [decode_clip(payload, tables, num_queries, frames[0])]
        return [decode_clip_with_prior(payload, tables, num_queries, frames[0], _frame_rows(prior_rows))]
    rows = None if prior_rows is None else (lambda _clip: _frame_rows(prior_rows))
    content, motions = decode_gop(payload, tables, num_queries, frames, rows, header.version[1])
    return [ClipSymbols(content, motion) for motion in motions]


def _frame_rows(prior_rows: PriorRows):
    """Frame ``t``'s rows from the rows of a clip's first ``t + 1`` frames."""
    return lambda content, motion: prior_rows(content, motion)[-1]
