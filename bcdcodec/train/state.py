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
            "optimizer_params": [name for name, _ in model.named_parameters()],
            "live_state": model.state_dict(),
            "train_config": cfg.to_dict(),
        },
    )


def resume(path: Path, ema: BCDModel, model: BCDModel, optimizer: torch.optim.Optimizer) -> int:
    """Load ``last.pt`` into the models and optimiser; returns the step it was saved at. The
    optimiser state follows the parameters by name, so a change of module order between the
    session that saved it and this one does not hand one parameter's moments to another."""
    payload = load_checkpoint_payload(path)
    extra = payload["extra"]
    model.load_state_dict(extra["live_state"])
    ema.load_state_dict(payload["state_dict"])
    names = [name for name, _ in model.named_parameters()]
    optimizer.load_state_dict(_by_name(extra["optimizer"], extra.get("optimizer_params", names), names))
    return int(extra["step"])


def _by_name(saved: dict, saved_names: list[str], names: list[str]) -> dict:
    """A one-group optimiser state dict saved with parameters ``saved_names`` (in index order),
    re-indexed for parameters ``names``."""
    if sorted(saved_names) != sorted(names) or len(saved["param_groups"]) != 1:
        raise InvalidArgumentError("the checkpoint's optimiser state does not match the training parameters")
    index = {name: i for i, name in enumerate(saved_names)}
    state = {i: saved["state"][index[name]] for i, name in enumerate(names) if index[name] in saved["state"]}
    return {"state": state, "param_groups": saved["param_groups"]}


def init_weights(model: BCDModel, ema: BCDModel, source: str | Path) -> None:
    """Start from another checkpoint's weights (the architecture must match; rate settings may
    differ): that is how operating points are fine-tuned from one model. The content priors of
    operating points the source lacks start fresh."""
    source_net, _ = load_checkpoint(source)
    try:
        missing, unexpected = model.load_state_dict(source_net.state_dict(), strict=False)
    except RuntimeError as exc:
        raise InvalidArgumentError(f"{source} does not match the training architecture") from exc
    if unexpected or any(not k.startswith(NEW_WITH_POINTS) for k in missing):
        raise InvalidArgumentError(f"{source} does not match the training architecture")
    ema.load_state_dict(model.state_dict())


NEW_WITH_POINTS = ("point_quantizers.", "point_content_table")  # what a one-point model lacks


def save_final(path: Path, ema: BCDModel, step: int, cfg: TrainConfig) -> None:
    ema.export_tables()
    save_checkpoint(ema, path, extra={"step": step, "train_config": cfg.to_dict()})
