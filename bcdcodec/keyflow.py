"""The motion of the key-frame codec: a coarse G x G flow that moves a GOP's key picture onto its
frames. The encoder fits it at the GOP's coded frames (:func:`coded_frames`, :func:`fit_flow`);
the decoder interpolates it to every frame (:func:`interpolate`) and warps (:func:`warp`).

Flow values are in ``grid_sample``'s normalised units (1 = half the frame): a value of 0.04 moves
a 128-pixel frame by 2.56 pixels. The G x G values are upsampled bilinearly to every pixel.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

FIT_STEPS = 50  # Adam steps per level of the fit
FIT_LEVELS = ((1, 2), (2, 2), (4, 1))  # (grid, downsampling): translation first, at half size
FIT_LR = 0.01
SMOOTHNESS = 0.1  # weight of the squared differences between neighbouring flow values


def warp(picture: torch.Tensor, flow: torch.Tensor) -> torch.Tensor:
    """``picture [1, 3, H, W]`` float and ``flow [T, 2, G, G]`` (x then y) -> frames ``[T, 3, H,
    W]`` float: each pixel read from the picture at its position plus the upsampled flow
    (bilinear, half-pixel centres, edges repeated)."""
    count, (height, width) = flow.shape[0], picture.shape[-2:]
    eye = torch.eye(2, 3, dtype=picture.dtype)[None].expand(count, -1, -1)
    identity = F.affine_grid(eye, [count, 3, height, width], align_corners=False)
    dense = F.interpolate(flow, size=(height, width), mode="bilinear", align_corners=False)
    grid = identity + dense.permute(0, 2, 3, 1)
    return F.grid_sample(picture.expand(count, -1, -1, -1), grid, padding_mode="border", align_corners=False)


def coded_frames(count: int, interval: int) -> list[int]:
    """Which of a GOP's ``count`` frames carry a flow: every ``interval``-th from the first, and
    the last."""
    frames = list(range(0, count, interval))
    return frames if frames[-1] == count - 1 else [*frames, count - 1]


def interpolate(flow: torch.Tensor, coded: list[int]) -> torch.Tensor:
    """The flow ``[len(coded), 2, G, G]`` of the ``coded`` frames -> ``[coded[-1] + 1, 2, G, G]``,
    linear in time between neighbouring coded frames (float32 weights ``(t - a) / (b - a)``)."""
    out = flow.new_empty((coded[-1] + 1, *flow.shape[1:]))
    out[coded[0]] = flow[0]
    for j in range(len(coded) - 1):
        a, b = coded[j], coded[j + 1]
        weight = (torch.arange(1, b - a + 1, dtype=torch.float32) / (b - a)).to(flow.dtype)[:, None, None, None]
        out[a + 1 : b + 1] = flow[j] * (1 - weight) + flow[j + 1] * weight
    return out


def fit_flow(picture: torch.Tensor, frames: torch.Tensor, grid: int) -> torch.Tensor:
    """The ``[T, 2, grid, grid]`` flow that moves ``picture [1, 3, S, S]`` closest (squared error,
    plus ``SMOOTHNESS`` times the squared differences of neighbouring values) to each of ``frames
    [T, 3, S, S]`` (float, any range): Adam from zero, coarse to fine over ``FIT_LEVELS`` (a
    translation at half size, then 2x2, then ``grid``), so that a large move does not fold the
    picture. Deterministic for the same inputs and thread count."""
    flow = torch.zeros(frames.shape[0], 2, 1, 1)
    levels = [(min(g, grid), down) for g, down in FIT_LEVELS if g < grid] + [(grid, 1)]
    with torch.enable_grad():
        for size, down in levels:
            flow = F.interpolate(flow, size=(size, size), mode="bilinear", align_corners=False).requires_grad_(True)
            small, targets = (
                (F.avg_pool2d(picture, down), F.avg_pool2d(frames, down)) if down > 1 else (picture, frames)
            )
            optimizer = torch.optim.Adam([flow], lr=FIT_LR)
            for _ in range(FIT_STEPS):
                loss = ((warp(small, flow) - targets) ** 2).mean()
                if size > 1:
                    rough = (flow[..., 1:, :] - flow[..., :-1, :]).square().mean()
                    loss = loss + SMOOTHNESS * (rough + (flow[..., 1:] - flow[..., :-1]).square().mean())
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
            flow = flow.detach()
    return flow
