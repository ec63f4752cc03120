"""The BCD model: encoder -> (content quantizer, group VQ) -> conditional diffusion decoder."""

from __future__ import annotations

from collections.abc import Sequence
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
from .lower_network import LowerNetwork, QuantizedDelta, core_state
from .quantizer import GroupVQ


@dataclass
class TrainingOutput:
    loss: torch.Tensor  # scalar to minimise
    diffusion_loss: torch.Tensor  # scalar, EDM-weighted MSE (+ base_loss_weight x the base's MSE)
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
        # the content priors of the operating points below the top one (none for a one-point model)
        self.point_quantizers = nn.ModuleList(ContentQuantizer(cfg) for _ in cfg.operating_points[:-1])
        # sha256 of the weights as a checkpoint file holds them (set by the loader; None = live)
        self.file_digest: bytes | None = None
        # frozen integer coding tables, filled by export_tables()
        self.register_buffer("motion_table", torch.zeros(cfg.motion_groups, cfg.codebook_size, dtype=torch.int64))
        self.register_buffer(
            "content_table", torch.zeros(cfg.content_channels, cfg.content_symbol_range, dtype=torch.int64)
        )
        if cfg.top_point:
            self.register_buffer(
                "point_content_table",
                torch.zeros(cfg.top_point, cfg.content_channels, cfg.content_symbol_range, dtype=torch.int64),
            )
        # the lower points' own network, as a difference from this one (config.lower_delta_group)
        self.lower_delta = QuantizedDelta(core_state(self), cfg.lower_delta_group) if cfg.lower_delta_group else None
        if self.lower_delta is not None:
            self.register_buffer("lower_motion_table", torch.zeros_like(self.motion_table))
        self._lower: tuple[LowerNetwork, ...] = ()  # built from lower_delta on first use

    # ----- the network of each point -----
    def network(self, point: int | None) -> BCDModel | LowerNetwork:
        """What codes operating ``point`` (``None``: the top one): this model, or for a point below
        the top of a model with a lower network, that network (its encoder, motion_vq, denoiser)."""
        if not self._coded_below(point):
            return self
        if not self._lower:
            self._lower = (self.lower_delta.build(self),)
        return self._lower[0]

    def _coded_below(self, point: int | None) -> bool:
        """Whether ``point`` is coded by the lower network (without building it)."""
        return self.lower_delta is not None and point is not None and point != self.cfg.top_point

    def load_state_dict(self, *args, **kwargs):
        self._lower = ()  # rebuilt from the new weights on first use
        return super().load_state_dict(*args, **kwargs)

    def _apply(self, fn, *args, **kwargs):
        self._lower = ()
        return super()._apply(fn, *args, **kwargs)

    # ----- operating points -----
    def quantizer(self, point: int) -> ContentQuantizer:
        """The content quantizer (prior and symbol centre) of operating ``point``."""
        return self.content_quantizer if point == self.cfg.top_point else self.point_quantizers[point]

    def _content_scale(self, point: int) -> float:
        """Content gain of ``point`` relative to the encoder's (the top point's)."""
        return self.cfg.operating_points[point][1] / self.cfg.content_gain

    def _at_point(self, content: torch.Tensor, points: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Training: ``content [B, K, Cc]`` quantized at each clip's operating point ``points [B]``
        (noisy, at the top point's scale) and its bits ``[B]``."""
        if not self.cfg.top_point:
            return self.content_quantizer(content)
        content_hat, bits = torch.empty_like(content), content.new_empty(content.shape[0])
        for point in points.unique().tolist():
            rows = points == point
            scale = self._content_scale(point)
            noisy, point_bits = self.quantizer(point)(content[rows] * scale)
            content_hat[rows], bits[rows] = noisy / scale, point_bits
        return content_hat, bits

    def _motion_mask(self, points: torch.Tensor) -> torch.Tensor:
        """``[B, 1, N*g]``: 1 on the groups each clip's operating point sends, 0 beyond."""
        sent = torch.tensor([n for n, _ in self.cfg.operating_points], device=points.device)[points]
        groups = torch.arange(self.cfg.motion_groups, device=points.device)
        mask = (groups[None, :] < sent[:, None]).to(torch.float32)
        return mask.repeat_interleave(self.cfg.group_dim, dim=1)[:, None, :]

    # ----- training -----
    def denoised(
        self, x_noisy: torch.Tensor, sigma: torch.Tensor, content: torch.Tensor, motion: torch.Tensor
    ) -> torch.Tensor:
        """EDM-preconditioned denoiser ``D(x; sigma)``; ``sigma [B]``."""
        return self._denoised(x_noisy, sigma, content, motion)[0]

    def _denoised(
        self,
        x_noisy: torch.Tensor,
        sigma: torch.Tensor,
        content: torch.Tensor,
        motion: torch.Tensor,
        path: tuple[torch.Tensor, torch.Tensor] | tuple[None, None] | None = None,
        net: BCDModel | LowerNetwork | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """``(D(x; sigma), base)``. With the content image path the diffusion draws the residual
        over ``base [B, T, 3, S, S]`` (the warped content image): ``D = base + D_res(x - base)``.
        ``path``: that path's ``(base, tokens)`` when already computed (they depend on the codes only).
        ``net``: whose denoiser (default: this model's, the top point's)."""
        net = net or self
        base, appearance = path or self._content_image(content, motion, net)
        if base is not None:
            x_noisy = x_noisy - base
        c_skip, c_out, c_in, c_noise = (
            v.view(-1, 1, 1, 1, 1) if v.dim() else v for v in diffusion.precondition(sigma, SIGMA_DATA)
        )
        f = net.denoiser(x_noisy * c_in, c_noise.flatten(), content, motion, appearance)
        d = c_skip * x_noisy + c_out * f
        return (d if base is None else d + base), base

    def _content_image(
        self, content: torch.Tensor, motion: torch.Tensor, net: BCDModel | LowerNetwork | None = None
    ) -> tuple[torch.Tensor, torch.Tensor] | tuple[None, None]:
        """``(base, tokens)`` of the content image path of ``net`` (default: this model), or
        ``(None, None)`` without one."""
        warp = (net or self).denoiser.warp
        return warp(content, motion) if warp is not None else (None, None)

    def _diffusion_loss(
        self, content: torch.Tensor, motion: torch.Tensor, target: torch.Tensor, generator: torch.Generator | None
    ) -> torch.Tensor:
        """``[B]``: the EDM-weighted denoising error at a drawn noise level (plus, with the content
        image path, the base's own weighted MSE: a plain regression of the frame)."""
        cfg = self.cfg
        sigma = diffusion.training_sigmas(
            target.shape[0], cfg.p_mean, cfg.p_std, generator, cfg.anchor_fraction, cfg.sigma_max, device=target.device
        )
        # one noise image per clip, shared by its frames, exactly as the sampler starts decoding
        noise = torch.randn((target.shape[0], 1, *target.shape[2:]), generator=generator, device=target.device)
        x_noisy = target + noise * sigma.view(-1, 1, 1, 1, 1)
        d, base = self._denoised(x_noisy, sigma, content, motion)
        weight = diffusion.loss_weight(sigma, SIGMA_DATA).view(-1, 1, 1, 1, 1)
        loss = (weight * (d - target) ** 2).mean(dim=(1, 2, 3, 4))
        if base is not None:
            loss = loss + cfg.base_loss_weight * ((base - target) ** 2).mean(dim=(1, 2, 3, 4))
        return loss

    def forward(
        self,
        clips: torch.Tensor,
        generator: torch.Generator | None = None,
        partners: torch.Tensor | None = None,
    ) -> TrainingOutput:
        """Training step on ``clips [B, T, 3, S, S]`` in ``[-1, 1]``. The first
        ``cross_drive_fraction`` of the batch is cross-driven: content of the first half + motion of
        the second half rebuild the second half. With ``partners [B, T, 3, S, S]`` the content
        comes from the first half of each clip's partner (another clip with the same content)
        instead. ``generator`` (on the clips' device) draws the noise levels and noise."""
        cfg = self.cfg
        if self.lower_delta is not None:
            raise ValueError("a model with a lower network is assembled from two trained models, not trained")
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
            # one operating point per clip, drawn only when there is a choice (a one-point model
            # trains exactly as before operating points existed)
            points = torch.zeros(target.shape[0], dtype=torch.int64, device=target.device)
            if cfg.top_point:
                points = torch.randint(cfg.top_point + 1, points.shape, generator=generator, device=target.device)
                if cfg.top_point_fraction:
                    top = torch.rand(points.shape, generator=generator, device=target.device) < cfg.top_point_fraction
                    points = torch.where(top, cfg.top_point, points)
            content_hat, bits = self._at_point(content, points)
            quantized = vq.quantized * self._motion_mask(points) if cfg.top_point else vq.quantized
            loss = self._diffusion_loss(content_hat, quantized, target, generator)
            losses.append(loss)
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
        if self.lower_delta is not None:
            lower_usage = self.network(0).motion_vq.code_usage.double().cpu().numpy()
            self.lower_motion_table.copy_(torch.from_numpy(quantize_pmf_rows(lower_usage, precision)))
        for point, quantizer in enumerate(self.point_quantizers):
            self.point_content_table[point].copy_(torch.from_numpy(quantizer.export_table(precision)))

    def coding_tables(self, point: int | None = None) -> CodingTables:
        """The frozen tables of operating ``point`` (default: the top one): the motion rows of the
        groups it sends and its content prior's rows. Raises :class:`ModelLoadError` if they were
        never exported."""
        point = self.cfg.top_point if point is None else point
        groups = self.cfg.operating_points[point][0]
        content = self.content_table if point == self.cfg.top_point else self.point_content_table[point]
        motion = self.lower_motion_table if self._coded_below(point) else self.motion_table
        try:
            return CodingTables(motion[:groups].cpu().numpy(), content.cpu().numpy(), self.cfg.table_precision)
        except ValueError as exc:
            raise ModelLoadError(f"model has no valid coding tables (run the export step): {exc}") from None

    def content_symbols(self, content: torch.Tensor, point: int) -> torch.Tensor:
        """Encoder content ``[B, K, Cc]`` -> its symbols ``[B, K, Cc]`` at operating ``point``."""
        return self.quantizer(point).to_symbols(content * self._content_scale(point))

    @torch.no_grad()
    def encode_points(self, clip: torch.Tensor, points: Sequence[int] | None = None) -> list[ClipSymbols]:
        """``clip [T, 3, S, S]`` in ``[-1, 1]`` -> its symbols at each operating point of
        ``points`` (default: all, lowest first), from one pass of each network that codes them."""
        points = range(self.cfg.top_point + 1) if points is None else points
        out = []
        for point, (content, motion) in zip(points, self.encode_batch(clip[None], points)):
            groups = self.cfg.operating_points[point][0]
            symbols = self.content_symbols(content, point)[0].cpu().numpy().astype(np.int32)
            out.append(ClipSymbols(symbols, np.ascontiguousarray(motion[0, :, :groups].cpu().numpy().astype(np.int32))))
        return out

    @torch.no_grad()
    def encode_batch(
        self, clips: torch.Tensor, points: Sequence[int] | None = None
    ) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """``clips [B, T, 3, S, S]`` in ``[-1, 1]`` -> for each operating point of ``points``
        (default: all, lowest first) the encoder's content ``[B, K, Cc]`` (at the scale of
        ``content_gain``, before the point's gain) and motion indices ``[B, T, N]`` (every group)
        of the network that codes it; each network encodes the clips once."""
        nets = [self.network(point) for point in (range(self.cfg.top_point + 1) if points is None else points)]
        codes = {}
        for net in nets:
            if net not in codes:
                content, motion = net.encoder(clips)
                codes[net] = (content, net.motion_vq.logits(motion).argmax(-1))
        return [codes[net] for net in nets]

    def encode_symbols(self, clip: torch.Tensor, point: int | None = None) -> ClipSymbols:
        """``clip [T, 3, S, S]`` in ``[-1, 1]`` -> the clip's discrete symbols at operating
        ``point`` (default: the top one)."""
        return self.encode_points(clip, [self.cfg.top_point if point is None else point])[0]

    def motion_from_symbols(self, indices: np.ndarray, point: int | None = None) -> torch.Tensor:
        """Motion symbols ``[T, n]`` (the first ``n`` groups, as a point sends them) -> the decoder's
        motion ``[1, T, N*g]`` at operating ``point`` (default: the top one), zeros for the groups
        not sent."""
        t, groups = indices.shape
        full = torch.zeros(1, t, self.cfg.motion_groups, dtype=torch.int64)
        full[0, :, :groups] = torch.from_numpy(indices).long()
        motion = self.network(point).motion_vq.dequantize(full)
        motion[..., groups * self.cfg.group_dim :] = 0
        return motion

    @torch.no_grad()
    def render_symbols(
        self, symbols: ClipSymbols, settings: diffusion.SamplerSettings, noise: torch.Tensor, point: int | None = None
    ) -> torch.Tensor:
        """Symbols -> frames ``[T, 3, S, S]`` in ``[-1, 1]``. ``noise [3, S, S]`` is shared by all
        frames. ``point`` is the content's operating point (default: the top one); the motion's
        groups are as many as the symbols carry, the rest are not sent (zeros)."""
        point = self.cfg.top_point if point is None else point
        net = self.network(point)
        content = self.quantizer(point).from_symbols(torch.from_numpy(symbols.content).long()[None])
        content = content / self._content_scale(point)
        motion = self.motion_from_symbols(symbols.motion, point)
        start = noise.expand(1, len(symbols.motion), *noise.shape)
        path = self._content_image(content, motion, net)  # depends on the codes only: once per clip
        frames = diffusion.sample(
            lambda x, sigma: self._denoised(x, sigma, content, motion, path, net)[0],
            start,
            settings,
            SIGMA_MIN,
            self.cfg.sigma_max,
        )
        return frames[0].clamp(-1, 1)
