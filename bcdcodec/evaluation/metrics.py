"""Picture-quality metrics on uint8 frames."""

from __future__ import annotations

import numpy as np
import torch
from pytorch_msssim import ms_ssim as _ms_ssim
from pytorch_msssim import ssim as _ssim


def psnr_db(reference: np.ndarray, decoded: np.ndarray) -> float:
    """PSNR over all pixels and channels (RGB, peak 255)."""
    mse = np.mean((reference.astype(np.float64) - decoded.astype(np.float64)) ** 2)
    return float(10 * np.log10(255.0**2 / max(mse, 1e-10)))


def ssim(reference: np.ndarray, decoded: np.ndarray, win_size: int = 7) -> float:
    """Mean SSIM (pytorch-msssim, Gaussian window ``win_size``, sigma 1.5) over ``[T, H, W, 3]`` uint8 frames."""

    a = torch.from_numpy(reference).permute(0, 3, 1, 2).double()
    b = torch.from_numpy(decoded).permute(0, 3, 1, 2).double()
    return float(_ssim(a, b, data_range=255, size_average=True, win_size=win_size))


def luma(frames: np.ndarray) -> np.ndarray:
    """BT.601 luma ``Y = 0.299 R + 0.587 G + 0.114 B`` (float64, 0..255) of ``[..., 3]`` uint8 frames."""
    return frames.astype(np.float64) @ np.array([0.299, 0.587, 0.114])


def psnr_y_db(reference: np.ndarray, decoded: np.ndarray) -> float:
    """PSNR of the BT.601 luma (peak 255)."""
    mse = np.mean((luma(reference) - luma(decoded)) ** 2)
    return float(10 * np.log10(255.0**2 / max(mse, 1e-10)))


def ms_ssim_window(height: int, width: int) -> int:
    """The largest odd Gaussian window, at most 11, that pytorch-msssim admits for 5 scales
    (it requires ``min(H, W) > (window - 1) * 16``): 3 at 64x64, 11 from 177 pixels up."""
    side = min(height, width)
    window = min(11, (side - 1) // 16 + 1)
    window -= 1 - window % 2
    if window < 3:
        raise ValueError(f"frames of {height}x{width} are too small for MS-SSIM")
    return window


def ms_ssim(reference: np.ndarray, decoded: np.ndarray) -> float:
    """Mean MS-SSIM (pytorch-msssim, 5 scales, standard weights, sigma 1.5, window from
    :func:`ms_ssim_window`) over ``[T, H, W, 3]`` uint8 RGB frames."""

    window = ms_ssim_window(*reference.shape[1:3])
    a = torch.from_numpy(reference).permute(0, 3, 1, 2).double()
    b = torch.from_numpy(decoded).permute(0, 3, 1, 2).double()
    return float(_ms_ssim(a, b, data_range=255, size_average=True, win_size=window))
