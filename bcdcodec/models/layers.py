"""Transformer building blocks shared by the encoder and the denoiser."""

from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F


class RelativePositionBias(nn.Module):
    """T5-style learned bias per head over bucketed relative positions.

    ``forward(n)`` returns ``[heads, n, n]`` float, added to attention logits.
    """

    def __init__(self, heads: int, num_buckets: int = 32, max_distance: int = 128):
        super().__init__()
        self.num_buckets = num_buckets
        self.max_distance = max_distance
        self.bias = nn.Embedding(num_buckets, heads)

    def _bucket(self, relative: torch.Tensor) -> torch.Tensor:
        half = self.num_buckets // 2
        sign_offset = (relative > 0).long() * half
        distance = relative.abs()
        exact = half // 2
        is_small = distance < exact
        log_ratio = torch.log(distance.float().clamp(min=1) / exact) / math.log(self.max_distance / exact)
        large = (exact + (log_ratio * (half - exact)).long()).clamp(max=half - 1)
        return sign_offset + torch.where(is_small, distance, large)

    def forward(self, n: int) -> torch.Tensor:
        positions = torch.arange(n, device=self.bias.weight.device)
        relative = positions[None, :] - positions[:, None]
        return self.bias(self._bucket(relative)).permute(2, 0, 1)


class Attention(nn.Module):
    """Multi-head self-attention over ``[B, N, dim]`` with an optional additive ``[heads, N, N]`` bias."""

    def __init__(self, dim: int, heads: int):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.out = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor, bias: torch.Tensor | None = None) -> torch.Tensor:
        b, n, d = x.shape
        q, k, v = self.qkv(x).view(b, n, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=None if bias is None else bias[None])
        return self.out(y.transpose(1, 2).reshape(b, n, d))


def mlp(dim: int, ratio: int = 4) -> nn.Sequential:
    return nn.Sequential(nn.Linear(dim, ratio * dim), nn.GELU(approximate="tanh"), nn.Linear(ratio * dim, dim))


class EncoderBlock(nn.Module):
    """Pre-norm transformer block with relative position bias (T5 encoder layer)."""

    def __init__(self, dim: int, heads: int):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = Attention(dim, heads)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = mlp(dim)

    def forward(self, x: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.norm1(x), bias)
        return x + self.mlp(self.norm2(x))


class AdaLNBlock(nn.Module):
    """DiT block: attention + MLP, both modulated (shift, scale, gate) by a conditioning vector.

    ``x``: ``[B, N, dim]``; ``cond``: ``[B, dim]``. Shift and scale start at zero; both residual
    gates start open (1), not at DiT's adaLN-zero: on a CPU budget of a few thousand steps, blocks
    that learn from the first step are most of the difference.
    """

    def __init__(self, dim: int, heads: int):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, elementwise_affine=False)
        self.attn = Attention(dim, heads)
        self.norm2 = nn.LayerNorm(dim, elementwise_affine=False)
        self.mlp = mlp(dim)
        self.modulation = nn.Sequential(nn.SiLU(), nn.Linear(dim, 6 * dim))
        nn.init.zeros_(self.modulation[1].weight)
        nn.init.zeros_(self.modulation[1].bias)
        with torch.no_grad():
            self.modulation[1].bias[2 * dim : 3 * dim] = 1.0
            self.modulation[1].bias[5 * dim : 6 * dim] = 1.0

    def forward(self, x: torch.Tensor, cond: torch.Tensor, bias: torch.Tensor | None = None) -> torch.Tensor:
        shift1, scale1, gate1, shift2, scale2, gate2 = self.modulation(cond)[:, None].chunk(6, dim=-1)
        x = x + gate1 * self.attn(self.norm1(x) * (1 + scale1) + shift1, bias)
        return x + gate2 * self.mlp(self.norm2(x) * (1 + scale2) + shift2)


def fourier_embedding(values: torch.Tensor, dim: int) -> torch.Tensor:
    """Sinusoidal embedding of ``[B]`` scalars into ``[B, dim]``."""
    half = dim // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float32, device=values.device) / half)
    angles = values.float()[:, None] * freqs[None] * 1000.0
    return torch.cat([angles.cos(), angles.sin()], dim=-1)


def sincos_grid_embedding(side: int, dim: int) -> torch.Tensor:
    """2-D sine-cosine position embedding ``[side*side, dim]`` (rows then columns), unit scale:
    patch tokens of pure noise still know where they are. Frequencies run from pi (one sign flip
    per patch) down to pi/side (half a period over the grid), which keeps the positions of a small
    grid nearly orthogonal (mean cosine similarity 0.05 at 8x8, against 0.73 for frequencies from
    1 down to 0.01 radians per patch)."""
    quarter = dim // 4
    steps = torch.arange(quarter, dtype=torch.float32) / max(1, quarter)
    freqs = math.pi * torch.exp(-math.log(side) * steps)
    coords = torch.arange(side, dtype=torch.float32)
    ys, xs = torch.meshgrid(coords, coords, indexing="ij")
    parts = []
    for axis in (ys.flatten(), xs.flatten()):
        angles = axis[:, None] * freqs[None]
        parts += [angles.sin(), angles.cos()]
    out = torch.cat(parts, dim=-1)
    return torch.cat([out, torch.zeros(side * side, dim - out.shape[1])], dim=-1)


def patchify(frames: torch.Tensor, patch: int) -> torch.Tensor:
    """``[B, 3, H, W]`` -> ``[B, (H/p)*(W/p), 3*p*p]``."""
    b, c, h, w = frames.shape
    x = frames.reshape(b, c, h // patch, patch, w // patch, patch)
    return x.permute(0, 2, 4, 1, 3, 5).reshape(b, (h // patch) * (w // patch), c * patch * patch)


def unpatchify(tokens: torch.Tensor, patch: int, size: int, channels: int = 3) -> torch.Tensor:
    """``[B, N, 3*p*p]`` -> ``[B, 3, size, size]`` (inverse of :func:`patchify`)."""
    b = tokens.shape[0]
    g = size // patch
    x = tokens.reshape(b, g, g, channels, patch, patch).permute(0, 3, 1, 4, 2, 5)
    return x.reshape(b, channels, size, size)
