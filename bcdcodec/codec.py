"""The codec layer: a model ready for coding, and frames <-> symbols <-> .bcd bytes.

Everything that codes goes through here: the user-facing ``api``, training validation,
evaluation, benchmarks, motion transfer and generation.
"""

from __future__ import annotations

import dataclasses
import sys
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from . import registry
from .bitstream import SequenceHeader, read_stream, write_stream
from .bitstream.format import HASH_PREFIX_BYTES, MAX_FRAMES, ParsedStream
from .checkpoint import load_checkpoint, weights_digest
from .clips import iter_clips
from .coding.ans import decode_clip, decode_clip_with_prior, encode_clip, encode_clip_with_prior
from .coding.tables import CodingTables
from .diffusion import clip_noise
from .errors import InvalidArgumentError, ModelLoadError, ModelMismatchError, VideoError
from .models.bcd import BCDModel
from .prior_file import LoadedPrior, load_prior
from .settings import SamplerSettings
from .symbols import ClipSymbols
from .video import Video, VideoSource, fit_frames, unfit_frames


@dataclass
class CodecModel:
    """A model ready for coding: network, frozen tables and identity."""

    net: BCDModel
    name: str
    digest: bytes  # sha256 of the weights
    tables: CodingTables
    prior: LoadedPrior | None = None  # autoregressive motion prior (entropy model and generator)

    @property
    def cfg(self):
        return self.net.cfg

    @property
    def hash_prefix(self) -> bytes:
        return self.digest[:HASH_PREFIX_BYTES]

    @classmethod
    def from_network(cls, net: BCDModel, name: str | None = None) -> CodecModel:
        net.eval()
        return cls(net, name or net.cfg.name, weights_digest(net), net.coding_tables())


def load_model(name_or_path: str | Path) -> CodecModel:
    """A bundled model by name (checked against its registered sha256) or a checkpoint path."""
    path = Path(name_or_path)
    if path.suffix == ".pt" or path.exists():
        net, _ = load_checkpoint(path)
        return CodecModel.from_network(net, net.cfg.name)
    entry = registry.find(str(name_or_path))
    net, _ = load_checkpoint(registry.verified_path(entry))
    if net.cfg.model_id != entry.model_id:
        raise ModelLoadError(
            f"bundled {entry.name} carries model id {net.cfg.model_id}, registry says {entry.model_id}"
        )
    return CodecModel.from_network(net, entry.name)


def attach_prior(model: CodecModel, path: str | Path) -> CodecModel:
    """``model`` with the motion prior in ``path``; refuses a prior trained on another codec."""
    prior = load_prior(path)
    if prior.codec_sha256 != model.digest.hex():
        raise ModelMismatchError(f"motion prior {path} was trained on another model than {model.name}")
    return dataclasses.replace(model, prior=prior)


def with_bundled_prior(model: CodecModel) -> CodecModel:
    """``model`` with the motion prior bundled beside it (sha256-checked); a model that already
    has a prior is returned as is. Raises :class:`ModelMismatchError` when none is bundled."""
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


