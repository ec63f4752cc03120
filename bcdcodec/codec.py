"""The codec layer, encoding side: a model ready for coding, and frames -> symbols -> .bcd bytes
(the way back is :mod:`decoding`).

Everything that codes goes through here: the user-facing ``api``, training validation,
evaluation, benchmarks, motion transfer and generation.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np
import torch

from . import registry
from .bitstream import HASH_PREFIX_BYTES, SequenceHeader, write_stream
from .bitstream.header import MAX_GOP_SECONDS
from .checkpoint import load_checkpoint, weights_digest
from .clips import fitted_clips
from .coding.tables import CodingTables
from .errors import InvalidArgumentError, ModelLoadError, ModelMismatchError, VideoError
from .flowcodec import FACES_FLOW, FlowCodec, encode_flow_source
from .models.bcd import BCDModel
from .packing import DEFAULT_GOP_SECONDS, DEFAULT_SCENE_CUT, GopWriter, PriorRows
from .prior_file import LoadedPrior, load_prior
from .refine import ContentRefiner
from .settings import SamplerSettings
from .symbols import ClipSymbols
from .typicality import ContentTypicality
from .video import Video, VideoSource


@dataclass
class CodecModel:
    """A model ready for coding: network, frozen tables and identity."""

    net: BCDModel
    name: str
    digest: bytes  # sha256 of the weights
    tables: CodingTables
    prior: LoadedPrior | None = None  # autoregressive motion prior (entropy model and generator)
    typicality: ContentTypicality | None = None  # its training clips' content (models refitted since)

    @property
    def cfg(self):
        return self.net.cfg

    @property
    def hash_prefix(self) -> bytes:
        return self.digest[:HASH_PREFIX_BYTES]

    # what CodecModel shares with the key-frame codec (flowcodec.FlowCodec)
    @property
    def image_size(self) -> int:
        return self.cfg.image_size

    @property
    def fit(self) -> str:
        return self.cfg.fit

    @property
    def top_point(self) -> int:
        return self.cfg.top_point

    @property
    def default_point(self) -> int:
        """The operating point a stream that names none is coded at: the top one."""
        return self.top_point

    def tables_at(self, point: int | None) -> CodingTables:
        """The tables of operating ``point`` (``None`` or the top point: :attr:`tables`)."""
        if point is None or point == self.cfg.top_point:
            return self.tables
        return self.net.coding_tables(point)

    @classmethod
    def from_network(cls, net: BCDModel, name: str | None = None, extra: dict | None = None) -> CodecModel:
        """``extra``: the checkpoint's plain data (where the content typicality is kept)."""
        net.eval()
        typicality = ContentTypicality.from_extra(extra or {})
        return cls(net, name or net.cfg.name, weights_digest(net), net.coding_tables(), typicality=typicality)


def load_model(name_or_path: str | Path) -> CodecModel | FlowCodec:
    """A bundled model by name (checked against its registered sha256) or a checkpoint path. The
    key-frame codec (``faces-flow-128``) has no weights: its :class:`FlowCodec` is returned."""
    path = Path(name_or_path)
    if path.suffix == ".pt" or path.exists():
        net, extra = load_checkpoint(path)
        return CodecModel.from_network(net, net.cfg.name, extra)
    entry = registry.find(str(name_or_path))
    if entry.kind == registry.FLOW_KIND:
        return FACES_FLOW
    net, extra = load_checkpoint(registry.verified_path(entry))
    if net.cfg.model_id != entry.model_id:
        raise ModelLoadError(
            f"bundled {entry.name} carries model id {net.cfg.model_id}, registry says {entry.model_id}"
        )
    return CodecModel.from_network(net, entry.name, extra)


def require_diffusion(model: CodecModel | FlowCodec, what: str) -> CodecModel:
    """``model``, refused with :class:`ModelMismatchError` when it is the key-frame codec (no
    diffusion decoder, no motion codes) and ``what`` needs one."""
    if isinstance(model, FlowCodec):
        raise ModelMismatchError(f"{what} needs a diffusion model (faces-128, sprites-64); {model.name} has none")
    return model


def attach_prior(model: CodecModel, path: str | Path) -> CodecModel:
    """``model`` with the motion prior in ``path``; refuses a prior trained on another codec."""
    prior = load_prior(path)
    if prior.codec_sha256 != model.digest.hex():
        raise ModelMismatchError(f"motion prior {path} was trained on another model than {model.name}")
    return dataclasses.replace(model, prior=prior)


