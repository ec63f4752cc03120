"""Python API: load a model, compress frames to .bcd bytes, decompress them back.

    >>> model = load_model("path/to/model.pt")          # or a bundled name
    >>> data = compress(frames, model, fps=25)          # frames: [T, H, W, 3] uint8
    >>> video = decompress(data, model)                 # video.frames, video.fps
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from . import registry
from .bitstream import SequenceHeader, read_stream, write_stream
from .bitstream.format import HASH_PREFIX_BYTES, ParsedStream
from .checkpoint import load_checkpoint, weights_digest
from .coding.ans import ClipSymbols, decode_clip, encode_clip
from .coding.tables import CodingTables
from .diffusion import SamplerSettings, clip_noise
from .errors import InvalidArgumentError, ModelLoadError, ModelMismatchError, StreamError, VideoError
from .fileio import write_bytes_atomic
from .models.bcd import BCDModel
from .video import Video, fit_frames, read_video, unfit_frames, write_video


@dataclass
class CodecModel:
    """A model ready for coding: network, frozen tables and identity."""

    net: BCDModel
    name: str
    digest: bytes          # sha256 of the weights
    tables: CodingTables

    @property
    def cfg(self):
        return self.net.cfg

    @property
    def hash_prefix(self) -> bytes:
        return self.digest[:HASH_PREFIX_BYTES]

    @classmethod
    def from_network(cls, net: BCDModel, name: str | None = None) -> "CodecModel":
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
        raise ModelLoadError(f"bundled {entry.name} carries model id {net.cfg.model_id}, registry says {entry.model_id}")
    return CodecModel.from_network(net, entry.name)


def _as_video(frames, fps) -> Video:
    if isinstance(frames, Video):
        return frames
    frames = np.asarray(frames)
    if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8:
        raise VideoError(f"frames must be [T, H, W, 3] uint8, got {frames.dtype} {tuple(frames.shape)}")
    if frames.shape[0] == 0:
        raise VideoError("no frames to encode")
    return Video(frames, Fraction(fps).limit_denominator(1001 * 1000))


def encode_clips(video: Video, model: CodecModel, fit: str = "stretch", progress: bool = False) -> list[ClipSymbols]:
    """Cut ``video`` into clips of ``clip_len`` frames and return each clip's symbols."""
    cfg = model.cfg
    symbols = []
    starts = range(0, len(video.frames), cfg.clip_len)
    for start in tqdm(starts, desc="encode", unit="clip", disable=not progress, file=sys.stderr):
        chunk = torch.from_numpy(np.ascontiguousarray(video.frames[start:start + cfg.clip_len]))
        symbols.append(model.net.encode_symbols(fit_frames(chunk, cfg.image_size, fit)))
    return symbols


def compress(frames, model: CodecModel, fps=25, *, fit: str = "stretch", sampler: SamplerSettings | None = None,
             progress: bool = False) -> bytes:
    """Frames ``[T, H, W, 3]`` uint8 (or a :class:`Video`) -> a complete .bcd stream."""
    video = _as_video(frames, fps)
    cfg = model.cfg
    sampler = sampler or SamplerSettings(steps=cfg.default_steps)
    header = SequenceHeader(
        model_id=cfg.model_id, weights_hash=model.hash_prefix, source_width=video.width,
        source_height=video.height, fps=video.fps, frame_count=len(video.frames), clip_len=cfg.clip_len,
        model_size=cfg.image_size, operating_point=int(round(cfg.motion_bits_target)), sampler=sampler, fit=fit,
    )
    clips = encode_clips(video, model, fit, progress)
    return write_stream(header, [encode_clip(s, model.tables) for s in clips])


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


def decode_symbols(data: bytes, model: CodecModel) -> tuple[SequenceHeader, list[ClipSymbols]]:
    """Parse a stream and entropy-decode every clip (no diffusion)."""
    parsed = read_stream(data)
    check_model(parsed.header, model)
    symbols = [
        decode_clip(payload, model.tables, model.cfg.content_queries, parsed.header.frames_in_clip(i))
        for i, payload in enumerate(parsed.packets)
    ]
    return parsed.header, symbols


