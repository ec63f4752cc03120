"""The codec layer, decoding side: .bcd bytes -> symbols -> frames (the encoding side and the
model are :mod:`codec`)."""

from __future__ import annotations

import dataclasses
import itertools
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np
from tqdm import tqdm

from . import registry
from .bitstream import HASH_PREFIX_BYTES, ParsedStream, SequenceHeader, read_stream
from .bitstream.header import check_output_size
from .codec import CodecModel, check_model, load_model, prior_rows, stream_point, with_bundled_prior
from .diffusion import clip_noise
from .errors import InvalidArgumentError, ModelMismatchError
from .flowcodec import FlowCodec, flow_costs, iter_flow_rendered
from .packing import PriorRows, iter_units
from .settings import SamplerSettings
from .symbols import ClipSymbols
from .video import Video, VideoWriter
from .video.fit import iter_output


def _stream_prior(parsed: ParsedStream, model: CodecModel) -> PriorRows | None:
    """The motion prior a prior-coded stream needs (the model's, or the bundled one), checked."""
    header = parsed.header
    if header.motion_prior_hash is None:
        return None
    model = with_bundled_prior(model)
    if model.prior.digest[:HASH_PREFIX_BYTES] != header.motion_prior_hash:
        raise ModelMismatchError(
            f"stream needs motion prior {header.motion_prior_hash.hex()}, "
            f"got {model.prior.digest[:HASH_PREFIX_BYTES].hex()}"
        )
    return prior_rows(model, stream_point(header))


def decode_clips(
    parsed: ParsedStream, model: CodecModel, clips: range | None = None, conceal: bool = False
) -> dict[int, ClipSymbols | None]:
    """Entropy-decode the clips in ``clips`` (default all), touching only the GOPs that hold them;
    with ``conceal`` a damaged GOP's clips are ``None``."""
    return dict(iter_clip_symbols(parsed, model, clips, conceal))


def iter_clip_symbols(
    parsed: ParsedStream, model: CodecModel, clips: range | None = None, conceal: bool = False
) -> Iterator[tuple[int, ClipSymbols | None]]:
    """:func:`decode_clips` one GOP at a time, as ``(clip index, symbols or None)``; the stream is
    checked against the model before this returns."""
    if isinstance(model, FlowCodec):
        raise InvalidArgumentError(f"{model.name} codes a picture and a flow per GOP, not content and motion symbols")
    check_model(parsed.header, model)
    rows = _stream_prior(parsed, model)
    tables = model.tables_at(stream_point(parsed.header))
    return iter_units(parsed, tables, model.cfg.content_queries, rows, clips, conceal)


def decode_symbols(data: bytes, model: CodecModel) -> tuple[SequenceHeader, list[ClipSymbols]]:
    """Parse a stream and entropy-decode every clip (no diffusion); each clip carries the
    content of its GOP."""
    parsed = read_stream(data)
    return parsed.header, list(decode_clips(parsed, model).values())


def render_clips(
    clips: list[ClipSymbols | None],
    header: SequenceHeader,
    model: CodecModel,
    *,
    steps: int | None = None,
    progress: bool = False,
    desc: str = "decode",
    first_clip: int = 0,
) -> np.ndarray:
    """Run the diffusion decoder on each clip's symbols with the header's sampler (``steps``
    overrides its step count) and map the frames back to the header's source geometry. A
    ``None`` clip (lost; clip ``first_clip + i`` of the stream) repeats the last frame before it
    (mid-grey at the start). Returns ``[T, H, W, 3]`` uint8, lost clips' frames included."""
    return np.concatenate(list(iter_rendered(clips, header, model, steps, progress, desc, first_clip)))


