"""Group vector quantizer for motion, with the entropy estimate that drives bitrate control."""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..config import ModelConfig


@dataclass
class GroupVQOutput:
    quantized: torch.Tensor   # [B, T, N*g] float: codebook vectors (straight-through in training)
    indices: torch.Tensor     # [B, T, N] int64 in [0, codebook_size)
    entropy_bits: torch.Tensor  # scalar: entropy of the batch-mean code distribution, bits/frame
    rate_loss: torch.Tensor   # scalar: weight * (entropy - target)^2


class GroupVQ(nn.Module):
    """N groups, each with its own codebook of S vectors of size g.

    Logits are ``-alpha * ||m_g - e||^2``. Training draws a hard straight-through Gumbel-softmax
    sample at temperature ``tau``; with ``vq_gumbel=False`` it takes the argmax with the VQ-VAE
    straight-through estimator plus codebook and commitment (``vq_commitment``) losses. Evaluation takes the
    argmax. ``code_usage`` keeps an
    exponential moving average of code frequencies, from which the integer coding tables are
    exported.
    """

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        self.codebook = nn.Parameter(torch.randn(cfg.motion_groups, cfg.codebook_size, cfg.group_dim) * cfg.codebook_init_std)
        self.register_buffer("code_usage", torch.full((cfg.motion_groups, cfg.codebook_size), 1.0 / cfg.codebook_size))
        self.usage_momentum = 0.99

    def logits(self, motion: torch.Tensor) -> torch.Tensor:
        """``[B, T, N*g]`` -> ``[B, T, N, S]``."""
        b, t, _ = motion.shape
        m = motion.view(b, t, self.cfg.motion_groups, 1, self.cfg.group_dim)
        return -self.cfg.vq_alpha * (m - self.codebook).pow(2).sum(-1)

    def dequantize(self, indices: torch.Tensor) -> torch.Tensor:
        """``[B, T, N]`` int -> ``[B, T, N*g]`` codebook vectors."""
        groups = torch.arange(self.cfg.motion_groups, device=indices.device)
        return self.codebook[groups, indices].flatten(-2)

    def forward(self, motion: torch.Tensor, tau: float = 1.0, generator: torch.Generator | None = None) -> GroupVQOutput:
        logits = self.logits(motion)
        probs = logits.softmax(-1)
        mean_probs = probs.flatten(0, 1).mean(0)  # [N, S]
        entropy = -(mean_probs * torch.log2(mean_probs.clamp_min(1e-12))).sum()
        rate_loss = self.cfg.rate_loss_weight * (entropy - self.cfg.motion_bits_target) ** 2
        if self.cfg.vq_confidence_weight:
            per_sample = -(probs * torch.log2(probs.clamp_min(1e-12))).sum((-1, -2)).mean()
            rate_loss = rate_loss + self.cfg.vq_confidence_weight * per_sample
        if self.training and not self.cfg.vq_gumbel:
            # VQ-VAE straight-through: the encoder gets the decoder's gradient unchanged (a softmax
            # gradient vanishes once the logits are peaked); codebook and commitment losses pull
            # codes and encoder outputs together
            indices = logits.argmax(-1)
            b, t, _ = motion.shape
            m = motion.view(b, t, self.cfg.motion_groups, self.cfg.group_dim)
            chosen = self.dequantize(indices).view_as(m)
            rate_loss = rate_loss + (chosen - m.detach()).pow(2).mean() + self.cfg.vq_commitment * (m - chosen.detach()).pow(2).mean()
            quantized = (m + (chosen - m).detach()).flatten(-2)
        elif self.training:
            uniform = torch.rand(logits.shape, generator=generator, device=logits.device)
            soft = F.softmax((logits - torch.log(-torch.log(uniform.clamp(1e-9, 1 - 1e-9)))) / tau, dim=-1)
            indices = soft.argmax(-1)
            hard = F.one_hot(indices, self.cfg.codebook_size).to(soft.dtype)
            weights = hard - soft.detach() + soft
            quantized = torch.einsum("btns,nsg->btng", weights, self.codebook).flatten(-2)
        else:
            indices = logits.argmax(-1)
            quantized = self.dequantize(indices)
        if self.training:
            with torch.no_grad():
                batch_usage = F.one_hot(indices, self.cfg.codebook_size).to(logits.dtype).flatten(0, 1).mean(0)
                self.code_usage.mul_(self.usage_momentum).add_(batch_usage, alpha=1 - self.usage_momentum)
        return GroupVQOutput(quantized, indices, entropy, rate_loss)
