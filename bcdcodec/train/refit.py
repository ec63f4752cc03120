"""Refit the content priors of a trained model to its encoder's content (frozen network).

The factorized prior of each operating point only sets the rate of that point's content: the
decoder sees the rounded content whatever the prior. A point added by a fine-tune starts with a
wide prior and the main learning rate moves it slowly, so its tables spend bits the content does
not need. Refitting each prior by itself (higher learning rate, the network frozen) and
re-exporting the tables fixes that without touching the pictures.
"""

from __future__ import annotations

import numpy as np
import torch

from ..models.bcd import BCDModel
from .codes import first_clip_codes


@torch.no_grad()
def collect_content(net: BCDModel, videos: np.ndarray, batch: int = 64, progress: bool = False) -> torch.Tensor:
    """``videos [S, T, H, W, 3]`` uint8 -> the encoder's content ``[S, P, K, Cc]`` of each first clip
    at each of the ``P`` operating points (by the network that codes the point; at the scale of
    ``content_gain``, running statistics)."""
    batches = first_clip_codes(net, videos, batch, progress, desc="content")
    return torch.cat([torch.stack([content for content, _ in codes], 1) for codes in batches])


def refit_content_priors(
    net: BCDModel, content: torch.Tensor, *, steps: int = 600, lr: float = 1e-2, batch: int = 256, seed: int = 0
) -> list[dict]:
    """Fit every operating point's content prior to ``content [S, P, K, Cc]`` (noisy-rounding
    likelihood plus compressai's quantile loss), then re-export the model's tables. Returns the
    mean bits per clip of each point under its prior before and after."""
    generator = torch.Generator().manual_seed(seed)
    report = []
    for point in range(net.cfg.top_point + 1):
        quantizer = net.quantizer(point)
        x = content[:, point] * net._content_scale(point)
        before = _bits(quantizer, x)
        optimizer = torch.optim.Adam(quantizer.parameters(), lr=lr)
        quantizer.train()
        for step in range(steps):
            pick = torch.randint(0, len(x), (batch,), generator=generator)
            _, bits = quantizer(x[pick])
            loss = bits.mean() + quantizer.aux_loss()
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            for group in optimizer.param_groups:
                group["lr"] = lr * (1 - step / steps)
        quantizer.eval()
        report.append(
            {"quality": point + 1, "bits_per_clip_before": before, "bits_per_clip_after": _bits(quantizer, x)}
        )
    net.export_tables()
    return report


@torch.no_grad()
def _bits(quantizer, x: torch.Tensor) -> float:
    quantizer.eval()
    return round(float(quantizer(x)[1].mean()), 2)
