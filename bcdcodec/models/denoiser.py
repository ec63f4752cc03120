"""Conditional diffusion denoiser: a small DiT with spatial and temporal attention.

Conditioning, as in BCD: the per-frame motion embedding is added to the noise-level embedding
(adaLN), and the clip's content tokens are concatenated to each frame's patch tokens. An embedding
of both is also added to every patch token at the input: a path from the codes to the output
that no gate blocks at the start of training.
"""

from __future__ import annotations

import torch
import torch.nn as nn

from ..config import ModelConfig
from .appearance import ContentImage
from .layers import AdaLNBlock, RelativePositionBias, fourier_embedding, patchify, sincos_grid_embedding, unpatchify


class Denoiser(nn.Module):
    """Raw network F of EDM: ``forward(x [B, T, 3, S, S], noise_level [B], content [B, K, Cc],
    motion [B, T, N*g]) -> [B, T, 3, S, S]``. ``x`` is the already scaled input ``c_in * x_noisy``."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        d = cfg.dit_dim
        patch_dim = 3 * cfg.patch_size**2
        self.patch_in = nn.Linear(patch_dim, d)
        self.patch_pos = nn.Parameter(sincos_grid_embedding(cfg.image_size // cfg.patch_size, d))
        self.content_in = nn.Linear(cfg.content_channels, d)
        if not cfg.content_grid:  # a grid is added to the patch tokens, at their own positions
            self.content_pos = nn.Parameter(torch.randn(cfg.content_queries, d) * 0.02)
        self.noise_embed = nn.Sequential(nn.Linear(d, d), nn.SiLU(), nn.Linear(d, d))
        self.motion_embed = nn.Sequential(nn.Linear(cfg.motion_dim, d), nn.SiLU(), nn.Linear(d, d))
        cond_dim = cfg.content_queries * cfg.content_channels + cfg.motion_dim
        self.direct_cond = nn.Sequential(nn.Linear(cond_dim, d), nn.SiLU(), nn.Linear(d, d))
        self.spatial = nn.ModuleList(AdaLNBlock(d, cfg.dit_heads) for _ in range(cfg.dit_layers))
        self.temporal = nn.ModuleList(AdaLNBlock(d, cfg.dit_heads) for _ in range(cfg.dit_layers))
        self.temporal_bias = RelativePositionBias(cfg.dit_heads, num_buckets=16, max_distance=64)
        self.final_norm = nn.LayerNorm(d, elementwise_affine=False)
        self.final_modulation = nn.Sequential(nn.SiLU(), nn.Linear(d, 2 * d))
        self.patch_out = nn.Linear(d, patch_dim)
        for layer in (self.final_modulation[1], self.patch_out):
            nn.init.zeros_(layer.weight)
            nn.init.zeros_(layer.bias)
        self.warp = ContentImage(cfg) if cfg.content_warp else None

    def forward(
        self,
        x: torch.Tensor,
        noise_level: torch.Tensor,
        content: torch.Tensor,
        motion: torch.Tensor,
        appearance: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """``appearance [B*T, P, d]``: the content image path's tokens (models with content_warp)."""
        cfg = self.cfg
        b, t = x.shape[:2]
        k, p = (0 if cfg.content_grid else cfg.content_queries), cfg.patches_per_frame
        tokens = self.patch_in(patchify(x.flatten(0, 1), cfg.patch_size)) + self.patch_pos  # [B*T, P, d]
        codes = torch.cat([content.flatten(1).repeat_interleave(t, dim=0), motion.flatten(0, 1)], dim=-1)
        tokens = tokens + self.direct_cond(codes)[:, None]
        if cfg.content_grid:  # content [B, P, Cc]: each latent joins the patch token it belongs to
            h = tokens + self.content_in(content).repeat_interleave(t, dim=0)  # [B*T, P, d]
            if appearance is not None:
                h = h + appearance
        else:  # content tokens [B, K, Cc] concatenated to every frame's patch tokens
            ctx = (self.content_in(content) + self.content_pos).repeat_interleave(t, dim=0)  # [B*T, K, d]
            h = torch.cat([ctx, tokens], dim=1)  # [B*T, K+P, d]
        noise_cond = self.noise_embed(fourier_embedding(noise_level, cfg.dit_dim))  # [B, d]
        frame_cond = noise_cond.repeat_interleave(t, dim=0) + self.motion_embed(motion.flatten(0, 1))  # [B*T, d]
        token_cond = noise_cond.repeat_interleave(k + p, dim=0)  # [B*(K+P), d]: temporal blocks see the noise level
        time_bias = self.temporal_bias(t)
        for spatial, temporal in zip(self.spatial, self.temporal):
            h = spatial(h, frame_cond)
            h = h.view(b, t, k + p, -1).transpose(1, 2).reshape(b * (k + p), t, -1)
            h = temporal(h, token_cond, time_bias)
            h = h.view(b, k + p, t, -1).transpose(1, 2).reshape(b * t, k + p, -1)
        shift, scale = self.final_modulation(frame_cond)[:, None].chunk(2, dim=-1)
        out = self.patch_out(self.final_norm(h[:, k:]) * (1 + scale) + shift)
        return unpatchify(out, cfg.patch_size, cfg.image_size).view(b, t, 3, cfg.image_size, cfg.image_size)