def encode_source(
    source: VideoSource,
    model: CodecModel,
    fit: str,
    sampler: SamplerSettings | None,
    progress: bool,
    motion_prior: bool = False,
) -> bytes:
    cfg = model.cfg
    if motion_prior and model.prior is None:
        raise InvalidArgumentError(f"{model.name} has no motion prior loaded")
    sampler = sampler or SamplerSettings(steps=cfg.default_steps)
    total = -(-source.frame_count_hint // cfg.clip_len) if source.frame_count_hint else None
    payloads, frame_count = [], 0
    clips = iter_clips(source.frames, cfg.clip_len)
    for clip in tqdm(clips, total=total, desc="encode", unit="clip", disable=not progress, file=sys.stderr):
        frame_count += len(clip)
        if frame_count > MAX_FRAMES:
            raise VideoError(f"more than {MAX_FRAMES} frames in one stream")
        symbols = model.net.encode_symbols(fit_frames(torch.from_numpy(clip), cfg.image_size, fit))
        if motion_prior:
            rows = model.prior.integer.tables(symbols.content, symbols.motion, cfg.table_precision)
            payloads.append(encode_clip_with_prior(symbols, model.tables, rows))
        else:
            payloads.append(encode_clip(symbols, model.tables))
    if not frame_count:
        raise VideoError("no frames to encode")
    header = SequenceHeader(
        model_id=cfg.model_id,
        weights_hash=model.hash_prefix,
        source_width=source.width,
        source_height=source.height,
        fps=source.fps,
        frame_count=frame_count,
        clip_len=cfg.clip_len,
        model_size=cfg.image_size,
        operating_point=int(round(cfg.motion_bits_target)),
        sampler=sampler,
        fit=fit,
        motion_prior_hash=model.prior.digest[:HASH_PREFIX_BYTES] if motion_prior else None,
    )
    return write_stream(header, payloads)


def compress(
    frames,
    model: CodecModel,
    fps=25,
    *,
    fit: str = "stretch",
    sampler: SamplerSettings | None = None,
    progress: bool = False,
    motion_prior: bool = False,
) -> bytes:
    """Frames ``[T, H, W, 3]`` uint8 (or a :class:`Video`) -> a complete .bcd stream;
    ``motion_prior`` codes motion under the model's autoregressive prior (stream flag)."""
    video = as_video(frames, fps)
    source = VideoSource(video.width, video.height, video.fps, iter(video.frames), len(video.frames))
    return encode_source(source, model, fit, sampler, progress, motion_prior)


def check_model(header: SequenceHeader, model: CodecModel) -> None:
    """Refuse to decode a stream with any other model than the one that made it."""
    cfg = model.cfg
    if header.model_id != cfg.model_id or header.weights_hash != model.hash_prefix:
        raise ModelMismatchError(
            f"stream needs model id {header.model_id} (weights {header.weights_hash.hex()}), "
            f"got {model.name} id {cfg.model_id} (weights {model.hash_prefix.hex()})"
        )
    if header.model_size != cfg.image_size or header.operating_point != int(round(cfg.motion_bits_target)):
        raise ModelMismatchError("stream resolution or operating point differs from the model's")


def _decode_parsed(parsed: ParsedStream, model: CodecModel) -> list[ClipSymbols]:
    check_model(parsed.header, model)
    header, cfg = parsed.header, model.cfg
    if header.motion_prior_hash is None:
        return [
            decode_clip(payload, model.tables, cfg.content_queries, header.frames_in_clip(i))
            for i, payload in enumerate(parsed.packets)
        ]
    model = with_bundled_prior(model)
    if model.prior.digest[:HASH_PREFIX_BYTES] != header.motion_prior_hash:
        raise ModelMismatchError(
            f"stream needs motion prior {header.motion_prior_hash.hex()}, "
            f"got {model.prior.digest[:HASH_PREFIX_BYTES].hex()}"
        )
    integer = model.prior.integer

    def frame_rows(content, motion):
        return integer.tables(content, motion, cfg.table_precision)[-1]

    return [
        decode_clip_with_prior(payload, model.tables, cfg.content_queries, header.frames_in_clip(i), frame_rows)
        for i, payload in enumerate(parsed.packets)
    ]


def decode_symbols(data: bytes, model: CodecModel) -> tuple[SequenceHeader, list[ClipSymbols]]:
    """Parse a stream and entropy-decode every clip (no diffusion)."""
    parsed = read_stream(data)
    return parsed.header, _decode_parsed(parsed, model)


def render_clips(
    clips: list[ClipSymbols],
    header: SequenceHeader,
    model: CodecModel,
    *,
    steps: int | None = None,
    progress: bool = False,
    desc: str = "decode",
) -> np.ndarray:
    """Run the diffusion decoder on each clip's symbols with the header's sampler (``steps``
    overrides its step count) and map the frames back to the header's source geometry.
    Returns ``[T, H, W, 3]`` uint8."""
    sampler = header.sampler
    settings = SamplerSettings(sampler.kind, steps or sampler.steps, sampler.seed)
    size = model.cfg.image_size
    noise = clip_noise((3, size, size), settings.seed)
    out = []
    for symbols in tqdm(clips, desc=desc, unit="clip", disable=not progress, file=sys.stderr):
        frames = model.net.render_symbols(symbols, settings, noise)
        out.append(unfit_frames(frames, header.source_width, header.source_height, header.fit).numpy())
    return np.concatenate(out)


def decompress(
    data: bytes, model: CodecModel | None = None, *, steps: int | None = None, progress: bool = False
) -> Video:
    """A .bcd stream -> decoded :class:`Video` at the source size (see ``video.fit`` for ``crop``).

    Without ``model``, the bundled model the stream names is loaded (after the stream is verified).
    ``steps`` overrides the sampling steps recorded in the stream."""
    parsed = read_stream(data)
    model = model or load_model(registry.find_by_id(parsed.header.model_id).name)
    clips = _decode_parsed(parsed, model)
    return Video(render_clips(clips, parsed.header, model, steps=steps, progress=progress), parsed.header.fps)
