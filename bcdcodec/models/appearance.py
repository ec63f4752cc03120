"""The explicit appearance path of the talking-head model (DESIGN 2b; docs/faces.md).

The content grid is decoded to an image at the model resolution: 3 RGB channels, the *base*
prediction of every frame, and ``warp_channels`` feature channels. Each frame warps it with a
flow predicted from that frame's motion codes. The denoiser then only draws the residual
``frame - base`` (see ``BCDModel.denoised``), and every patch of the warped image is added to
the decoder's patch token at its place.
"""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..config import ModelConfig
from .layers import patchify


def _decoder(in_channels: int, out_channels: int, side: int, size: int) -> nn.Sequential:
    """Convolutional upsampler ``[B, in, side, side] -> [B, out, size, size]``: one 3x3 stage per
    doubling (widths 128 halving down to 32), a final resize when ``size`` is not ``side * 2^n``."""
    layers: list[nn.Module] = [nn.Conv2d(in_channels, 128, 3, padding=1), nn.GELU()]
    width = 128
    while side * 2 <= size:
        nxt = max(32, width // 2)
        layers += [nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(width, nxt, 3, padding=1), nn.GELU()]
        width, side = nxt, side * 2
    if side != size:
        layers.append(nn.Upsample(size=(size, size), mode="bilinear", align_corners=False))
    layers.append(nn.Conv2d(width, out_channels, 3, padding=1))
    return nn.Sequential(*layers)


class ContentImage(nn.Module):
    """``forward(content [B, P, Cc], motion [B, T, N*g]) -> (base [B, T, 3, S, S], tokens [B*T, P, d])``.

    ``base`` is roughly in ``[-1, 1]``: the content image moved to each frame. The flow is a
    G x G field (G = sqrt(P)) per frame, predicted from the content grid (where things are in the
    content) and the frame's motion codes (where they go), upsampled to S x S, applied with
    bilinear sampling and border padding; it starts at zero (the identity).
    """

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.side, self.size, self.patch = cfg.image_size // cfg.patch_size, cfg.image_size, cfg.patch_size
        channels = 3 + cfg.warp_channels
        self.image = _decoder(cfg.content_channels, channels, self.side, self.size)
        self.flow_motion = nn.Sequential(nn.Linear(cfg.motion_dim, 64), nn.SiLU(), nn.Linear(64, 64))
        self.flow = nn.Sequential(
            nn.Conv2d(cfg.content_channels + 64, 64, 3, padding=1),
            nn.SiLU(),
            nn.Conv2d(64, 64, 3, padding=1),
            nn.SiLU(),
            nn.Conv2d(64, 2, 3, padding=1),
        )
        nn.init.zeros_(self.flow[4].weight)
        nn.init.zeros_(self.flow[4].bias)
        self.tokens = nn.Linear(channels * cfg.patch_size**2, cfg.dit_dim)

    def still(self, content: torch.Tensor) -> torch.Tensor:
        """The content image ``[B, 3 + warp_channels, S, S]`` before any motion."""
        b, _, c = content.shape
        return self.image(content.transpose(1, 2).reshape(b, c, self.side, self.side))

    def forward(self, content: torch.Tensor, motion: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        b, t = motion.shape[:2]
        g, size = self.side, self.size
        image = self.still(content)
        grid_in = content.transpose(1, 2).reshape(b, -1, g, g).repeat_interleave(t, dim=0)  # [B*T, Cc, G, G]
        moves = self.flow_motion(motion.flatten(0, 1))[:, :, None, None].expand(-1, -1, g, g)  # [B*T, 64, G, G]
        flow = self.flow(torch.cat([grid_in, moves], dim=1))  # [B*T, 2, G, G]
        flow = F.interpolate(flow, size=(size, size), mode="bilinear", align_corners=False)
        ys, xs = torch.meshgrid(
            torch.linspace(-1, 1, size, device=motion.device),
            torch.linspace(-1, 1, size, device=motion.device),
            indexing="ij",
        )
        grid = torch.stack([xs, ys], dim=-1)[None] + flow.permute(0, 2, 3, 1)  # [B*T, S, S, 2] (x, y)
        warped = F.grid_sample(
            image.repeat_interleave(t, dim=0), grid, mode="bilinear", padding_mode="border", align_corners=True
        )
        base = warped[:, :3].reshape(b, t, 3, size, size)
        return base, self.tokens(patchify(warped, self.patch))
