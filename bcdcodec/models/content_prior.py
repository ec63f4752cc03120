"""Content latent quantization with a learned factorized prior (compressai's EntropyBottleneck)."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn as nn

from ..coding.tables import quantize_pmf_rows
from ..compressai_loader import entropy_bottleneck_class
from ..config import ModelConfig


class ContentQuantizer(nn.Module):
    """Quantizes ``content [B, K, Cc]`` to integers and measures its rate under a learned prior.

    Symbols are ``round(c - center) + R/2`` clamped to ``[0, R)``, where ``center [Cc]`` is the
    prior's median rounded to an integer and frozen at table export.
    """

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        self.prior = entropy_bottleneck_class()(cfg.content_channels)
        self.register_buffer("center", torch.zeros(cfg.content_channels, dtype=torch.int64))

    def forward(self, content: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Returns the noisy (training) or rounded (eval) latent ``[B, K, Cc]`` and its rate in bits
        per clip ``[B]``."""
        x = content.permute(0, 2, 1).unsqueeze(-1)  # [B, Cc, K, 1]
        y, likelihoods = self.prior(x)
        bits = -torch.log2(likelihoods).flatten(1).sum(1)
        # training: the decoder sees the prior's noisy latent (x + U(-1/2, 1/2)); eval: rounded
        return y.squeeze(-1).permute(0, 2, 1), bits

    def aux_loss(self) -> torch.Tensor:
        """compressai's quantile loss, which keeps the prior's medians and tails estimates current."""
        return self.prior.loss()

    def to_symbols(self, content: torch.Tensor) -> torch.Tensor:
        """``[B, K, Cc]`` float -> ``[B, K, Cc]`` int64 in ``[0, R)``."""
        half = self.cfg.content_symbol_range // 2
        q = torch.round(content) - self.center.to(content.dtype)
        return (q.clamp(-half, half - 1) + half).long()

    def from_symbols(self, symbols: torch.Tensor) -> torch.Tensor:
        """Inverse of :meth:`to_symbols`: ``[B, K, Cc]`` int -> float latent."""
        half = self.cfg.content_symbol_range // 2
        return (symbols - half + self.center).float()

    @torch.no_grad()
    def export_table(self, precision: int) -> np.ndarray:
        """Freeze ``center`` and return the integer table ``[Cc, R]`` of the prior over the symbol
        range; the mass outside the range goes to the edge symbols (where clamping sends it)."""
        half = self.cfg.content_symbol_range // 2
        medians = self.prior.quantiles[:, 0, 1].detach()
        self.center.copy_(torch.round(medians).long())
        offsets = torch.arange(-half, half, dtype=torch.float32, device=self.center.device)
        values = offsets[None, :] + self.center[:, None].float()  # [Cc, R]
        lower = self.prior._logits_cumulative(values[:, None, :] - 0.5, stop_gradient=True)
        upper = self.prior._logits_cumulative(values[:, None, :] + 0.5, stop_gradient=True)
        cdf_low = torch.sigmoid(lower).squeeze(1).double()
        cdf_high = torch.sigmoid(upper).squeeze(1).double()
        pmf = (cdf_high - cdf_low).clamp_min(0)
        pmf[:, 0] += cdf_low[:, 0]
        pmf[:, -1] += 1 - cdf_high[:, -1]
        return quantize_pmf_rows(pmf.cpu().numpy(), precision)
