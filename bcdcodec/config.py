"""Model configuration. Saved inside every checkpoint as a plain dict; architecture is never
inferred from weight shapes. The defaults are ``sprites-64-fixed``, the one-point model that is the
top point of the bundled ``sprites-64`` (which adds ``rate_points`` and a lower network;
bcdcodec/weights/sprites-64-q7.md)."""

from __future__ import annotations

import dataclasses
import itertools
from dataclasses import dataclass

from .errors import ModelLoadError
from .settings import FIT_POLICIES

# EDM constants (Karras et al. 2022), never varied
SIGMA_DATA = 0.5
SIGMA_MIN = 0.002


@dataclass(frozen=True)
class ModelConfig:
    """Everything needed to rebuild a BCD model.

    Frames enter as ``[B, T, 3, H, W]`` floats in ``[-1, 1]`` with ``H == W == image_size``.
    """

    name: str = "sprites-64"
    model_id: int = 0  # stream id, set at export/registration; 0 = private checkpoint
    image_size: int = 64
    patch_size: int = 8
    clip_len: int = 8  # frames per clip / packet
    fit: str = "stretch"  # how encoders fit source frames to image_size unless told (settings.FIT_POLICIES)
    # encoder (T5-style transformer with relative position bias)
    enc_dim: int = 192
    enc_layers: int = 3
    enc_heads: int = 4
    patch_embed_dim: int = 16  # per-patch width before a frame is flattened to one token
    content_queries: int = 4  # K
    content_channels: int = 8  # Cc: content latent is [K, Cc]
    # content as a spatial grid (talking heads): one latent per decoder patch position (K must be
    # the patch count), encoded from the clip's first frame and added to the decoder's patch
    # tokens where it belongs; False: K global content queries of the clip (sprites)
    content_grid: bool = False
    # with a content grid: also decode the grid to an image at the model resolution (RGB +
    # warp_channels features), warp it per frame by a flow predicted from the motion codes; its
    # RGB is the base the diffusion draws the residual over, and its patches join the decoder's
    # patch tokens (the explicit appearance path of DESIGN 2b; models.appearance, docs/faces.md)
    content_warp: bool = False
    warp_channels: int = 16
    base_loss_weight: float = 0.0  # weight of the base's own MSE to the frame (content_warp)
    # group vector quantizer for motion (argmax codes, VQ-VAE straight-through estimator)
    motion_groups: int = 8  # N
    codebook_size: int = 16  # entries per group
    group_dim: int = 4
    vq_alpha: float = 5.0  # logits -alpha * ||m - e||^2 (they give the entropy estimate)
    motion_bits_target: float = 20.0  # bits per frame: the operating point
    rate_loss_weight: float = 0.04
    # commitment loss weight: small, so that the decoder's gradient, not the pull towards the
    # current code, decides where the encoder's motion outputs go
    vq_commitment: float = 0.02
    # content latent: standardised per value (running statistics at coding time), times a gain,
    # rounded, coded under a learned factorized prior (rate weighted by content_rate_weight)
    content_rate_weight: float = 1e-4
    content_symbol_range: int = 64  # table covers [-range/2, range/2) around the channel median
    # rounding adds noise of width 1: the latent must sit well above that scale or the decoder
    # learns to ignore it
    content_gain: float = 4.0
    # operating points of one model, lowest rate first: (motion groups sent, content gain); the
    # last sends every group and is what a stream without an operating point uses. Empty: the
    # one point (motion_groups, content_gain). Training draws a point per clip; the groups beyond
    # a point's are not sent (the decoder sees zeros), its content is coded at its gain under its
    # own prior and reaches the decoder at the scale of content_gain (see models.bcd)
    rate_points: tuple[tuple[int, float], ...] = ()
    top_point_fraction: float = 0.0  # training: share of clips at the top point (the rest: any point)
    # 0: one network codes every point. g > 0: the points below the top are coded by a second
    # network stored as its difference from the top one in 4-bit integers with a float16 scale
    # per g values (small tensors whole; models.lower_network), so that the top point does not
    # share its decoder with the lower ones. Such a model is assembled from two trained ones
    lower_delta_group: int = 0
    # denoiser (DiT with spatial and temporal attention)
    dit_dim: int = 192
    dit_layers: int = 4  # each layer = one spatial block + one temporal block
    dit_heads: int = 4
    # EDM: a codec decoder is strongly conditioned, so sampling starts low (sigma_max), training
    # covers the high-noise end (p_mean, p_std), and anchor_fraction of the clips are trained at
    # sigma_max exactly, where only the codes tell what to draw
    sigma_max: float = 20.0
    p_mean: float = 0.0
    p_std: float = 1.4
    anchor_fraction: float = 0.75
    default_steps: int = 2
    # cross-driving: fraction of training clips rebuilt from another clip's content (see TrainConfig)
    cross_drive_fraction: float = 0.75
    table_precision: int = 16  # integer frequency tables sum to 2**table_precision

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
        if self.content_grid and self.content_queries != self.patches_per_frame:
            problems.append("a content grid has one latent per patch: content_queries must be the patch count")
        problems += _rate_point_problems(self)
        if not 0 <= self.top_point_fraction <= 1:
            problems.append("top_point_fraction must be in [0, 1]")
        if self.lower_delta_group < 0 or (self.lower_delta_group and not self.top_point):
            problems.append("lower_delta_group must be 0, or positive with points below the top")
        if self.content_warp and not self.content_grid:
            problems.append("content_warp needs content_grid")
        if self.fit not in FIT_POLICIES:
            problems.append(f"fit must be one of {', '.join(FIT_POLICIES)}")
        if not 8 <= self.table_precision <= 24:
            problems.append("table_precision must be in [8, 24]")
        if problems:
            raise ValueError("invalid ModelConfig: " + "; ".join(problems))

    @property
    def motion_dim(self) -> int:
        return self.motion_groups * self.group_dim

    @property
    def operating_points(self) -> tuple[tuple[int, float], ...]:
        """``(motion groups, content gain)`` of every operating point, lowest rate first."""
        return self.rate_points or ((self.motion_groups, self.content_gain),)

    @property
    def top_point(self) -> int:
        """Index of the full-rate point (what a stream without an operating point uses)."""
        return len(self.operating_points) - 1

    @property
    def patches_per_frame(self) -> int:
        return (self.image_size // self.patch_size) ** 2

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict, written_by_v01: bool = False) -> ModelConfig:
        """A config from a saved dict; retired fields go through :func:`migrate` first."""
        values, _ = migrate(values, written_by_v01)
        if "rate_points" in values:  # JSON/pickle lists -> the hashable tuples of the dataclass
            values["rate_points"] = tuple((int(n), float(g)) for n, g in values["rate_points"])
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(values) - known
        if unknown:
            raise ModelLoadError(f"checkpoint config has unknown fields {sorted(unknown)}: newer bcdcodec?")
        try:
            return cls(**values)
        except (TypeError, ValueError) as exc:
            raise ModelLoadError(f"checkpoint config is invalid: {exc}") from exc


