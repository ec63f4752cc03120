"""Picture-quality metrics on uint8 frames."""

from __future__ import annotations

import numpy as np
import torch


def psnr_db(reference: np.ndarray, decoded: np.ndarray) -> float:
    """PSNR over all pixels and channels (RGB, peak 255)."""
    mse = np.mean((reference.astype(np.float64) - decoded.astype(np.float64)) ** 2)
    return float(10 * np.log10(255.0**2 / max(mse, 1e-10)))


def ssim(reference: np.ndarray, decoded: np.ndarray, win_size: int = 7) -> float:
    """Mean SSIM (pytorch-msssim, Gaussian window ``win_size``, sigma 1.5) over ``[T, H, W, 3]`` uint8 frames."""
    from pytorch_msssim import ssim as _ssim

    a = torch.from_numpy(reference).permute(0, 3, 1, 2).double()
    b = torch.from_numpy(decoded).permute(0, 3, 1, 2).double()
    return float(_ssim(a, b, data_range=255, size_average=True, win_size=win_size))
