"""Model configuration. Saved inside every checkpoint as a plain dict; architecture is never
inferred from weight shapes."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from .errors import ModelLoadError


@dataclass(frozen=True)
class ModelConfig:
    """Everything needed to rebuild a BCD model.

    Frames enter as ``[B, T, 3, H, W]`` floats in ``[-1, 1]`` with ``H == W == image_size``.
    """

    name: str = "unnamed"
    model_id: int = 0                 # stable stream id; 0 = private checkpoint (not in the registry)
    image_size: int = 64
    patch_size: int = 8
    clip_len: int = 8                 # frames per clip / packet
    # encoder (T5-style transformer with relative position bias)
    enc_dim: int = 256
    enc_layers: int = 4
    enc_heads: int = 4
    patch_embed_dim: int = 32         # per-patch width before a frame is flattened to one token
    content_queries: int = 4          # K
    content_channels: int = 8         # Cc: content latent is [K, Cc]
    # group vector quantizer for motion
    motion_groups: int = 64           # N
    codebook_size: int = 32           # entries per group
    group_dim: int = 4
    vq_alpha: float = 5.0
    motion_bits_target: float = 160.0  # bits per frame: the operating point
    rate_loss_weight: float = 0.04
    # weight of the mean per-sample code entropy (bits/frame): without it the batch entropy target
    # can be met by flat logits plus Gumbel noise, with codes that carry no information
    vq_confidence_weight: float = 0.0
    # content latent rate (bits of the learned prior) weight in the loss
    content_rate_weight: float = 1e-3
    content_symbol_range: int = 64    # table covers [-range/2, range/2) around the channel median
    # fixed gain on the encoder's content output: rounding adds noise of width 1, so the latent
    # must start well above that scale or the decoder learns to ignore it
    content_gain: float = 1.0
    # standardise each content channel over the batch (running statistics at coding time) before
    # the gain: the clip-dependent part of the content queries' outputs starts ~100x smaller than
    # the rounding noise, so without it the decoder ignores content and the rate term collapses it
    content_norm: bool = False
    codebook_init_std: float = 1.0    # motion codebook init; match the encoder's output scale
    # True: sample codes with Gumbel noise in training (straight-through softmax gradient); False:
    # argmax codes with the VQ-VAE straight-through estimator (the decoder sees the same codes in
    # training as in coding, and the encoder gets the decoder's gradient unchanged)
    vq_gumbel: bool = True
    # argmax mode: weight of the commitment loss; small, so that the decoder's gradient, not the
    # pull towards the current code, decides where the encoder's motion outputs go
    vq_commitment: float = 0.25
    # denoiser (DiT with spatial and temporal attention)
    dit_dim: int = 256
    dit_layers: int = 6               # each layer = one spatial block + one temporal block
    dit_heads: int = 4
    # also add an embedding of (content, frame motion) to every patch token at the input: a path
    # from the codes to the output that no zero-initialised gate blocks at the start of training
    direct_conditioning: bool = False
    # initial value of the DiT blocks' residual gates: 0 is DiT's adaLN-zero (every block starts
    # as the identity); 1 lets the blocks learn from the first step, which on a CPU budget of a
    # few thousand steps is most of the difference
    adaln_gate_init: float = 0.0
    # patch position frequencies matched to the patch grid (see layers.sincos_grid_embedding)
    grid_positions: bool = False
    # EDM
    sigma_data: float = 0.5
    sigma_min: float = 0.002
    sigma_max: float = 80.0
    p_mean: float = -1.2
    p_std: float = 1.2
    default_steps: int = 8
    # fraction of training clips denoised from sigma_max exactly: the first sampler step, where
    # the decoder has only its content and motion codes to go on
    anchor_fraction: float = 0.0
    # cross-driving: fraction of training clips reconstructed from content of their first half
    # and motion of their second half
    cross_drive_fraction: float = 0.75
    # weight of moving pixels in the denoising loss: each pixel counts 1 + this times its mean
    # absolute deviation from the clip's temporal mean (normalised per clip), so that limbs, a
    # small share of the pixels, weigh as much as the static body they move against
    moving_pixel_weight: float = 0.0
    table_precision: int = 16         # integer frequency tables sum to 2**table_precision

    def __post_init__(self) -> None:
        problems = []
        if self.image_size % self.patch_size:
            problems.append("image_size must be a multiple of patch_size")
        if self.enc_dim % self.enc_heads or self.dit_dim % self.dit_heads:
            problems.append("model widths must be multiples of their head counts")
        if not 2 <= self.codebook_size <= 4096:
            problems.append("codebook_size must be in [2, 4096]")
        if self.clip_len < 2:
            problems.append("clip_len must be at least 2 (cross-driving splits clips in halves)")
        if not 0 <= self.model_id < 2**16:
            problems.append("model_id must fit in 16 bits")
        if not 8 <= self.table_precision <= 24:
            problems.append("table_precision must be in [8, 24]")
        if problems:
            raise ValueError("invalid ModelConfig: " + "; ".join(problems))

    @property
    def motion_dim(self) -> int:
        return self.motion_groups * self.group_dim

    @property
    def patches_per_frame(self) -> int:
        return (self.image_size // self.patch_size) ** 2

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> "ModelConfig":
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(values) - known
        if unknown:
            raise ModelLoadError(f"checkpoint config has unknown fields {sorted(unknown)}: newer bcdcodec?")
        try:
            return cls(**values)
        except (TypeError, ValueError) as exc:
            raise ModelLoadError(f"checkpoint config is invalid: {exc}") from exc


def tiny_config(**overrides) -> ModelConfig:
    """A very small config for tests and conformance streams (16x16 frames, a few thousand weights)."""
    base = dict(
        name="tiny", image_size=16, patch_size=4, clip_len=4, enc_dim=32, enc_layers=1, enc_heads=2,
        patch_embed_dim=8, content_queries=2, content_channels=4, motion_groups=4, codebook_size=8,
        group_dim=2, motion_bits_target=8.0, content_symbol_range=32, dit_dim=32, dit_layers=1,
        dit_heads=2, default_steps=2,
    )
    base.update(overrides)
    return ModelConfig(**base)
