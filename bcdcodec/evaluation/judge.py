"""The Sprites judge: a small CNN trained on real labels that names the action x direction class
(9) and the 4 attributes (6 values each) of an 8-frame 64x64 sequence."""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from tqdm import tqdm

from ..checkpoint import atomic_torch_save
from ..errors import ModelLoadError
from ..video.fit import videos_to_float

JUDGE_FORMAT = "bcdcodec-sprites-judge"


@dataclass(frozen=True)
class JudgeConfig:
    frames: int = 8
    image_size: int = 64
    width: int = 16
    feature_dim: int = 128
    attributes: int = 4
    attribute_values: int = 6
    motion_classes: int = 9


class SpritesJudge(nn.Module):
    """``forward(videos [B, T, 3, 64, 64] in [-1, 1])`` -> ``(attribute_logits [B, 4, 6], motion_logits [B, 9])``."""

    def __init__(self, cfg: JudgeConfig = JudgeConfig()):
        super().__init__()
        self.cfg = cfg
        w = cfg.width
        layers, channels = [nn.AvgPool2d(2)], 3  # sprites read fine at half resolution
        for out in (w, 2 * w, 4 * w):
            layers += [nn.Conv2d(channels, out, 3, stride=2, padding=1), nn.GroupNorm(8, out), nn.SiLU()]
            channels = out
        self.frame_net = nn.Sequential(
            *layers, nn.Flatten(), nn.Linear(channels * (cfg.image_size // 16) ** 2, cfg.feature_dim)
        )
        self.attribute_head = nn.Linear(cfg.feature_dim, cfg.attributes * cfg.attribute_values)
        self.motion_head = nn.Sequential(
            nn.Linear(cfg.frames * cfg.feature_dim, 256), nn.SiLU(), nn.Linear(256, cfg.motion_classes)
        )

    def forward(self, videos: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        b, t = videos.shape[:2]
        features = self.frame_net(videos.flatten(0, 1)).view(b, t, -1)
        attributes = self.attribute_head(features.mean(1)).view(b, self.cfg.attributes, self.cfg.attribute_values)
        return attributes, self.motion_head(features.flatten(1))

    @torch.no_grad()
    def predict(self, videos_u8: np.ndarray, batch: int = 64) -> tuple[np.ndarray, np.ndarray]:
        """``[N, 8, 64, 64, 3]`` uint8 -> ``(attributes [N, 4], motion [N])`` int predictions."""
        self.eval()
        attrs, motions = [], []
        for start in range(0, len(videos_u8), batch):
            x = videos_to_float(videos_u8[start : start + batch])
            a, m = self(x)
            attrs.append(a.argmax(-1).numpy())
            motions.append(m.argmax(-1).numpy())
        return np.concatenate(attrs), np.concatenate(motions)

    @torch.no_grad()
    def motion_confidence(self, videos_u8: np.ndarray, batch: int = 64) -> np.ndarray:
        """``[N, 8, 64, 64, 3]`` uint8 -> ``[N]`` the judge's top action-class probability."""
        self.eval()
        out = []
        for start in range(0, len(videos_u8), batch):
            _, m = self(videos_to_float(videos_u8[start : start + batch]))
            out.append(m.softmax(-1).max(-1).values.numpy())
        return np.concatenate(out)


def judge_loss(
    judge: SpritesJudge, videos: torch.Tensor, attributes: torch.Tensor, motion: torch.Tensor
) -> torch.Tensor:
    a, m = judge(videos)
    return F.cross_entropy(a.flatten(0, 1), attributes.flatten()) + F.cross_entropy(m, motion)


def save_judge(judge: SpritesJudge, path: str | os.PathLike, extra: dict | None = None) -> None:
    atomic_torch_save(
        {
            "format": JUDGE_FORMAT,
            "config": dataclasses.asdict(judge.cfg),
            "state_dict": {k: v.half() for k, v in judge.state_dict().items()},
            "extra": extra or {},
        },
        path,
    )


def load_judge(path: str | os.PathLike) -> SpritesJudge:
    try:
        payload = torch.load(Path(path), map_location="cpu", weights_only=True)
        if payload.get("format") != JUDGE_FORMAT:
            raise ModelLoadError(f"{path} is not a Sprites judge")
        judge = SpritesJudge(JudgeConfig(**payload["config"]))
        judge.load_state_dict({k: v.float() for k, v in payload["state_dict"].items()})
    except ModelLoadError:
        raise
    except Exception as exc:
        raise ModelLoadError(f"cannot load the Sprites judge from {path} ({type(exc).__name__})") from None
    return judge.eval()


def train_judge(
    videos: np.ndarray,
    attributes: np.ndarray,
    motion: np.ndarray,
    epochs: int = 4,
    batch: int = 64,
    lr: float = 2e-3,
    seed: int = 0,
    progress: bool = True,
    augment_noise: float = 0.03,
) -> SpritesJudge:
    """Train on ``videos [N, 8, 64, 64, 3]`` uint8 with labels ``attributes [N, 4]``, ``motion [N]``.

    Small Gaussian pixel noise is added so the judge also reads slightly imperfect reconstructions."""
    torch.manual_seed(seed)
    judge = SpritesJudge()
    optimizer = torch.optim.AdamW(judge.parameters(), lr=lr, weight_decay=1e-4)
    rng = np.random.default_rng(seed)
    steps = epochs * (len(videos) // batch)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=lr, total_steps=steps)
    generator = torch.Generator().manual_seed(seed)
    judge.train()
    for _ in tqdm(range(steps), desc="judge", disable=not progress):
        idx = rng.integers(0, len(videos), size=batch)
        x = videos_to_float(videos[idx])
        x = x + augment_noise * torch.randn(x.shape, generator=generator)
        loss = judge_loss(judge, x, torch.from_numpy(attributes[idx]), torch.from_numpy(motion[idx]))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        scheduler.step()
    return judge.eval()
