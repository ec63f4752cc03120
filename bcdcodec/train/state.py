"""Training state on disk: ``last.pt`` (resumable: EMA and live weights, optimiser, step) and
``final.pt`` (EMA weights with exported coding tables); starting from another run's weights."""

from __future__ import annotations

from pathlib import Path

import torch

from ..checkpoint import load_checkpoint, load_checkpoint_payload, save_checkpoint
from ..errors import InvalidArgumentError
from ..models.bcd import BCDModel
from .presets import TrainConfig


def save_last(
    path: Path, ema: BCDModel, model: BCDModel, optimizer: torch.optim.Optimizer, step: int, cfg: TrainConfig
) -> None:
    save_checkpoint(
        ema,
        path,
        extra={
            "step": step,
            "optimizer": optimizer.state_dict(),
            "live_state": model.state_dict(),
            "train_config": cfg.to_dict(),
        },
    )


def resume(path: Path, ema: BCDModel, model: BCDModel, optimizer: torch.optim.Optimizer) -> int:
    """Load ``last.pt`` into the models and optimiser; returns the step it was saved at."""
    payload = load_checkpoint_payload(path)
    model.load_state_dict(payload["extra"]["live_state"])
    ema.load_state_dict(payload["state_dict"])
    optimizer.load_state_dict(payload["extra"]["optimizer"])
    return int(payload["extra"]["step"])


def init_weights(model: BCDModel, ema: BCDModel, source: str | Path) -> None:
    """Start from another checkpoint's weights (the architecture must match; rate settings may
    differ): that is how operating points are fine-tuned from one model."""
    source_net, _ = load_checkpoint(source)
    try:
        model.load_state_dict(source_net.state_dict())
    except RuntimeError as exc:
        raise InvalidArgumentError(f"{source} does not match the training architecture") from exc
    ema.load_state_dict(model.state_dict())


def save_final(path: Path, ema: BCDModel, step: int, cfg: TrainConfig) -> None:
    ema.export_tables()
    save_checkpoint(ema, path, extra={"step": step, "train_config": cfg.to_dict()})