def iter_rendered(clips: Iterable[ClipSymbols | None], header: SequenceHeader, model: CodecModel, steps=None,
                  progress=False, desc="decode", first_clip: int = 0, count: int | None = None):  # fmt: skip
    """:func:`render_clips` a few frames at a time: yields ``[t, H, W, 3]`` uint8 chunks (a clip or
    part of one, about ``CHUNK_PIXELS`` pixels), so that memory follows the output frame, not the
    length of the video. Refuses output frames above ``MAX_OUTPUT_PIXELS`` before any work."""
    shape = check_output_size(header)
    recorded = header.sampler(model.cfg.default_steps)
    settings = SamplerSettings(recorded.kind, steps or recorded.steps, recorded.seed)
    size = model.cfg.image_size
    noise = clip_noise((3, size, size), settings.seed)
    point = stream_point(header)

    def decoded():
        shown = tqdm(clips, total=count, desc=desc, unit="clip", disable=not progress, file=sys.stderr)
        for i, symbols in enumerate(shown):
            frames = None if symbols is None else model.net.render_symbols(symbols, settings, noise, point)
            yield header.frames_in_clip(first_clip + i), frames

    yield from iter_output(decoded(), header.source_width, header.source_height, header.fit, shape)


@dataclass
class WrittenVideo:
    """What was written to a video file: frame count, size, rate, and concealed spans (seconds)."""

    path: Path
    frame_count: int
    width: int
    height: int
    fps: Fraction
    lost: list[tuple[float, float]] = dataclasses.field(default_factory=list)


def write_rendered(chunks, header: SequenceHeader, dst, fps: Fraction, force: bool = False) -> WrittenVideo:
    """Write frame chunks (from :func:`iter_rendered` or :func:`iter_decoded`) to ``dst`` as they
    come, atomically; memory does not grow with the frame count."""
    with VideoWriter(dst, fps, force) as writer:
        for frames in chunks:
            writer.write(frames)
    height, width, _ = header.output_shape
    return WrittenVideo(Path(dst), writer.count, width, height, fps)


@dataclass
class Decoded:
    video: Video
    lost: list[tuple[float, float]]  # concealed spans, [start, end) in seconds


@dataclass
class DecodePlan:
    """What a decode covers: frames ``[first, end)`` of the stream, in ``clips``."""

    parsed: ParsedStream
    model: CodecModel | FlowCodec
    first: int
    end: int
    clips: range
    conceal: bool  # damaged GOPs are concealed instead of raising

    @property
    def header(self) -> SequenceHeader:
        return self.parsed.header