def with_bundled_prior(model: CodecModel) -> CodecModel:
    """``model`` with the motion prior bundled beside it (sha256-checked); a model that already
    has a prior is returned as is. Raises :class:`ModelMismatchError` when none is bundled."""
    if isinstance(model, FlowCodec):
        raise ModelMismatchError(f"{model.name} has no motion prior (it codes a picture and a flow, no motion codes)")
    if model.prior is not None:
        return model
    try:
        entry = registry.find(model.name)
    except ModelLoadError:
        entry = None
    if entry is None or not entry.prior_filename:
        raise ModelMismatchError(f"no motion prior is bundled for {model.name} (pass --prior)")
    return attach_prior(model, registry.verified_prior_path(entry))


def as_video(frames, fps) -> Video:
    if isinstance(frames, Video):
        return frames
    frames = np.asarray(frames)
    if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8:
        raise VideoError(f"frames must be [T, H, W, 3] uint8, got {frames.dtype} {tuple(frames.shape)}")
    if frames.shape[0] == 0:
        raise VideoError("no frames to encode")
    return Video(frames, Fraction(fps).limit_denominator(1001 * 1000))


def frames_source(frames, fps) -> VideoSource:
    """Frames ``[T, H, W, 3]`` uint8 (or a :class:`Video`) at ``fps`` as a source the encoder streams."""
    video = as_video(frames, fps)
    return VideoSource(video.width, video.height, video.fps, iter(video.frames), len(video.frames))


@dataclass(frozen=True)
class Variant:
    """One way to write a stream: an operating point (``None``: the model's top one) and a GOP
    length in seconds."""

    point: int | None = None
    gop_seconds: float = DEFAULT_GOP_SECONDS


def encode_source(
    source: VideoSource,
    model: CodecModel | FlowCodec,
    fit: str,
    sampler: SamplerSettings | None,
    progress: bool,
    motion_prior: bool = False,
    gop_seconds: float = DEFAULT_GOP_SECONDS,
    scene_cut: float | None = DEFAULT_SCENE_CUT,
    probe: Callable[[torch.Tensor, dict[int, ClipSymbols]], None] | None = None,
    point: int | None = None,
    refine_steps: int = 0,
) -> bytes:
    """Encode a video source (one clip in memory at a time) into a 2.0 stream at operating
    ``point`` (default: the top one): a GOP starts every ``gop_seconds`` (at least one clip) and
    at a scene cut (see :class:`packing.GopWriter`). ``probe(frames [T, 3, S, S], {point:
    symbols})`` is called with the first clip as the model sees it and its symbols (the quality
    check of ``fitcheck`` uses them). ``refine_steps``: see :mod:`refine` (0: off). A
    :class:`FlowCodec` takes only ``fit``, ``progress``, ``gop_seconds``, ``probe`` and ``point``."""
    if isinstance(model, FlowCodec):
        return encode_flow_source(source, model, fit, progress, gop_seconds, point, probe)
    variant = Variant(point, gop_seconds)
    return encode_variants(
        source, model, fit, sampler, progress, [variant], motion_prior, scene_cut, probe, refine_steps
    )[0]


