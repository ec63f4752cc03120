"""Transformer encoder: a clip in, one content latent and one motion vector per frame out."""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..config import ModelConfig
from .layers import EncoderBlock, RelativePositionBias, patchify, sincos_grid_embedding


class GridContentEncoder(nn.Module):
    """A frame ``[B, 3, S, S]`` in ``[-1, 1]`` -> content ``[B, K, Cc]``, one latent per patch
    position (K = (S / patch)^2, rows then columns): patch embeddings with 2-D positions, two
    transformer blocks (each patch sees the whole face), a linear head."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        d = cfg.enc_dim
        self.patch = nn.Linear(3 * cfg.patch_size**2, d)
        self.pos = nn.Parameter(sincos_grid_embedding(cfg.image_size // cfg.patch_size, d))
        self.blocks = nn.ModuleList(EncoderBlock(d, cfg.enc_heads) for _ in range(2))
        self.norm = nn.LayerNorm(d)
        self.head = nn.Linear(d, cfg.content_channels)

    def forward(self, frame: torch.Tensor) -> torch.Tensor:
        x = self.patch(patchify(frame, self.cfg.patch_size)) + self.pos
        for block in self.blocks:
            x = block(x, None)
        return self.head(self.norm(x))


class MotionContentEncoder(nn.Module):
    """T5-style encoder with K learnable content queries prepended to one token per frame.

    ``forward(frames [B, T, 3, S, S] in [-1, 1])`` returns
    ``content [B, K, Cc]`` (unquantized) and ``motion [B, T, N*g]`` (before the group VQ).
    Each content value is standardised (batch statistics in training, running statistics in eval
    mode) and then scaled by ``content_gain``: roughly ``N(0, gain^2)``. Without it the
    clip-dependent part of the content starts ~100x below the rounding noise, the decoder ignores
    content, and the rate term collapses it.
    """

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        patch_dim = 3 * cfg.patch_size**2
        self.patch_embed = nn.Linear(patch_dim, cfg.patch_embed_dim)
        self.frame_embed = nn.Sequential(
            nn.LayerNorm(cfg.patches_per_frame * cfg.patch_embed_dim),
            nn.Linear(cfg.patches_per_frame * cfg.patch_embed_dim, cfg.enc_dim),
        )
        # modules are created in the order of 0.1, so that a seeded model draws the same weights
        if not cfg.content_grid:
            self.content_queries = nn.Parameter(torch.randn(cfg.content_queries, cfg.enc_dim) * 0.02)
        self.position_bias = RelativePositionBias(cfg.enc_heads)
        self.blocks = nn.ModuleList(EncoderBlock(cfg.enc_dim, cfg.enc_heads) for _ in range(cfg.enc_layers))
        self.norm = nn.LayerNorm(cfg.enc_dim)
        if cfg.content_grid:
            self.grid_content = GridContentEncoder(cfg)
        else:
            self.content_head = nn.Linear(cfg.enc_dim, cfg.content_channels)
        self.motion_head = nn.Linear(cfg.enc_dim, cfg.motion_dim)
        self.content_norm = nn.BatchNorm1d(cfg.content_queries * cfg.content_channels, affine=False, momentum=0.01)

    def forward(self, frames: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        b, t = frames.shape[:2]
        k = 0 if self.cfg.content_grid else self.cfg.content_queries
        patches = self.patch_embed(patchify(frames.flatten(0, 1), self.cfg.patch_size))
        frame_tokens = self.frame_embed(patches.flatten(1)).view(b, t, -1)
        if k:
            x = torch.cat([self.content_queries.expand(b, -1, -1), frame_tokens], dim=1)
        else:
            x = frame_tokens
        bias = self.position_bias(k + t)
        for block in self.blocks:
            x = block(x, bias)
        x = self.norm(x)
        content = self.grid_content(frames[:, 0]) if self.cfg.content_grid else self.content_head(x[:, :k])
        flat = content.flatten(1)
        if self.training and b == 1:  # one clip has no batch statistics: use the running ones
            flat = F.batch_norm(flat, self.content_norm.running_mean, self.content_norm.running_var, training=False)
        else:
            flat = self.content_norm(flat)
        content = flat.view_as(content)
        return content * self.cfg.content_gain, self.motion_head(x[:, k:])
