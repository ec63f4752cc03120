"""EDM diffusion (Karras et al. 2022): preconditioning, training loss, and a seeded sampler.

Schedules are computed in float64; the sampler holds no network, it calls ``denoise(x, sigma)``.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from .settings import MAX_STEPS, SAMPLERS, SamplerSettings

__all__ = ["MAX_STEPS", "SAMPLERS", "SamplerSettings", "clip_noise", "karras_sigmas", "sample"]


def precondition(sigma: torch.Tensor, sigma_data: float) -> tuple[torch.Tensor, ...]:
    """EDM scalings ``c_skip, c_out, c_in, c_noise`` for noise levels ``sigma [B]``."""
    s2 = sigma**2 + sigma_data**2
    return sigma_data**2 / s2, sigma * sigma_data / s2.sqrt(), 1 / s2.sqrt(), sigma.log() / 4


def karras_sigmas(steps: int, sigma_min: float, sigma_max: float, rho: float = 7.0) -> torch.Tensor:
    """``[steps + 1]`` float64 noise levels from ``sigma_max`` down to 0."""
    ramp = torch.linspace(0, 1, steps, dtype=torch.float64)
    inv_rho = 1.0 / rho
    sigmas = (sigma_max**inv_rho + ramp * (sigma_min**inv_rho - sigma_max**inv_rho)) ** rho
    return torch.cat([sigmas, torch.zeros(1, dtype=torch.float64)])


def training_sigmas(
    batch: int,
    p_mean: float,
    p_std: float,
    generator: torch.Generator | None,
    anchor_fraction: float,
    sigma_max: float,
    device: torch.device | None = None,
) -> torch.Tensor:
    """Log-normal noise levels ``[batch]`` on ``device`` (the generator's) for training; the first
    ``round(anchor_fraction * batch)`` are exactly ``sigma_max``."""
    sigma = (torch.randn(batch, generator=generator, device=device) * p_std + p_mean).exp()
    sigma[: int(round(anchor_fraction * batch))] = sigma_max
    return sigma


def loss_weight(sigma: torch.Tensor, sigma_data: float) -> torch.Tensor:
    return (sigma**2 + sigma_data**2) / (sigma * sigma_data) ** 2


def clip_noise(shape: tuple[int, ...], seed: int) -> torch.Tensor:
    """Unit Gaussian noise ``[3, H, W]`` from a generator seeded by the stream; every frame of
    every clip starts from this same noise."""
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(shape, generator=generator, dtype=torch.float32)


@torch.no_grad()
def sample(
    denoise: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    noise: torch.Tensor,
    settings: SamplerSettings,
    sigma_min: float,
    sigma_max: float,
) -> torch.Tensor:
    """Run the deterministic EDM sampler from ``noise [B, T, 3, H, W]`` (unit variance).

    ``denoise(x, sigma [B])`` returns the denoised estimate ``D(x; sigma)``.
    Returns ``[B, T, 3, H, W]`` float, roughly in ``[-1, 1]``.
    """
    sigmas = karras_sigmas(settings.steps, sigma_min, sigma_max)
    batch = noise.shape[0]
    x = noise * float(sigmas[0])
    for i in range(settings.steps):
        s_cur, s_next = float(sigmas[i]), float(sigmas[i + 1])
        d_cur = (x - denoise(x, torch.full((batch,), s_cur))) / s_cur
        x_next = x + (s_next - s_cur) * d_cur
        if settings.kind == "heun" and s_next > 0:
            d_next = (x_next - denoise(x_next, torch.full((batch,), s_next))) / s_next
            x_next = x + (s_next - s_cur) * 0.5 * (d_cur + d_next)
        x = x_next
    return x
