"""The BCD model: encoder -> (content quantizer, group VQ) -> conditional diffusion decoder."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn as nn

from .. import diffusion
from ..coding.tables import CodingTables, quantize_pmf_rows
from ..config import SIGMA_DATA, SIGMA_MIN, ModelConfig
from ..errors import ModelLoadError
from ..symbols import ClipSymbols
from .content_prior import ContentQuantizer
from .denoiser import Denoiser
from .encoder import MotionContentEncoder
from .quantizer import GroupVQ


@dataclass
class TrainingOutput:
    loss: torch.Tensor  # scalar to minimise
    diffusion_loss: torch.Tensor  # scalar, EDM-weighted MSE
    motion_bits: torch.Tensor  # scalar, entropy estimate in bits per frame
    content_bits: torch.Tensor  # scalar, learned-prior bits per clip
    aux_loss: torch.Tensor  # scalar, compressai quantile loss (optimise separately or add)


class BCDModel(nn.Module):
    """Frames are ``[B, T, 3, S, S]`` float in ``[-1, 1]`` throughout."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        self.encoder = MotionContentEncoder(cfg)
        self.motion_vq = GroupVQ(cfg)
        self.content_quantizer = ContentQuantizer(cfg)
        self.denoiser = Denoiser(cfg)
        # sha256 of the weights as a checkpoint file holds them (set by the loader; None = live)
        self.file_digest: bytes | None = None
        # frozen integer coding tables, filled by export_tables()
        self.register_buffer("motion_table", torch.zeros(cfg.motion_groups, cfg.codebook_size, dtype=torch.int64))
        self.register_buffer(
            "content_table", torch.zeros(cfg.content_channels, cfg.content_symbol_range, dtype=torch.int64)
        )

    # ----- training -----
    def denoised(
        self, x_noisy: torch.Tensor, sigma: torch.Tensor, content: torch.Tensor, motion: torch.Tensor
    ) -> torch.Tensor:
        """EDM-preconditioned denoiser ``D(x; sigma)``; ``sigma [B]``."""
        c_skip, c_out, c_in, c_noise = (
            v.view(-1, 1, 1, 1, 1) if v.dim() else v for v in diffusion.precondition(sigma, SIGMA_DATA)
        )
        f = self.denoiser(x_noisy * c_in, c_noise.flatten(), content, motion)
        return c_skip * x_noisy + c_out * f

    def forward(
        self, clips: torch.Tensor, generator: torch.Generator | None = None, partners: torch.Tensor | None = None
    ) -> TrainingOutput:
        """Training step on ``clips [B, T, 3, S, S]`` in ``[-1, 1]``. The first
        ``cross_drive_fraction`` of the batch is cross-driven: content of the first half + motion of
        the second half rebuild the second half. With ``partners [B, T, 3, S, S]`` the content
        comes from the first half of each clip's partner (another clip with the same content)
        instead. ``generator`` (on the clips' device) draws the noise levels and noise."""
        cfg = self.cfg
        b, t = clips.shape[:2]
        n_cross = int(round(b * cfg.cross_drive_fraction))
        half = t // 2
        losses, motion_bits, content_bits, rate_loss = [], [], [], 0.0
        groups = []
        if n_cross:
            content_src, _ = self.encoder((clips if partners is None else partners)[:n_cross, :half])
            _, motion_src = self.encoder(clips[:n_cross, half:])
            groups.append((content_src, motion_src, clips[:n_cross, half:]))
        if n_cross < b:
            content_src, motion_src = self.encoder(clips[n_cross:])
            groups.append((content_src, motion_src, clips[n_cross:]))
        for content, motion, target in groups:
            vq = self.motion_vq(motion)
            content_hat, bits = self.content_quantizer(content)
            sigma = diffusion.training_sigmas(
                target.shape[0],
                cfg.p_mean,
                cfg.p_std,
                generator,
                cfg.anchor_fraction,
                cfg.sigma_max,
                device=target.device,
            )
            # one noise image per clip, shared by its frames, exactly as the sampler starts decoding
            noise = torch.randn((target.shape[0], 1, *target.shape[2:]), generator=generator, device=target.device)
            x_noisy = target + noise * sigma.view(-1, 1, 1, 1, 1)
            d = self.denoised(x_noisy, sigma, content_hat, vq.quantized)
            weight = diffusion.loss_weight(sigma, SIGMA_DATA).view(-1, 1, 1, 1, 1)
            losses.append((weight * (d - target) ** 2).mean(dim=(1, 2, 3, 4)))
            motion_bits.append(vq.entropy_bits)
            rate_loss = rate_loss + vq.rate_loss
            content_bits.append(bits)
        diffusion_loss = torch.cat(losses).mean()
        content_bits_mean = torch.cat(content_bits).mean()
        loss = diffusion_loss + rate_loss / len(groups) + cfg.content_rate_weight * content_bits_mean
        return TrainingOutput(
            loss, diffusion_loss, torch.stack(motion_bits).mean(), content_bits_mean, self.content_quantizer.aux_loss()
        )

    # ----- coding -----
    @torch.no_grad()
    def export_tables(self) -> None:
        """Freeze the integer coding tables from the learned statistics (the explicit export step)."""
        self.file_digest = None  # the tables are part of the weights: this is no longer the file's model
        precision = self.cfg.table_precision
        usage = self.motion_vq.code_usage.double().cpu().numpy()
        self.motion_table.copy_(torch.from_numpy(quantize_pmf_rows(usage, precision)))
        self.content_table.copy_(torch.from_numpy(self.content_quantizer.export_table(precision)))

    def coding_tables(self) -> CodingTables:
        """The frozen tables; raises :class:`ModelLoadError` if they were never exported."""
        try:
            return CodingTables(
                self.motion_table.cpu().numpy(), self.content_table.cpu().numpy(), self.cfg.table_precision
            )
        except ValueError as exc:
            raise ModelLoadError(f"model has no valid coding tables (run the export step): {exc}") from None

    @torch.no_grad()
    def encode_symbols(self, clip: torch.Tensor) -> ClipSymbols:
        """``clip [T, 3, S, S]`` in ``[-1, 1]`` -> the clip's discrete symbols."""
        content, motion = self.encoder(clip[None])
        motion_idx = self.motion_vq.logits(motion).argmax(-1)[0]
        content_sym = self.content_quantizer.to_symbols(content)[0]
        return ClipSymbols(content_sym.cpu().numpy().astype(np.int32), motion_idx.cpu().numpy().astype(np.int32))

    @torch.no_grad()
    def render_symbols(
        self, symbols: ClipSymbols, settings: diffusion.SamplerSettings, noise: torch.Tensor
    ) -> torch.Tensor:
        """Symbols -> frames ``[T, 3, S, S]`` in ``[-1, 1]``. ``noise [3, S, S]`` is shared by all frames."""
        content = self.content_quantizer.from_symbols(torch.from_numpy(symbols.content).long()[None])
        motion = self.motion_vq.dequantize(torch.from_numpy(symbols.motion).long()[None])
        t = symbols.motion.shape[0]
        start = noise.expand(1, t, *noise.shape)
        frames = diffusion.sample(
            lambda x, sigma: self.denoised(x, sigma, content, motion),
            start,
            settings,
            SIGMA_MIN,
            self.cfg.sigma_max,
        )
        return frames[0].clamp(-1, 1)