# Options of bcdcodec 0.1 that are gone. Training-only and initialisation-only ones are dropped
# whatever their value (they do not change what a trained model computes); the others are
# accepted only at the value that is now built in, or at the one value that a loaded checkpoint
# can be rebuilt exactly for (see ``Legacy``).
_DROPPED = ("vq_gumbel", "moving_pixel_weight", "adaln_gate_init", "grid_positions", "codebook_init_std")
_FIXED = {"vq_confidence_weight": 0.0, "sigma_data": SIGMA_DATA, "sigma_min": SIGMA_MIN}
_REBUILT = ("content_norm", "direct_conditioning")  # False: filled with exact identities
# 0.1's defaults: a 0.1 checkpoint omits the fields that did not exist yet when it was written
V01_DEFAULTS = dict(
    name="unnamed",
    model_id=0,
    image_size=64,
    patch_size=8,
    clip_len=8,
    enc_dim=256,
    enc_layers=4,
    enc_heads=4,
    patch_embed_dim=32,
    content_queries=4,
    content_channels=8,
    motion_groups=64,
    codebook_size=32,
    group_dim=4,
    vq_alpha=5.0,
    motion_bits_target=160.0,
    rate_loss_weight=0.04,
    vq_confidence_weight=0.0,
    content_rate_weight=1e-3,
    content_symbol_range=64,
    content_gain=1.0,
    content_norm=False,
    codebook_init_std=1.0,
    vq_gumbel=True,
    vq_commitment=0.25,
    dit_dim=256,
    dit_layers=6,
    dit_heads=4,
    direct_conditioning=False,
    adaln_gate_init=0.0,
    grid_positions=False,
    sigma_data=0.5,
    sigma_min=0.002,
    sigma_max=80.0,
    p_mean=-1.2,
    p_std=1.2,
    default_steps=8,
    anchor_fraction=0.0,
    cross_drive_fraction=0.75,
    moving_pixel_weight=0.0,
    table_precision=16,
)


