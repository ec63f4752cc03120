"""One optimisation step and its schedule."""

from __future__ import annotations

import math

import numpy as np
import torch

from .presets import TrainConfig


def learning_rate(cfg: TrainConfig, step: int) -> float:
    """Linear warm-up, then a cosine from ``lr`` down to a tenth of it."""
    if step < cfg.warmup_steps:
        return cfg.lr * (step + 1) / cfg.warmup_steps
    progress = (step - cfg.warmup_steps) / max(1, cfg.steps - cfg.warmup_steps)
    return cfg.lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1.0, progress))))


def train_step(
    net,
    model,
    optimizer: torch.optim.Optimizer,
    source,
    cfg: TrainConfig,
    step: int,
    runtime,
    rng: np.random.Generator,
    generator: torch.Generator,
) -> dict:
    """Draw this process's share of the batch, run the model (``net``: ``model`` itself or its
    DDP wrapper), step the optimiser. Returns the logged figures."""
    for group in optimizer.param_groups:
        group["lr"] = learning_rate(cfg, step)
    share = cfg.batch_clips // runtime.world
    if cfg.content_partner == "same-character":
        clips, partners = (x.to(runtime.device) for x in source.train_pairs(share, rng))
    else:
        clips, partners = source.train_batch(share, rng).to(runtime.device), None
    out = net(clips, generator=generator, partners=partners)
    loss = out.loss + out.aux_loss
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
    optimizer.step()
    return {
        "loss": round(out.loss.item(), 5),
        "diffusion": round(out.diffusion_loss.item(), 5),
        "motion_bits_per_frame": round(out.motion_bits.item(), 3),
        "content_bits_per_clip": round(out.content_bits.item(), 2),
    }
