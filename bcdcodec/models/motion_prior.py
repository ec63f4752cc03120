"""Autoregressive motion prior: a small causal transformer over per-frame group indices,
conditioned on the clip's content symbols.

Sequence: ``K`` content tokens, then one token per frame. Frame token ``t`` carries the codes of
frame ``t - 1`` (a learned start token for ``t = 0``); its output predicts the ``N`` group indices
of frame ``t``, each group with its own softmax over ``S`` codes.

The architecture is chosen so that :mod:`bcdcodec.coding.integer_prior` can run it in int64
fixed point (RMSNorm, ReLU MLP, softmax attention): the float model is for training and
generation, the integer one is the entropy model, identical on every machine.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from ..coding.integer_prior import IntegerPrior
from ..errors import ModelLoadError


@dataclass(frozen=True)
class MotionPriorConfig:
    motion_groups: int = 8  # N, from the codec
    codebook_size: int = 16  # S
    content_queries: int = 4  # K
    content_channels: int = 8  # Cc
    content_symbol_range: int = 64
    max_frames: int = 8  # context length in frames (the codec's clip length)
    dim: int = 64
    layers: int = 2
    heads: int = 4
    mlp_dim: int = 128
    # motion groups sent at each of the codec's operating points, lowest first (empty: one point,
    # every group); the prior then learns one embedding per point and reads only sent groups
    point_groups: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        if self.dim % self.heads:
            raise ValueError("invalid MotionPriorConfig: dim must be a multiple of heads")
        if any(not 0 <= n <= self.motion_groups for n in self.point_groups):
            raise ValueError("invalid MotionPriorConfig: a point sends 0..motion_groups groups")

    @property
    def points(self) -> int:
        return max(1, len(self.point_groups))

    def groups_at(self, point: int | None) -> int:
        """Groups sent at ``point`` (``None``: the top point)."""
        return self.point_groups[-1 if point is None else point] if self.point_groups else self.motion_groups

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> MotionPriorConfig:
        known = {f.name for f in dataclasses.fields(cls)}
        if set(values) - known:
            raise ModelLoadError(f"prior config has unknown fields {sorted(set(values) - known)}")
        if "point_groups" in values:
            values = {**values, "point_groups": tuple(int(n) for n in values["point_groups"])}
        try:
            return cls(**values)
        except (TypeError, ValueError) as exc:
            raise ModelLoadError(f"prior config is invalid: {exc}") from exc

    @classmethod
    def for_codec(cls, codec_cfg, **overrides) -> MotionPriorConfig:
        return cls(
            motion_groups=codec_cfg.motion_groups,
            codebook_size=codec_cfg.codebook_size,
            content_queries=codec_cfg.content_queries,
            content_channels=codec_cfg.content_channels,
            content_symbol_range=codec_cfg.content_symbol_range,
            max_frames=codec_cfg.clip_len,
            point_groups=tuple(n for n, _ in codec_cfg.operating_points) if codec_cfg.top_point else (),
            **overrides,
        )


class RMSNorm(nn.Module):
    def __init__(self, dim: int, eps: float = 1e-5):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


class PriorBlock(nn.Module):
    def __init__(self, cfg: MotionPriorConfig):
        super().__init__()
        self.heads = cfg.heads
        self.norm1 = RMSNorm(cfg.dim)
        self.qkv = nn.Linear(cfg.dim, 3 * cfg.dim)
        self.proj = nn.Linear(cfg.dim, cfg.dim)
        self.norm2 = RMSNorm(cfg.dim)
        self.fc1 = nn.Linear(cfg.dim, cfg.mlp_dim)
        self.fc2 = nn.Linear(cfg.mlp_dim, cfg.dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, n, d = x.shape
        q, k, v = self.qkv(self.norm1(x)).view(b, n, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        attn = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        x = x + self.proj(attn.transpose(1, 2).reshape(b, n, d))
        return x + self.fc2(F.relu(self.fc1(self.norm2(x))))


class MotionPrior(nn.Module):
    """``forward(content [B, K, Cc] int, motion [B, T, N] int) -> logits [B, T, N, S]``: the logits
    of frame ``t`` depend on the content and on frames ``< t`` only."""

    CONTENT_SCALE = 8.0  # content symbols enter as (symbol - R/2) / 8

    def integer_twin(self, lut: np.ndarray) -> IntegerPrior:
        """The int64 fixed-point twin of these weights: the entropy model of prior-coded streams."""
        state = {k: v.detach().double().cpu().numpy() for k, v in self.state_dict().items()}
        return IntegerPrior(self.cfg, state, lut, int(self.CONTENT_SCALE))

    def __init__(self, cfg: MotionPriorConfig):
        super().__init__()
        self.cfg = cfg
        d = cfg.dim
        self.content_in = nn.Linear(cfg.content_channels, d)
        self.content_pos = nn.Parameter(torch.randn(cfg.content_queries, d) * 0.02)
        self.code_embed = nn.Parameter(torch.randn(cfg.motion_groups, cfg.codebook_size, d) * 0.02)
        self.start = nn.Parameter(torch.randn(d) * 0.02)
        self.frame_pos = nn.Parameter(torch.randn(cfg.max_frames, d) * 0.02)
        self.blocks = nn.ModuleList(PriorBlock(cfg) for _ in range(cfg.layers))
        self.norm = RMSNorm(d)
        self.head = nn.Linear(d, cfg.motion_groups * cfg.codebook_size)
        if cfg.points > 1:
            self.point_embed = nn.Parameter(torch.randn(cfg.points, d) * 0.02)

    def content_values(self, content: torch.Tensor) -> torch.Tensor:
        return (content.float() - self.cfg.content_symbol_range // 2) / self.CONTENT_SCALE

    def sent_mask(self, points: torch.Tensor | None, batch: int) -> torch.Tensor:
        """``[B, N]`` float: 1 on the groups each clip's operating point sends."""
        cfg = self.cfg
        top = torch.full((batch,), cfg.points - 1, dtype=torch.long) if points is None else points.long()
        sent = torch.tensor([cfg.groups_at(p) for p in range(cfg.points)])[top.cpu()]
        return (torch.arange(cfg.motion_groups)[None, :] < sent[:, None]).float()

    def forward(self, content: torch.Tensor, motion: torch.Tensor, points: torch.Tensor | None = None) -> torch.Tensor:
        """``points [B]``: each clip's operating point (default: the top one); ``motion`` holds
        every group (those a point does not send are not read)."""
        cfg = self.cfg
        b, t = motion.shape[:2]
        if t > cfg.max_frames:
            raise ValueError(f"the prior sees at most {cfg.max_frames} frames, got {t}")
        ctx = self.content_in(self.content_values(content)) + self.content_pos
        groups = torch.arange(cfg.motion_groups, device=motion.device)
        embedded = self.code_embed[groups, motion.long()]  # [B, T, N, d]
        if cfg.points > 1:
            embedded = embedded * self.sent_mask(points, b).to(embedded)[:, None, :, None]
        codes = embedded.sum(-2)  # [B, T, d]: frame t's codes
        frames = torch.cat([self.start.expand(b, 1, -1), codes[:, :-1]], dim=1) + self.frame_pos[:t]
        x = torch.cat([ctx, frames], dim=1)
        if cfg.points > 1:
            top = torch.full((b,), cfg.points - 1, dtype=torch.long, device=x.device)
            x = x + self.point_embed[top if points is None else points.long()][:, None, :]
        for block in self.blocks:
            x = block(x)
        logits = self.head(self.norm(x[:, cfg.content_queries :]))
        return logits.view(b, t, cfg.motion_groups, cfg.codebook_size)

    def loss_bits(
        self, content: torch.Tensor, motion: torch.Tensor, points: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Mean cross-entropy in bits per frame (the sent groups summed)."""
        logits = self.forward(content, motion, points)
        nats = F.cross_entropy(logits.flatten(0, 2), motion.long().flatten(), reduction="none").view(motion.shape)
        if self.cfg.points > 1:
            nats = nats * self.sent_mask(points, motion.shape[0]).to(nats)[:, None, :]
        return nats.sum(-1).mean() / torch.log(torch.tensor(2.0))
