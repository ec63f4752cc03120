"""Autoregressive motion generation: the motion prior samples motion codes for a content latent
(optionally continuing a given start), and the diffusion decoder renders them."""

from __future__ import annotations

import numpy as np
import torch

from .bitstream import SequenceHeader
from .codec import CodecModel
from .decoding import decode_symbols, render_clips
from .errors import InvalidArgumentError
from .symbols import ClipSymbols
from .video import Video

MAX_GENERATED_FRAMES = 100_000


@torch.no_grad()
def sample_motion(
    model: CodecModel,
    content: np.ndarray,
    frames: int,
    *,
    prefix: np.ndarray | None = None,
    temperature: float = 1.0,
    top_k: int = 0,
    seed: int = 0,
) -> np.ndarray:
    """``content [K, Cc]`` symbols -> motion indices ``[P + frames, N]`` int32, where ``prefix
    [P, N]`` (default none) is kept and continued. Frame ``t`` is drawn from the prior given the
    content and the last ``max_frames - 1`` frames, per group with ``temperature`` and ``top_k``
    (0 = all codes), from a generator seeded with ``seed``."""
    if model.prior is None:
        raise InvalidArgumentError(f"{model.name} has no motion prior loaded")
    if not 1 <= frames <= MAX_GENERATED_FRAMES:
        raise InvalidArgumentError(f"frames must be in 1 … {MAX_GENERATED_FRAMES}")
    if not temperature > 0:
        raise InvalidArgumentError("temperature must be positive")
    prior = model.prior.net
    cfg = prior.cfg
    generator = torch.Generator().manual_seed(seed)
    motion = (
        torch.zeros((0, cfg.motion_groups), dtype=torch.long)
        if prefix is None
        else torch.from_numpy(np.asarray(prefix, dtype=np.int64))
    )
    content_t = torch.from_numpy(np.asarray(content, dtype=np.int64))[None]
    for _ in range(frames):
        window = motion[-(cfg.max_frames - 1) :]
        placeholder = torch.zeros((1, cfg.motion_groups), dtype=torch.long)
        logits = prior(content_t, torch.cat([window, placeholder])[None])[0, -1] / temperature  # [N, S]
        if 0 < top_k < cfg.codebook_size:
            cutoff = logits.topk(top_k, dim=-1).values[:, -1:]
            logits = logits.masked_fill(logits < cutoff, float("-inf"))
        codes = torch.multinomial(logits.softmax(-1), 1, generator=generator)[:, 0]
        motion = torch.cat([motion, codes[None]])
    return motion.numpy().astype(np.int32)


def generated_clips(
    content_stream: bytes,
    model: CodecModel,
    frames: int,
    *,
    continue_motion: bool = False,
    temperature: float = 1.0,
    top_k: int = 0,
    seed: int = 0,
) -> tuple[SequenceHeader, list[ClipSymbols]]:
    """The symbols of ``frames`` new frames of the first clip's content of ``content_stream``
    (with ``continue_motion``, the first clip's own motion first, then its continuation), in clips,
    and the content stream's header (geometry, sampler, rate)."""
    header, clips = decode_symbols(content_stream, model)
    first = clips[0]
    prefix = first.motion if continue_motion else None
    motion = sample_motion(model, first.content, frames, prefix=prefix, temperature=temperature, top_k=top_k, seed=seed)
    clip_len = model.cfg.clip_len
    return header, [ClipSymbols(first.content, motion[i : i + clip_len]) for i in range(0, len(motion), clip_len)]


def generate(content_stream: bytes, model: CodecModel, frames: int, *, steps: int | None = None,
             progress: bool = False, **sampling) -> Video:  # fmt: skip
    """Render ``frames`` new frames of the first clip's content of ``content_stream`` (see
    :func:`generated_clips` for ``continue_motion``, ``temperature``, ``top_k`` and ``seed``)."""
    header, chunks = generated_clips(content_stream, model, frames, **sampling)
    return Video(render_clips(chunks, header, model, steps=steps, progress=progress, desc="generate"), header.fps)
