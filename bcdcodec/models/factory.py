"""Building models with explicit seeds (for tests, conformance streams and training starts)."""

from __future__ import annotations

import numpy as np
import torch

from ..config import ModelConfig
from .bcd import BCDModel


def seeded_model(cfg: ModelConfig, seed: int = 0, warmup_clips: int = 0) -> BCDModel:
    """A randomly initialised model whose weights depend only on ``seed``.

    ``warmup_clips > 0`` codes that many random clips and sets the motion code usage to their
    code counts (plus one), so the exported motion tables are not uniform. The coding tables are
    exported; eval mode.
    """
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = BCDModel(cfg)
    model.eval()
    if warmup_clips:
        generator = torch.Generator().manual_seed(seed)
        size = (warmup_clips, cfg.clip_len, 3, cfg.image_size, cfg.image_size)
        clips = torch.rand(size, generator=generator) * 2 - 1
        with torch.no_grad():
            _, motion = model.encoder(clips)
            indices = model.motion_vq.logits(motion).argmax(-1).flatten(0, 1)  # [B*T, N]
            counts = torch.nn.functional.one_hot(indices, cfg.codebook_size).sum(0).double() + 1
            model.motion_vq.code_usage.copy_(counts / counts.sum(-1, keepdim=True))
    model.export_tables()
    return model


def moving_square_video(frames: int, height: int, width: int, seed: int = 0) -> np.ndarray:
    """A synthetic test video ``[frames, height, width, 3]`` uint8: a coloured square moving over
    a gradient background (no external data)."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width]
    base = np.stack([xx * 255 / max(width - 1, 1), yy * 255 / max(height - 1, 1), np.full_like(xx, 96)], -1)
    color = rng.integers(0, 256, 3)
    side = max(2, min(height, width) // 3)
    video = np.empty((frames, height, width, 3), dtype=np.uint8)
    for t in range(frames):
        frame = base.copy()
        top = (t * 2) % max(height - side, 1)
        left = (t * 3) % max(width - side, 1)
        frame[top : top + side, left : left + side] = color
        video[t] = frame.astype(np.uint8)
    return video
