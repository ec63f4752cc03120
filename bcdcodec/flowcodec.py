"""The key-frame codec for talking heads (``faces-flow-128``): every GOP sends one AV1 intra
picture of its middle frame and, for every frame, a coarse flow that the encoder fits to move that
picture onto the frame; the decoder warps the picture. No learned part: it is the base the
talking-head model is measured against and built over (docs/faces.md).

Frames -> GOPs of whole clips -> (key picture, fitted flow symbols) -> GOP payloads
(:mod:`coding.flow_gop`) -> a 2.x stream; and back, one clip at a time.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import torch
from tqdm import tqdm

from .bitstream import HASH_PREFIX_BYTES, ParsedStream, SequenceHeader, read_stream, write_stream
from .bitstream.header import MAX_GOP_SECONDS, check_output_size
from .clips import fitted_clips
from .coding import flow_gop
from .coding.keypicture import decode_picture, encode_picture
from .errors import CorruptPacketError, InvalidArgumentError, ModelMismatchError, VideoError
from .keyflow import coded_frames, fit_flow, interpolate, warp
from .video import VideoSource
from .video.fit import iter_output, iter_unfit, to_float, to_uint8

SCENE_CUT = 0.45  # a GOP closes early when a clip's first frame differs this much (mean |x|, [-1, 1]); within
# a GOP of the dev talking heads the first frames of its clips differ by at most 0.29


@dataclass(frozen=True)
class FlowPoint:
    """One operating point: the key picture's AV1 rate factor (encoder side), and what the decoder
    needs: the flow's quantizer step in thousandths of ``grid_sample`` units and the interval
    between the frames that carry a flow (:func:`keyflow.coded_frames`)."""

    crf: int
    step: int
    interval: int


@dataclass(frozen=True)
class FlowCodec:
    """A key-frame codec: ``image_size`` square frames, a ``grid`` x ``grid`` flow, GOPs of whole
    ``clip_len``-frame clips, and its operating points (``--quality 1`` is ``points[0]``)."""

    name: str
    model_id: int
    image_size: int
    grid: int
    clip_len: int
    points: tuple[FlowPoint, ...]
    default_point: int  # the stream's "model's own operating point"
    description: str = ""
    fit: str = "fill"  # how frames are fitted to the square unless told (see video.fit)

    @property
    def top_point(self) -> int:
        return len(self.points) - 1

    @property
    def typicality(self) -> None:
        """No content statistics (as :class:`codec.CodecModel` has): it was trained on nothing."""
        return None

    @property
    def digest(self) -> bytes:
        """sha256 of what decoding depends on (the header's "weights hash")."""
        record = {
            "kind": "key-frame flow",
            "size": self.image_size,
            "grid": self.grid,
            "clip_len": self.clip_len,
            "steps": [p.step for p in self.points],
            "intervals": [p.interval for p in self.points],
            "default_point": self.default_point,
            "flow_limit": flow_gop.FLOW_LIMIT,
            "tables": hashlib.sha256(flow_gop.TABLES.astype("<i8").tobytes()).hexdigest(),
        }
        return hashlib.sha256(json.dumps(record, sort_keys=True).encode()).digest()

    @property
    def hash_prefix(self) -> bytes:
        return self.digest[:HASH_PREFIX_BYTES]

    def point_of(self, header: SequenceHeader) -> FlowPoint:
        index = self.default_point if header.operating_point is None else header.operating_point
        return self.points[index]


FACES_FLOW = FlowCodec(
    name="faces-flow-128",
    model_id=4,
    image_size=128,
    grid=4,
    clip_len=8,
    # measured on the 11 dev windows (one 48-frame GOP each, docs/faces.md): 0.94 … 3.38 kbit/s
    points=(
        FlowPoint(60, 60, 4),
        FlowPoint(56, 50, 2),
        FlowPoint(52, 50, 2),
        FlowPoint(47, 40, 2),
        FlowPoint(44, 30, 2),
        FlowPoint(40, 30, 2),
        FlowPoint(36, 20, 2),
    ),
    default_point=4,
    description="Talking heads 128x128: an AV1 key picture per GOP moved by a coded 4x4 flow; no learned part",
)


def check_codec(header: SequenceHeader, codec: FlowCodec) -> None:
    """Refuse a stream that ``codec`` did not make, or one it cannot decode."""
    if header.model_id != codec.model_id or header.weights_hash != codec.hash_prefix:
        raise ModelMismatchError(
            f"stream needs model id {header.model_id} (weights {header.weights_hash.hex()}), "
            f"got {codec.name} id {codec.model_id} (weights {codec.hash_prefix.hex()})"
        )
    if header.version[0] != 2 or header.motion_prior_hash is not None or header.clip_len != codec.clip_len:
        raise ModelMismatchError(f"{codec.name} decodes 2.x streams of {codec.clip_len}-frame clips without a prior")
    if header.operating_point is not None and header.operating_point > codec.top_point:
        raise ModelMismatchError(
            f"stream uses operating point {header.operating_point}, {codec.name} has 0..{codec.top_point}"
        )


def _code_gop(frames: torch.Tensor, codec: FlowCodec, point: FlowPoint) -> bytes:
    """Model frames ``[T, 3, S, S]`` in [-1, 1] -> the GOP payload: the middle frame as the key
    picture, the flow fitted to the decoded picture at the coded frames."""
    picture = encode_picture(to_uint8(frames[len(frames) // 2 : len(frames) // 2 + 1]).numpy()[0], point.crf)
    key = to_float(torch.from_numpy(decode_picture(picture, codec.image_size))[None])
    flow = fit_flow(key, frames[coded_frames(len(frames), point.interval)], codec.grid)
    symbols = torch.round(flow * 1000 / point.step).clamp(-flow_gop.FLOW_LIMIT, flow_gop.FLOW_LIMIT)
    return flow_gop.encode_flow_gop(picture, symbols.to(torch.int32).numpy())


def encode_flow_clips(
    clips: Iterable[torch.Tensor],
    codec: FlowCodec,
    *,
    width: int,
    height: int,
    fps: Fraction,
    fit: str,
    gop_seconds: float,
    point: int | None = None,
    crf: int | None = None,
    probe: Callable[[torch.Tensor, dict], None] | None = None,
) -> bytes:
    """Model-size clips (from :func:`clips.fitted_clips`) of a ``width`` x ``height`` source at
    ``fps`` -> a 2.0 stream at operating ``point`` (default: the codec's own), its key pictures at
    ``crf`` instead of the point's when given (the decoder does not need it: rate control tunes
    it): a GOP closes every ``gop_seconds`` (whole clips, at least one) and at a scene cut.
    ``probe(frames, {})`` is called with the first clip (as :func:`codec.encode_source`'s). Holds
    one GOP in memory."""
    index = codec.default_point if point is None else point
    if not 0 <= index <= codec.top_point:
        raise InvalidArgumentError(f"{codec.name} has operating points 0..{codec.top_point}, not {point}")
    if not 0 < gop_seconds <= MAX_GOP_SECONDS:
        raise InvalidArgumentError(f"GOP length must be in (0, {MAX_GOP_SECONDS:g}] seconds")
    max_clips = max(1, int(gop_seconds * fps / codec.clip_len))
    chosen = codec.points[index] if crf is None else dataclasses.replace(codec.points[index], crf=crf)
    gops: list[tuple[int, bytes]] = []
    held: list[torch.Tensor] = []
    frame_count = 0
    for clip in clips:
        if probe is not None and not frame_count:
            probe(clip, {})
        frame_count += len(clip)
        cut = bool(held) and float((clip[0] - held[0][0]).abs().mean()) > SCENE_CUT
        if held and (len(held) == max_clips or cut):
            gops.append((len(held), _code_gop(torch.cat(held), codec, chosen)))
            held = []
        held.append(clip)
    if not held:
        raise VideoError("no frames to encode")
    gops.append((len(held), _code_gop(torch.cat(held), codec, chosen)))
    header = SequenceHeader(
        model_id=codec.model_id,
        weights_hash=codec.hash_prefix,
        source_width=width,
        source_height=height,
        fps=fps,
        frame_count=frame_count,
        clip_len=codec.clip_len,
        fit=fit,
        operating_point=None if index == codec.default_point else index,
    )
    return write_stream(header, gops)


def encode_flow_source(
    source: VideoSource, codec: FlowCodec, fit: str, progress: bool, gop_seconds: float, point: int | None = None,
    probe=None,
) -> bytes:  # fmt: skip
    """:func:`encode_flow_clips` of a video source, streamed (one GOP in memory)."""
    clips = fitted_clips(source, codec.clip_len, codec.image_size, fit, progress)
    return encode_flow_clips(
        clips, codec, width=source.width, height=source.height, fps=source.fps, fit=fit, gop_seconds=gop_seconds,
        point=point, probe=probe,
    )  # fmt: skip


def decode_unit(unit, header: SequenceHeader, codec: FlowCodec) -> tuple[bytes, np.ndarray, list[int]]:
    """A GOP unit's payload -> ``(key picture bytes, flow symbols [N, 2, G, G] int32, the N coded
    frames within the GOP)``; raises :class:`CorruptPacketError` when it does not decode."""
    frames = sum(header.frames_in_clip(c) for c in range(unit.first_clip, unit.first_clip + unit.clip_count))
    coded = coded_frames(frames, codec.point_of(header).interval)
    picture, symbols = flow_gop.decode_flow_gop(unit.payload, len(coded), codec.grid, header.version[1])
    return picture, symbols, coded


def iter_gops(parsed: ParsedStream, codec: FlowCodec, clips: range, conceal: bool):
    """Decode the GOPs holding ``clips``: yields ``(clip indices in clips, key picture [1, 3, S, S]
    float in [-1, 1], flow [frames, 2, G, G] float per clip)``. With ``conceal`` a damaged GOP
    comes with ``None`` for the picture and flows; otherwise it raises :class:`CorruptPacketError`."""
    header = parsed.header
    check_codec(header, codec)
    point = codec.point_of(header)
    for unit in parsed.units:
        span = range(unit.first_clip, unit.first_clip + unit.clip_count)
        if not (span.start < clips.stop and clips.start < span.stop):
            continue
        counts = [header.frames_in_clip(c) for c in span]
        wanted = [c for c in span if c in clips]
        try:
            if unit.payload is None:
                raise CorruptPacketError(unit.damage)
            picture, symbols, coded = decode_unit(unit, header, codec)
            key = to_float(torch.from_numpy(decode_picture(picture, codec.image_size))[None])
        except CorruptPacketError:
            if not conceal:
                raise
            yield wanted, None, None
            continue
        flow = interpolate(torch.from_numpy(symbols).float() * (point.step / 1000), coded)
        offsets = np.cumsum([0, *counts])
        flows = [flow[offsets[c - span.start] : offsets[c - span.start + 1]] for c in wanted]
        yield wanted, key, flows


def iter_model_clips(
    parsed: ParsedStream, codec: FlowCodec, clips: range, conceal: bool
) -> Iterator[tuple[int, torch.Tensor | None]]:
    """Yield ``(clip index, frames [t, 3, S, S] float in [-1, 1])`` for each of ``clips``, at the
    model's size (see :func:`iter_gops`; a concealed clip's frames are ``None``)."""
    for wanted, key, flows in iter_gops(parsed, codec, clips, conceal):
        for i, clip in enumerate(wanted):
            yield clip, None if key is None else warp(key, flows[i])


def iter_flow_rendered(
    parsed: ParsedStream, codec: FlowCodec, clips: range, conceal: bool, lost: list | None, progress: bool = False
) -> Iterator[np.ndarray]:
    """:func:`iter_model_clips` at the source geometry: each clip's frames ``[t, H, W, 3]``
    uint8. A concealed clip repeats the last good frame (mid-grey at the start) and its index is
    appended to ``lost``."""
    header = parsed.header

    def counted():
        decoded = iter_model_clips(parsed, codec, clips, conceal)
        for clip, frames in tqdm(decoded, total=len(clips), desc="decode", unit="clip", disable=not progress,
                                 file=sys.stderr):  # fmt: skip
            if frames is None and lost is not None:
                lost.append(clip)
            yield header.frames_in_clip(clip), frames

    yield from iter_output(counted(), header.source_width, header.source_height, header.fit, header.output_shape)


def flow_transfer(
    content_stream: bytes, motion_stream: bytes, codec: FlowCodec
) -> tuple[SequenceHeader, Fraction, Iterator[np.ndarray]]:
    """The key picture of GOP *min(g, last)* of ``content_stream`` moved by the flow of GOP *g* of
    ``motion_stream`` (the motion relative to that GOP's key frame, as a face moves from it):
    ``(the content stream's header, the motion stream's fps, chunks [t, H, W, 3] uint8 at the
    content stream's geometry)``. Both streams are decoded as the chunks are drawn, one GOP and
    one output chunk at a time."""
    content, motion = read_stream(content_stream), read_stream(motion_stream)
    header = content.header
    check_output_size(header)
    check_codec(motion.header, codec)

    def chunks() -> Iterator[np.ndarray]:
        keys = (key for _, key, _ in iter_gops(content, codec, range(header.clip_count), False))
        key = None
        for _, _, flows in iter_gops(motion, codec, range(motion.header.clip_count), False):
            key = next(keys, key)  # the content's last key picture once its GOPs run out
            for flow in flows:
                yield from iter_unfit(warp(key, flow), header.source_width, header.source_height, header.fit)

    return header, motion.header.fps, chunks()


def flow_costs(parsed: ParsedStream, codec: FlowCodec) -> list[dict]:
    """Per GOP: its key picture's bytes and its flow's bytes (the rest of the payload). Every GOP
    is decoded as far as ``decode`` would refuse it (its flow and its key picture), one at a time."""
    check_codec(parsed.header, codec)
    out = []
    for unit in parsed.units:
        if unit.payload is None:
            raise CorruptPacketError(unit.damage)
        picture, _, _ = decode_unit(unit, parsed.header, codec)
        decode_picture(picture, codec.image_size)
        out.append({"picture_bytes": len(picture), "flow_bytes": len(unit.payload) - len(picture)})
    return out