@dataclass(frozen=True)
class Legacy:
    """What a 0.1 checkpoint lacks that this version builds in: the loader adds the identity
    content standardisation (``content_norm``) and a zero direct-conditioning path
    (``direct_conditioning``), which leave every output bit-exact."""

    identity_content_norm: bool = False
    zero_direct_conditioning: bool = False


def _rate_point_problems(cfg: ModelConfig) -> list[str]:
    points = cfg.rate_points
    if not points:
        return []
    problems = []
    if points[-1][0] != cfg.motion_groups:
        problems.append("the last rate point must send all motion_groups")
    for (n0, g0), (n1, g1) in itertools.pairwise(points):
        if n1 < n0 or g1 < g0 or (n1, g1) == (n0, g0):
            problems.append("rate points must rise: groups and gain never fall, and each point differs")
            break
    # a point may send no motion (a still picture of the content); the top one sends every group
    if any(not 0 <= n <= cfg.motion_groups or g <= 0 for n, g in points):
        problems.append("a rate point needs 0..motion_groups groups and a positive gain")
    if len(points) > 64:
        problems.append("at most 64 rate points")
    return problems


def migrate(values: dict, written_by_v01: bool = False) -> tuple[dict, Legacy]:
    """The one migration of saved config dicts: 0.1 fields -> this version's fields, plus what
    the loader must fill in. ``written_by_v01``: the dict comes from a 0.1 checkpoint, where an
    absent option means its 0.1 default (off). Raises :class:`ModelLoadError` for a retired option
    at a value that cannot be rebuilt."""
    values = {**V01_DEFAULTS, **values} if written_by_v01 else dict(values)
    for name in _DROPPED:
        values.pop(name, None)
    for name, expected in _FIXED.items():
        if name in values and values.pop(name) != expected:
            raise ModelLoadError(f"checkpoint uses the retired option {name} (only {expected} is supported)")
    rebuilt = {name: values.pop(name, True) for name in _REBUILT}
    legacy = Legacy(
        identity_content_norm=not rebuilt["content_norm"], zero_direct_conditioning=not rebuilt["direct_conditioning"]
    )
    return values, legacy


_DROPPED_TRAINING = ("tau_start", "tau_end")  # Gumbel temperature: the estimator is gone


def migrate_training(values: dict) -> dict:
    """The same for saved training settings (``TrainConfig`` dicts): retired fields dropped, a
    retired option only at the value that is now built in."""
    values = {k: v for k, v in values.items() if k not in _DROPPED_TRAINING}
    if values.pop("augment", False):
        raise ModelLoadError("training config uses the retired option augment (see docs/experiments.md)")
    return values


def tiny_config(**overrides) -> ModelConfig:
    """A very small config for tests and conformance streams (16x16 frames, a few thousand weights)."""
    base = dict(
        name="tiny",
        image_size=16,
        patch_size=4,
        clip_len=4,
        enc_dim=32,
        enc_layers=1,
        enc_heads=2,
        patch_embed_dim=8,
        content_queries=2,
        content_channels=4,
        motion_groups=4,
        codebook_size=8,
        group_dim=2,
        motion_bits_target=8.0,
        content_symbol_range=32,
        dit_dim=32,
        dit_layers=1,
        dit_heads=2,
        default_steps=2,
    )
    base.update(overrides)
    return ModelConfig(**base)