def plan_decode(data: bytes, model: CodecModel | FlowCodec | None, start: float = 0.0, duration: float | None = None,
                conceal: bool = False) -> DecodePlan:  # fmt: skip
    """Parse the stream, find its model, and the clips holding ``start`` .. ``start + duration``."""
    parsed = read_stream(data, conceal)
    header = parsed.header
    check_output_size(header)  # before the model is loaded
    model = model or load_model(registry.find_by_id(header.model_id).name)
    first = int(round(start * header.fps))
    if not 0 <= first < header.frame_count:
        raise InvalidArgumentError(f"start {start:g} s is outside the stream (0 to {header.seconds:g} s)")
    if duration is not None and duration <= 0:
        raise InvalidArgumentError("duration must be positive")
    end = header.frame_count if duration is None else min(header.frame_count, first + int(round(duration * header.fps)))
    end = max(end, first + 1)
    clips = range(first // header.clip_len, -(-end // header.clip_len))
    return DecodePlan(parsed, model, first, end, clips, conceal)


def iter_decoded(plan: DecodePlan, *, steps: int | None = None, progress: bool = False, lost: list | None = None):
    """Yield the planned frames clip by clip (``[t, H, W, 3]`` uint8), decoding only the GOPs
    that hold them; concealed spans (seconds) are appended to ``lost`` once every frame is out.
    ``steps`` (the diffusion decoder's) is refused for the key-frame codec."""
    header = plan.header
    if isinstance(plan.model, FlowCodec):
        if steps is not None:
            raise InvalidArgumentError(f"sampling steps: {plan.model.name} has no diffusion decoder")
        lost_clips: list[int] = []
        rendered = iter_flow_rendered(plan.parsed, plan.model, plan.clips, plan.conceal, lost_clips, progress)
    else:
        lost_clips = []
        decoded = iter_clip_symbols(plan.parsed, plan.model, plan.clips, plan.conceal)

        def symbols() -> Iterator[ClipSymbols | None]:
            for clip, clip_symbols in decoded:
                if clip_symbols is None:
                    lost_clips.append(clip)
                yield clip_symbols

        rendered = iter_rendered(
            symbols(), header, plan.model, steps, progress, first_clip=plan.clips.start, count=len(plan.clips)
        )
    position = plan.clips.start * header.clip_len
    for frames in rendered:
        low, high = max(plan.first - position, 0), min(plan.end - position, len(frames))
        position += len(frames)
        if high > low:
            yield frames[low:high]
    if lost is not None:
        fps = float(header.fps)
        spans = [
            (c * header.clip_len / fps, (c * header.clip_len + header.frames_in_clip(c)) / fps) for c in lost_clips
        ]
        lost.extend(_merge(spans))


def decode_stream(
    data: bytes,
    model: CodecModel | None = None,
    *,
    steps: int | None = None,
    progress: bool = False,
    start: float = 0.0,
    duration: float | None = None,
    conceal: bool = False,
) -> Decoded:
    """Decode the frames from ``start`` seconds for ``duration`` seconds (default: to the end) into
    memory, entropy-decoding only the GOPs that hold them. With ``conceal``, damaged GOPs are
    concealed (see :func:`render_clips`) and reported in ``lost``; without, they raise."""
    plan = plan_decode(data, model, start, duration, conceal)
    lost: list[tuple[float, float]] = []
    frames = np.concatenate(list(iter_decoded(plan, steps=steps, progress=progress, lost=lost)))
    return Decoded(Video(frames, plan.header.fps), lost)


def _merge(spans: list[tuple[float, float]]) -> list[tuple[float, float]]:
    merged: list[tuple[float, float]] = []
    for a, b in spans:
        if merged and abs(merged[-1][1] - a) < 1e-9:
            merged[-1] = (merged[-1][0], b)
        else:
            merged.append((a, b))
    return merged


def decompress(
    data: bytes, model: CodecModel | None = None, *, steps: int | None = None, progress: bool = False
) -> Video:
    """A .bcd stream -> decoded :class:`Video` at the source size (see ``video.fit`` for ``crop``).

    Without ``model``, the bundled model the stream names is loaded (after the stream is verified).
    ``steps`` overrides the sampling steps recorded in the stream."""
    return decode_stream(data, model, steps=steps, progress=progress).video


def symbol_costs(data: bytes, model: CodecModel) -> list[dict]:
    """Per GOP, the information content of its symbols under the tables that code them, in
    bytes: ``{"content_bytes": x, "motion_bytes": [per clip]}``. The payload's excess over their
    sum is the entropy coder's termination. The key-frame codec: ``{"picture_bytes": x,
    "flow_bytes": y}`` per GOP (see :func:`flowcodec.flow_costs`)."""
    parsed = read_stream(data)
    check_output_size(parsed.header)  # as decode does
    if isinstance(model, FlowCodec):
        return flow_costs(parsed, model)
    rows = _stream_prior(parsed, model)
    tables, out = model.tables_at(stream_point(parsed.header)), []
    decoded = iter_clip_symbols(parsed, model)
    for unit in parsed.units:
        members = [symbols for _, symbols in itertools.islice(decoded, unit.clip_count)]
        # a 2.x GOP codes its content once; every 1.x packet codes its clip's own
        coded_content = members[:1] if parsed.header.version[0] > 1 else members
        motion = [tables.motion_bits(c.motion, None if rows is None else rows(c.content, c.motion)) for c in members]
        out.append(
            {
                "content_bytes": sum(tables.content_bits(c.content) for c in coded_content) / 8,
                "motion_bytes": [bits / 8 for bits in motion],
            }
        )
    return out
