"""The exponential moving average of the weights (what is saved and coded with) and the content
standardisation's statistics for it."""

from __future__ import annotations

import numpy as np
import torch

from ..models.bcd import BCDModel


@torch.no_grad()
def ema_update(ema: BCDModel, model: BCDModel, decay: float) -> None:
    """Parameters move ``1 - decay`` of the way to the live ones; buffers are copied."""
    for e, p in zip(ema.parameters(), model.parameters()):
        e.lerp_(p.detach(), 1 - decay)
    for e, b in zip(ema.buffers(), model.buffers()):
        e.copy_(b)


@torch.no_grad()
def recalibrate_content_norm(ema: BCDModel, source, rng: np.random.Generator, batches: int = 16) -> None:
    """Recompute the content standardisation's running statistics for the EMA weights, from whole
    training clips as coding sees them. The live model's statistics (copied into the EMA model at
    every step) belong to other encoder weights and, early in training, are far off."""
    norm = ema.encoder.content_norm
    device = next(ema.parameters()).device
    was_training, momentum = ema.training, norm.momentum
    ema.eval()
    norm.reset_running_stats()
    norm.momentum = None  # cumulative average over the batches below
    norm.train()
    for _ in range(batches):
        ema.encoder(source.train_batch(16, rng).to(device))
    norm.momentum = momentum
    ema.train(was_training)