def encode_variants(
    source: VideoSource,
    model: CodecModel,
    fit: str,
    sampler: SamplerSettings | None,
    progress: bool,
    variants: list[Variant],
    motion_prior: bool = False,
    scene_cut: float | None = DEFAULT_SCENE_CUT,
    probe: Callable[[torch.Tensor, dict[int, ClipSymbols]], None] | None = None,
    refine_steps: int = 0,
) -> list[bytes]:
    """:func:`encode_source` into every variant at once, from one pass of the encoder over the
    source (rate control chooses among them; only the output bytes are kept per variant).
    ``refine_steps``: fit each GOP's content to its frames (:mod:`refine`; GOP frames are kept
    in memory until the GOP closes)."""
    cfg = model.cfg
    if motion_prior and model.prior is None:
        raise InvalidArgumentError(f"{model.name} has no motion prior loaded")
    for variant in variants:
        if variant.point is not None and not 0 <= variant.point <= cfg.top_point:
            raise InvalidArgumentError(f"{model.name} has operating points 0..{cfg.top_point}, not {variant.point}")
        if not 0 < variant.gop_seconds <= MAX_GOP_SECONDS:
            raise InvalidArgumentError(f"GOP length must be in (0, {MAX_GOP_SECONDS:g}] seconds")
    sampler = sampler or SamplerSettings(steps=cfg.default_steps)
    chosen = [cfg.top_point if v.point is None else v.point for v in variants]  # None: the top point
    points = sorted(set(chosen))
    writers = [
        GopWriter(
            model.tables_at(point),
            max(1, int(v.gop_seconds * source.fps / cfg.clip_len)),
            cfg.operating_points[point][1],
            scene_cut,
            prior_rows(model, point) if motion_prior else None,
            ContentRefiner(model.net, point, refine_steps) if refine_steps else None,
        )
        for v, point in zip(variants, chosen)
    ]
    frame_count = 0
    for fitted in fitted_clips(source, cfg.clip_len, cfg.image_size, fit, progress):
        frame_count += len(fitted)
        symbols = dict(zip(points, model.net.encode_points(fitted, points)))
        if probe is not None and frame_count == len(fitted):
            probe(fitted, symbols)
        for point, writer in zip(chosen, writers):
            writer.add(symbols[point], fitted if refine_steps else None)
    default_sampler = sampler.kind == "euler" and sampler.steps == cfg.default_steps
    streams = []
    for variant, writer in zip(variants, writers):
        header = SequenceHeader(
            model_id=cfg.model_id,
            weights_hash=model.hash_prefix,
            source_width=source.width,
            source_height=source.height,
            fps=source.fps,
            frame_count=frame_count,
            clip_len=cfg.clip_len,
            sampler_kind=sampler.kind,
            sampler_steps=None if default_sampler else sampler.steps,
            seed=sampler.seed,
            fit=fit,
            motion_prior_hash=model.prior.digest[:HASH_PREFIX_BYTES] if motion_prior else None,
            operating_point=None if variant.point in (None, cfg.top_point) else variant.point,
        )
        streams.append(write_stream(header, writer.finish()))
    return streams


def compress(
    frames,
    model: CodecModel,
    fps=25,
    *,
    fit: str = "stretch",
    sampler: SamplerSettings | None = None,
    progress: bool = False,
    motion_prior: bool = False,
    gop_seconds: float = DEFAULT_GOP_SECONDS,
    scene_cut: float | None = DEFAULT_SCENE_CUT,
    point: int | None = None,
    refine_steps: int = 0,
) -> bytes:
    """Frames ``[T, H, W, 3]`` uint8 (or a :class:`Video`) -> a complete .bcd stream at operating
    ``point`` (default: the top one; the key-frame codec: its own); ``motion_prior`` codes motion
    under the model's autoregressive prior (stream flag); ``refine_steps`` fits each GOP's content
    to its frames. A :class:`FlowCodec` takes only ``fit``, ``gop_seconds`` and ``point``."""
    return encode_source(
        frames_source(frames, fps),
        model,
        fit,
        sampler,
        progress,
        motion_prior,
        gop_seconds,
        scene_cut,
        None,
        point,
        refine_steps,
    )


def check_model(header: SequenceHeader, model: CodecModel) -> None:
    """Refuse to decode a stream with any other model than the one that made it."""
    cfg = model.cfg
    if header.model_id != cfg.model_id or header.weights_hash != model.hash_prefix:
        raise ModelMismatchError(
            f"stream needs model id {header.model_id} (weights {header.weights_hash.hex()}), "
            f"got {model.name} id {cfg.model_id} (weights {model.hash_prefix.hex()})"
        )
    if header.version[0] == 1:
        if header.model_size != cfg.image_size or header.operating_point != int(round(cfg.motion_bits_target)):
            raise ModelMismatchError("stream resolution or operating point differs from the model's")
    elif header.operating_point is not None and header.operating_point > cfg.top_point:
        raise ModelMismatchError(
            f"stream uses operating point {header.operating_point}, {model.name} has 0..{cfg.top_point}"
        )


def stream_point(header: SequenceHeader) -> int | None:
    """The operating point a stream was coded at (``None``: the model's top one). A 1.x header's
    operating point is the model's motion rate, which :func:`check_model` checks instead."""
    return header.operating_point if header.version[0] > 1 else None


def prior_rows(model: CodecModel, point: int | None) -> PriorRows:
    """The motion prior's coding rows at operating ``point`` of the codec (``None``: the top)."""
    integer, precision = model.prior.integer, model.cfg.table_precision
    if point is not None and point != model.cfg.top_point and integer.cfg.points != model.cfg.top_point + 1:
        raise InvalidArgumentError(f"this motion prior codes only the top operating point of {model.name}")
    point = None if point in (None, model.cfg.top_point) else point
    return lambda content, motion: integer.tables(content, motion, precision, point)