def model_for_stream(data: bytes) -> CodecModel:
    """The bundled model a stream names in its header."""
    header = read_stream(data).header
    return load_model(registry.find_by_id(header.model_id).name)


def decompress(data: bytes, model: CodecModel | None = None, *, steps: int | None = None,
               progress: bool = False) -> Video:
    """A .bcd stream -> decoded :class:`Video` at the source size (see ``video.fit`` for ``crop``).

    ``steps`` overrides the sampling steps recorded in the stream."""
    model = model or model_for_stream(data)
    header, clips = decode_symbols(data, model)
    settings = header.sampler
    if steps is not None:
        settings = SamplerSettings(settings.kind, steps, settings.seed)
    size = model.cfg.image_size
    noise = clip_noise((3, size, size), settings.seed)
    out = []
    for symbols in tqdm(clips, desc="decode", unit="clip", disable=not progress, file=sys.stderr):
        frames = model.net.decode_symbols(symbols, settings, noise)
        out.append(unfit_frames(frames, header.source_width, header.source_height, header.fit).numpy())
    return Video(np.concatenate(out), header.fps)


def stream_info(data: bytes) -> dict:
    """Header fields and per-clip sizes of a stream, as plain JSON-able data (no model needed)."""
    parsed: ParsedStream = read_stream(data)
    h = parsed.header
    seconds = h.frame_count / float(h.fps)
    return {
        "version": f"{h.version[0]}.{h.version[1]}",
        "model_id": h.model_id,
        "weights_hash_prefix": h.weights_hash.hex(),
        "source_width_px": h.source_width,
        "source_height_px": h.source_height,
        "fps": str(h.fps),
        "frame_count": h.frame_count,
        "clip_len_frames": h.clip_len,
        "clip_count": h.clip_count,
        "model_size_px": h.model_size,
        "fit": h.fit,
        "operating_point_bits_per_frame": h.operating_point,
        "sampler": {"kind": h.sampler.kind, "steps": h.sampler.steps, "seed": h.sampler.seed},
        "file_bytes": len(data),
        "header_bytes": parsed.header_size,
        "framing_bytes": parsed.packet_overhead,
        "clip_payload_bytes": [len(p) for p in parsed.packets],
        "bitrate_kbps": round(len(data) * 8 / seconds / 1000, 4),
        "bits_per_pixel": round(len(data) * 8 / (h.frame_count * h.source_width * h.source_height), 6),
    }


def compress_file(src: str | Path, dst: str | Path, model: CodecModel, *, force: bool = False, fit: str = "stretch",
                  sampler: SamplerSettings | None = None, size: tuple[int, int] | None = None,
                  fps: Fraction | None = None, max_frames: int | None = None, progress: bool = False) -> bytes:
    """Read a video file, compress it, write the .bcd atomically. Returns the stream."""
    video = read_video(src, size=size, fps=fps, max_frames=max_frames)
    data = compress(video, model, fit=fit, sampler=sampler, progress=progress)
    write_bytes_atomic(dst, data, force)
    return data


def decompress_file(src: str | Path, dst: str | Path, model: CodecModel | None = None, *, force: bool = False,
                    steps: int | None = None, progress: bool = False) -> Video:
    """Decode a .bcd file and write the video (.mp4/.mkv/.mov, .y4m, or a PNG folder) atomically."""
    try:
        data = Path(src).read_bytes()
    except OSError as exc:
        raise InvalidArgumentError(f"cannot read {src}: {exc.strerror}") from None
    video = decompress(data, model, steps=steps, progress=progress)
    write_video(video, dst, force)
    return video


__all__ = [
    "CodecModel", "load_model", "compress", "decompress", "compress_file", "decompress_file",
    "decode_symbols", "stream_info", "StreamError",
]
