"""Rate control: the operating point and GOP length that land a whole file on a target bitrate.

The encoder runs once over the source; every candidate (operating point x GOP length) is
entropy-coded alongside (:func:`codec.encode_variants`), so the choice is made on the exact file
sizes of *this* video. Among the candidates within ``tolerance`` below the target, the shortest
GOP wins (the most frequent content refresh and random access), then the highest operating
point. Measured on faces-128 at equal rates, a fresh content beats a finer one: 1.75 kbit/s
reads 19.5 dB as quality 1 with 1 s GOPs against 19.0 dB as quality 3 with 2 s GOPs
(docs/rates.md). The target is a ceiling: outside every candidate's reach, the file is the
closest candidate below the target, or the lowest one when all are above it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .bitstream import read_stream
from .bitstream.header import MAX_GOP_SECONDS
from .clips import fitted_clips
from .codec import CodecModel, Variant, encode_variants
from .coding.keypicture import MAX_CRF
from .errors import InvalidArgumentError
from .flowcodec import FlowCodec, encode_flow_clips
from .packing import DEFAULT_GOP_SECONDS
from .settings import SamplerSettings
from .video import VideoSource
from .video.fit import to_float, to_uint8

GOP_CANDIDATES = (0.5, 0.75, 1.0, 1.5, DEFAULT_GOP_SECONDS, 3.0, 4.0, 6.0, 8.0)  # seconds
TOLERANCE = 0.10


@dataclass(frozen=True)
class Choice:
    data: bytes
    variant: Variant
    kbps: float


def kbps(size_bytes: int, frames: int, fps) -> float:
    """Whole-file bitrate in kbit/s of ``size_bytes`` for ``frames`` frames at ``fps``."""
    return 8 * size_bytes * float(fps) / frames / 1000


def quality_point(model: CodecModel | FlowCodec, quality: int) -> int:
    """``--quality N`` (1 = lowest rate .. the model's point count) -> operating point index."""
    count = model.top_point + 1
    if not 1 <= quality <= count:
        raise InvalidArgumentError(f"{model.name} has qualities 1..{count}, not {quality}")
    return quality - 1


def encode_to_rate(
    source: VideoSource,
    model: CodecModel | FlowCodec,
    target_kbps: float,
    *,
    fit: str,
    sampler: SamplerSettings | None = None,
    progress: bool = False,
    motion_prior: bool = False,
    scene_cut: float | None = None,
    probe=None,
    gop_candidates: tuple[float, ...] = GOP_CANDIDATES,
    tolerance: float = TOLERANCE,
) -> Choice:
    """Encode ``source`` at the candidate closest to ``target_kbps`` from above in quality (see
    the module text). The target is a ceiling: among the candidates within ``tolerance`` below it;
    when none is, the closest below it, or the lowest rate when all are above. The
    key-frame codec has its own: :func:`flow_encode_to_rate` (``fit``, ``progress``, ``probe``
    and ``tolerance`` only)."""
    if isinstance(model, FlowCodec):
        return flow_encode_to_rate(source, model, target_kbps, fit=fit, progress=progress, probe=probe,
                                   tolerance=tolerance)  # fmt: skip
    if not target_kbps > 0:
        raise InvalidArgumentError("the target bitrate must be positive")
    gops = sorted({g for g in gop_candidates if 0 < g <= MAX_GOP_SECONDS})
    top = model.cfg.top_point
    points = range(top + 1)
    if motion_prior and model.prior is not None and model.prior.integer.cfg.points != top + 1:
        points = [top]  # a prior trained before the model had operating points codes only the top one
    variants = [Variant(point, gop) for point in points for gop in gops]
    streams = encode_variants(source, model, fit, sampler, progress, variants, motion_prior, scene_cut, probe)
    frames, fps = _frames_and_fps(streams[0])
    rates = [kbps(len(data), frames, fps) for data in streams]
    fitting = [i for i, rate in enumerate(rates) if (1 - tolerance) * target_kbps <= rate <= target_kbps]
    if fitting:
        best = max(fitting, key=lambda i: (-variants[i].gop_seconds, variants[i].point))
    else:
        best = closest_under(rates, target_kbps)
    return Choice(streams[best], variants[best], rates[best])


def closest_under(rates: list[float], target_kbps: float) -> int:
    """The index of the highest rate at most ``target_kbps``, or of the lowest when none is."""
    under = [i for i, rate in enumerate(rates) if rate <= target_kbps]
    if under:
        return max(under, key=lambda i: rates[i])
    return min(range(len(rates)), key=lambda i: rates[i])


def _frames_and_fps(data: bytes):
    header = read_stream(data).header
    return header.frame_count, header.fps


def expected_rates(model: CodecModel) -> list[dict]:
    """Per operating point, lowest first: what its tables expect to spend (their entropy under
    the model's own statistics, static coding): content bits per GOP and motion bits per frame."""
    out = []
    for point, (groups, gain) in enumerate(model.cfg.operating_points):
        tables = model.tables_at(point)
        out.append(
            {
                "quality": point + 1,
                "motion_groups": groups,
                "content_gain": gain,
                "content_bits_per_gop": model.cfg.content_queries * _entropy_bits(tables.content, tables.precision),
                "motion_bits_per_frame": _entropy_bits(tables.motion, tables.precision),
            }
        )
    return out


def expected_kbps(rate: dict, clip_len: int, fps: float = 25.0, gop_seconds: float = DEFAULT_GOP_SECONDS) -> float:
    """Whole-stream kbit/s of an :func:`expected_rates` entry at ``fps`` with GOPs of
    ``gop_seconds`` (at least one clip), symbols only."""
    gop_frames = max(clip_len, int(gop_seconds * fps / clip_len) * clip_len)
    return (rate["content_bits_per_gop"] / gop_frames + rate["motion_bits_per_frame"]) * fps / 1000


def _entropy_bits(rows, precision: int) -> float:
    """Sum over rows of each integer frequency row's entropy in bits."""
    p = rows / float(1 << precision)
    return float(-(p * np.log2(p)).sum())


FLOW_GOPS = (DEFAULT_GOP_SECONDS, 4.0, 8.0, 1.0, 0.5)  # tried in this order: the default first


def flow_encode_to_rate(
    source: VideoSource, codec: FlowCodec, target_kbps: float, *, fit: str, progress: bool = False,
    probe=None, tolerance: float = TOLERANCE,
) -> Choice:  # fmt: skip
    """The key-frame codec's rate control. GOP lengths in ``FLOW_GOPS`` order; at each, the
    highest operating point whose file is at most ``target_kbps`` (a bisection:
    rate grows with the point) is kept when it is within ``tolerance``; otherwise that point's key
    pictures are coded at a lower AV1 rate factor than its own (but not below the next point's;
    above quality 1's up to 63 for targets below it), bisected for the file that lands. The rate
    factor is the encoder's alone: the stream stays at the point. Each try is a real encode of
    the source's clips, held in memory at the model size as uint8."""
    if not target_kbps > 0:
        raise InvalidArgumentError("the target bitrate must be positive")
    clips = [to_uint8(clip) for clip in fitted_clips(source, codec.clip_len, codec.image_size, fit, progress)]
    frames = sum(len(c) for c in clips)
    if probe is not None:
        probe(to_float(clips[0]), {})
    tried: dict[tuple[int, float, int], Choice] = {}

    def attempt(point: int, gop: float, crf: int | None = None) -> Choice:
        crf = codec.points[point].crf if crf is None else crf
        if (point, gop, crf) not in tried:
            data = encode_flow_clips(
                (to_float(c) for c in clips), codec, width=source.width, height=source.height, fps=source.fps,
                fit=fit, gop_seconds=gop, point=point, crf=crf,
            )  # fmt: skip
            tried[point, gop, crf] = Choice(data, Variant(point, gop), kbps(len(data), frames, source.fps))
        return tried[point, gop, crf]

    low, high = target_kbps * (1 - tolerance), target_kbps
    for gop in FLOW_GOPS:
        if attempt(0, gop, MAX_CRF).kbps > high or attempt(codec.top_point, gop).kbps < low:
            continue
        point = _last_true(0, codec.top_point, lambda p, gop=gop: attempt(p, gop).kbps <= high)
        if point is not None and attempt(point, gop).kbps >= low:
            return attempt(point, gop)
        if point is None:  # below quality 1: its key pictures coarser
            point, finest, coarsest = 0, codec.points[0].crf, MAX_CRF
        else:  # between this point and the next: its key pictures finer
            finest, coarsest = codec.points[point + 1].crf, codec.points[point].crf
        crf = -_last_true(-coarsest, -finest, lambda c, point=point, gop=gop: attempt(point, gop, -c).kbps <= high)
        if attempt(point, gop, crf).kbps >= low:
            return attempt(point, gop, crf)
    choices = list(tried.values())  # nothing within tolerance: the closest not above, else the lowest
    return choices[closest_under([c.kbps for c in choices], target_kbps)]


def _last_true(first: int, last: int, fits) -> int | None:
    """The largest ``i`` in ``first .. last`` with ``fits(i)``, for a ``fits`` that is true up to
    some ``i`` and false after it (bisection); ``None`` when ``fits(first)`` is false."""
    if not fits(first):
        return None
    while first < last:
        middle = (first + last + 1) // 2
        first, last = (middle, last) if fits(middle) else (first, middle - 1)
    return first
