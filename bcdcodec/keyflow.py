"""The motion of the key-frame codec: a coarse G x G flow that moves a GOP's key picture onto each
of its frames. The encoder fits it (:func:`fit_flow`); the decoder warps (:func:`warp`).

Flow values are in ``grid_sample``'s normalised units (1 = half the frame): a value of 0.04 moves
a 128-pixel frame by 2.56 pixels. The G x G values are upsampled bilinearly to every pixel.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

FIT_STEPS = 150  # Adam steps per GOP
FIT_LR = 0.01


def warp(picture: torch.Tensor, flow: torch.Tensor) -> torch.Tensor:
    """``picture [1, 3, S, S]`` float and ``flow [T, 2, G, G]`` (x then y) -> frames
    ``[T, 3, S, S]`` float: each pixel read from the picture at its position plus the upsampled
    flow (bilinear, edges repeated)."""
    count, size = flow.shape[0], picture.shape[-1]
    eye = torch.eye(2, 3, dtype=picture.dtype)[None].expand(count, -1, -1)
    identity = F.affine_grid(eye, [count, 3, size, size], align_corners=False)
    dense = F.interpolate(flow, size=(size, size), mode="bilinear", align_corners=False)
    grid = identity + dense.permute(0, 2, 3, 1)
    return F.grid_sample(picture.expand(count, -1, -1, -1), grid, padding_mode="border", align_corners=False)


def fit_flow(picture: torch.Tensor, frames: torch.Tensor, grid: int, steps: int = FIT_STEPS) -> torch.Tensor:
    """The ``[T, 2, grid, grid]`` flow that moves ``picture [1, 3, S, S]`` closest (squared error)
    to each of ``frames [T, 3, S, S]`` (float, any range): Adam from zero flow, ``steps``
    steps. Deterministic for the same inputs and thread count."""
    flow = torch.zeros(frames.shape[0], 2, grid, grid, requires_grad=True)
    optimizer = torch.optim.Adam([flow], lr=FIT_LR)
    with torch.enable_grad():
        for _ in range(steps):
            loss = ((warp(picture, flow) - frames) ** 2).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return flow.detach()
