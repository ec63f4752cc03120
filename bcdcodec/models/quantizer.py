"""Group vector quantizer for motion, with the entropy estimate that drives bitrate control."""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..config import ModelConfig

CODEBOOK_INIT_STD = 0.5  # about the encoder's motion output scale at initialisation


@dataclass
class GroupVQOutput:
    quantized: torch.Tensor  # [B, T, N*g] float: codebook vectors (straight-through in training)
    indices: torch.Tensor  # [B, T, N] int64 in [0, codebook_size)
    entropy_bits: torch.Tensor  # scalar: entropy of the batch-mean code distribution, bits/frame
    rate_loss: torch.Tensor  # scalar: rate term + codebook and commitment losses (training)


class GroupVQ(nn.Module):
    """N groups, each with its own codebook of S vectors of size g.

    Codes are the nearest codebook entries (argmax of the logits ``-alpha * ||m_g - e||^2``), in
    training and in coding alike. Training uses the VQ-VAE straight-through estimator: the
    encoder gets the decoder's gradient unchanged, and codebook and commitment
    (``vq_commitment``) losses pull codes and encoder outputs together. The softmax of the logits
    gives the batch entropy estimate that the rate term pulls to ``motion_bits_target``.
    ``code_usage`` keeps an exponential moving average of code frequencies, from which the
    integer coding tables are exported. (Gumbel-softmax sampling, the paper's estimator, measured
    worse on Sprites: see docs/experiments.md.)
    """

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        self.codebook = nn.Parameter(
            torch.randn(cfg.motion_groups, cfg.codebook_size, cfg.group_dim) * CODEBOOK_INIT_STD
        )
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

    def forward(self, motion: torch.Tensor) -> GroupVQOutput:
        """``motion [B, T, N*g]`` -> codes, their vectors and the rate terms."""
        logits = self.logits(motion)
        mean_probs = logits.softmax(-1).flatten(0, 1).mean(0)  # [N, S]
        entropy = -(mean_probs * torch.log2(mean_probs.clamp_min(1e-12))).sum()
        rate_loss = self.cfg.rate_loss_weight * (entropy - self.cfg.motion_bits_target) ** 2
        indices = logits.argmax(-1)
        if not self.training:
            return GroupVQOutput(self.dequantize(indices), indices, entropy, rate_loss)
        b, t, _ = motion.shape
        m = motion.view(b, t, self.cfg.motion_groups, self.cfg.group_dim)
        chosen = self.dequantize(indices).view_as(m)
        rate_loss = (
            rate_loss
            + (chosen - m.detach()).pow(2).mean()
            + self.cfg.vq_commitment * (m - chosen.detach()).pow(2).mean()
        )
        quantized = (m + (chosen - m).detach()).flatten(-2)
        with torch.no_grad():
            batch_usage = F.one_hot(indices, self.cfg.codebook_size).to(logits.dtype).flatten(0, 1).mean(0)
            self.code_usage.mul_(self.usage_momentum).add_(batch_usage, alpha=1 - self.usage_momentum)
        return GroupVQOutput(quantized, indices, entropy, rate_loss)
