"""Named training setups: model architecture + optimisation, saved into every checkpoint."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from ..config import ModelConfig, migrate_training, tiny_config
from ..errors import InvalidArgumentError, ModelLoadError

CONTENT_PARTNERS = ("self", "same-character")


@dataclass(frozen=True)
class TrainConfig:
    """Optimisation and data; the defaults are the recipe of ``sprites-64-fixed``, the first stage
    of the bundled ``sprites-64`` (presets sprites-64-rates and -rates-2 are the other two)."""

    data: str = "sprites"  # "sprites" (LPC sheets), "procedural", or a folder of videos
    steps: int = 3400
    batch_clips: int = 64
    lr: float = 8e-4
    weight_decay: float = 0.01
    warmup_steps: int = 200
    ema_decay: float = 0.998
    grad_clip: float = 1.0
    seed: int = 0
    checkpoint_every: int = 100
    validate_every: int = 800
    validation_clips: int = 16
    fit: str = "crop"  # for folder data
    # where a cross-driven clip's content comes from: "self" (the first half of the same clip, as
    # in BCD) or "same-character" (another sequence of the same character: on Sprites an action is
    # constant over a clip, so content taken from the clip itself can carry the action; on talking
    # heads, a window of the same video at least 2 s away)
    content_partner: str = "same-character"
    model: ModelConfig = field(default_factory=ModelConfig)

    def __post_init__(self) -> None:
        if self.content_partner not in CONTENT_PARTNERS:
            raise InvalidArgumentError(f"content_partner must be one of {', '.join(CONTENT_PARTNERS)}")

    def to_dict(self) -> dict:
        values = dataclasses.asdict(self)
        values["model"] = self.model.to_dict()
        return values

    @classmethod
    def from_dict(cls, values: dict) -> TrainConfig:
        try:
            values = migrate_training(values)
            model = ModelConfig.from_dict(values.pop("model", {}))
        except ModelLoadError as exc:
            raise InvalidArgumentError(str(exc)) from None
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(values) - known
        if unknown:
            raise InvalidArgumentError(f"unknown training settings {sorted(unknown)}")
        return cls(model=model, **values)


# talking heads at 128x128 (DESIGN 2b): content as an 8x8 grid of 16 values per 16x16 patch,
# coded once per GOP and decoded to a content image that each frame's motion codes warp (the base
# the diffusion draws the residual over); 8 motion groups of 32 codes per frame at 24 bits/frame;
# the sprites DiT width at 64 patch tokens per frame; encoders keep the centred square and fill
# the sides (fill). Four operating points (motion groups sent, content gain), half of the clips
# trained at the top one; half of the clips cross-driven from content 2 s away or more (a codec
# decodes from content of the same GOP: at 75 % the base learned to blur). The base's own MSE
# (weight 16) against a content rate weight of 5e-5 sets the content rate (docs/faces.md)
FACES_128 = ModelConfig(
    name="faces-128", image_size=128, patch_size=16, clip_len=8, fit="fill", content_grid=True, content_queries=64,
    content_channels=16, content_gain=2.0, content_rate_weight=5e-5, content_warp=True, base_loss_weight=16.0,
    motion_groups=8, codebook_size=32, motion_bits_target=24.0,
    rate_points=((3, 0.5), (5, 1.0), (6, 1.4), (8, 2.0)), top_point_fraction=0.5, cross_drive_fraction=0.5,
)  # fmt: skip
PRESETS = {
    # the recipe of sprites-64-fixed (bcdcodec/weights/sprites-64.md), the first stage of the bundled
    # sprites-64: the defaults
    "sprites-64": TrainConfig(),
    "procedural-64": TrainConfig(
        data="procedural",
        steps=2400,
        batch_clips=16,
        lr=5e-4,
        warmup_steps=100,
        ema_decay=0.99,
        checkpoint_every=250,
        validate_every=500,
        model=ModelConfig(name="procedural-64", motion_bits_target=10.0),
    ),
    # the talking-head model; checkpoints every 50 steps (about a minute on a CPU)
    "faces-128": TrainConfig(
        data="talking-heads",
        steps=2600,
        batch_clips=16,
        lr=4e-4,
        warmup_steps=100,
        ema_decay=0.998,
        checkpoint_every=50,
        validate_every=500,
        validation_clips=8,
        model=FACES_128,
    ),
    # the sprites-64 recipe at test scale: same estimator, conditioning and content partners
    "smoke": TrainConfig(
        data="procedural",
        steps=20,
        batch_clips=4,
        checkpoint_every=10,
        validate_every=10,
        validation_clips=2,
        warmup_steps=2,
        model=tiny_config(name="smoke", image_size=64, patch_size=16, clip_len=8),
    ),
}


# operating points for sprites-64: a fine-tune of it (train --init the one-point model), where
# each clip is trained at one of six points, from 1 motion group and content at gain 0.25 up to
# every group at gain 8 (bcdcodec/weights/sprites-64-q6.md)
SPRITES_RATE_POINTS = ((1, 0.25), (2, 0.5), (3, 1.0), (4, 2.0), (6, 4.0), (8, 8.0))
PRESETS["sprites-64-rates"] = TrainConfig(
    steps=600,
    lr=3e-4,
    warmup_steps=50,
    ema_decay=0.99,
    checkpoint_every=50,
    validate_every=200,
    model=dataclasses.replace(ModelConfig(), rate_points=SPRITES_RATE_POINTS),
)
# second stage (train --init the first stage's final.pt): half of the clips at the top point, to
# bring its quality back towards the one-point model's
PRESETS["sprites-64-rates-2"] = dataclasses.replace(
    PRESETS["sprites-64-rates"],
    lr=2e-4,
    warmup_steps=20,
    model=dataclasses.replace(PRESETS["sprites-64-rates"].model, top_point_fraction=0.5),
)


def preset(name: str) -> TrainConfig:
    if name not in PRESETS:
        raise InvalidArgumentError(f"unknown preset {name!r}; choose from {', '.join(PRESETS)}")
    return PRESETS[name]
