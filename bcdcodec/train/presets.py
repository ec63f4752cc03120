"""Named training setups: model architecture + optimisation, saved into every checkpoint."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from ..config import ModelConfig, tiny_config
from ..errors import InvalidArgumentError


@dataclass(frozen=True)
class TrainConfig:
    data: str = "sprites"          # "sprites" (LPC sheets), "procedural", or a folder of videos
    steps: int = 20000
    batch_clips: int = 16
    lr: float = 4e-4
    weight_decay: float = 0.01
    warmup_steps: int = 200
    ema_decay: float = 0.999
    tau_start: float = 2.0
    tau_end: float = 0.5
    grad_clip: float = 1.0
    seed: int = 0
    checkpoint_every: int = 250
    validate_every: int = 500
    validation_clips: int = 16
    fit: str = "crop"              # for folder data
    # where a cross-driven clip's content comes from: "self" (the first half of the same clip, as
    # in BCD) or "same-character" (another sequence of the same character: on Sprites an action is
    # constant over a clip, so content taken from the clip itself can carry the action)
    content_partner: str = "self"
    # colour-order and mirror augmentation of training clips (bcdcodec.train.augment)
    augment: bool = False
    model: ModelConfig = field(default_factory=ModelConfig)

    def __post_init__(self) -> None:
        if self.content_partner not in ("self", "same-character"):
            raise InvalidArgumentError("content_partner must be 'self' or 'same-character'")

    def to_dict(self) -> dict:
        values = dataclasses.asdict(self)
        values["model"] = self.model.to_dict()
        return values

    @classmethod
    def from_dict(cls, values: dict) -> "TrainConfig":
        values = dict(values)
        model = ModelConfig.from_dict(values.pop("model", {}))
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(values) - known
        if unknown:
            raise InvalidArgumentError(f"unknown training settings {sorted(unknown)}")
        return cls(model=model, **values)


SPRITES_64 = ModelConfig(
    name="sprites-64", model_id=1, image_size=64, patch_size=8, clip_len=8,
    enc_dim=192, enc_layers=3, enc_heads=4, patch_embed_dim=16,
    content_queries=4, content_channels=8, content_symbol_range=64, content_rate_weight=1e-4,
    motion_groups=8, codebook_size=16, group_dim=4, motion_bits_target=20.0, vq_confidence_weight=0.0,
    codebook_init_std=0.5, vq_gumbel=False, vq_commitment=0.02,
    dit_dim=192, dit_layers=4, dit_heads=4, direct_conditioning=True, default_steps=2,
    # a codec decoder is strongly conditioned: start sampling lower, train the high-noise end, and
    # train three quarters of the clips at sigma_max exactly (where only the codes tell what to draw)
    sigma_max=20.0, p_mean=0.0, p_std=1.4, anchor_fraction=0.75,
    # standardised content (no collapse), open residual gates, patch positions matched to the grid
    content_norm=True, content_gain=4.0, adaln_gate_init=1.0, grid_positions=True,
)

PRESETS = {
    # the recipe of the bundled sprites-64 (bcdcodec/weights/sprites-64.train.json and .md)
    "sprites-64": TrainConfig(data="sprites", steps=3400, batch_clips=64, lr=8e-4, warmup_steps=200, ema_decay=0.998,
                              tau_start=1.0, tau_end=0.3, checkpoint_every=100, validate_every=800,
                              content_partner="same-character", model=SPRITES_64),
    "procedural-64": TrainConfig(data="procedural", steps=2400, batch_clips=16, lr=5e-4, warmup_steps=100,
                                 ema_decay=0.99, tau_start=1.0, tau_end=0.3, content_partner="same-character",
                                 model=dataclasses.replace(SPRITES_64, name="procedural-64", model_id=0,
                                                           motion_bits_target=10.0)),
    "smoke": TrainConfig(data="procedural", steps=20, batch_clips=4, checkpoint_every=10, validate_every=10,
                         validation_clips=2, warmup_steps=2,
                         model=tiny_config(name="smoke", image_size=64, patch_size=16, clip_len=8)),
}


def preset(name: str) -> TrainConfig:
    if name not in PRESETS:
        raise InvalidArgumentError(f"unknown preset {name!r}; choose from {', '.join(PRESETS)}")
    return PRESETS[name]
