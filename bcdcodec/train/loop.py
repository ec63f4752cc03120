"""The training loop: AdamW + EMA, tau annealing, checkpoint/resume, periodic validation.

Runs on CUDA when present. Under ``torchrun`` it trains data-parallel (gloo on CPU, NCCL on GPU);
rank 0 validates and writes checkpoints.
"""

from __future__ import annotations

import copy
import json
import math
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
from tqdm import tqdm

from ..checkpoint import load_checkpoint, load_checkpoint_payload, save_checkpoint
from ..errors import InvalidArgumentError
from ..models.bcd import BCDModel
from ..models.factory import seeded_model
from .augment import augment_clips
from .presets import TrainConfig
from .sources import clip_source
from .validate import validate


def _distributed() -> tuple[int, int]:
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world > 1 and not dist.is_initialized():
        dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
    return (dist.get_rank(), world) if world > 1 else (0, 1)


def _lr(cfg: TrainConfig, step: int) -> float:
    if step < cfg.warmup_steps:
        return cfg.lr * (step + 1) / cfg.warmup_steps
    progress = (step - cfg.warmup_steps) / max(1, cfg.steps - cfg.warmup_steps)
    return cfg.lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1.0, progress))))


def _tau(cfg: TrainConfig, step: int) -> float:
    return cfg.tau_start * (cfg.tau_end / cfg.tau_start) ** min(1.0, step / max(1, cfg.steps))


@torch.no_grad()
def _ema_update(ema: BCDModel, model: BCDModel, decay: float) -> None:
    for e, p in zip(ema.parameters(), model.parameters()):
        e.lerp_(p.detach(), 1 - decay)
    for e, b in zip(ema.buffers(), model.buffers()):
        e.copy_(b)


@torch.no_grad()
def recalibrate_content_norm(ema: BCDModel, source, rng: np.random.Generator, batches: int = 16) -> None:
    """Recompute the content standardisation's running statistics for the EMA weights, from whole
    training clips as coding sees them. The live model's statistics (copied into the EMA model at
    every step) belong to other encoder weights and, early in training, are far off."""
    norm = getattr(ema.encoder, "content_norm", None)
    if norm is None:
        return
    device = next(ema.parameters()).device
    was_training, momentum = ema.training, norm.momentum
    ema.eval()
    norm.reset_running_stats()
    norm.momentum = None  # cumulative average over the batches below
    norm.train()
    for _ in range(batches):
        ema.encoder(source.train_batch(16, rng).to(device))
    norm.momentum = momentum
    ema.train(was_training)


def train(cfg: TrainConfig, out_dir: str | Path, resume: bool = True, progress: bool = True,
          log=print, init_from: str | Path | None = None) -> Path:
    """Train and write ``out_dir/last.pt`` (resumable) and ``out_dir/final.pt`` (EMA weights with
    exported coding tables). Returns the path of the final checkpoint. ``init_from`` starts a new
    run from a checkpoint's weights (its architecture must match ``cfg.model``; the rate
    settings may differ): that is how operating points are fine-tuned from one model."""
    out_dir = Path(out_dir)
    rank, world = _distributed()
    device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", 0))) if torch.cuda.is_available() else torch.device("cpu")
    if device.type == "cuda":  # TensorFloat-32 matrix products: training needs no more precision
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    if cfg.batch_clips % world:
        raise InvalidArgumentError(f"batch_clips {cfg.batch_clips} is not divisible by {world} processes")
    model = seeded_model(cfg.model, seed=cfg.seed).to(device).train()
    ema = copy.deepcopy(model).eval()
    optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    step = 0
    last = out_dir / "last.pt"
    if init_from is not None and not (resume and last.exists()):
        source_net, _ = load_checkpoint(init_from)
        try:
            missing, unexpected = model.load_state_dict(source_net.state_dict(), strict=False)
        except RuntimeError as exc:
            raise InvalidArgumentError(f"{init_from} does not match the training architecture") from exc
        # a run may add layers that hold no weights, only statistics (the content
        # standardisation): those start fresh; every weight must come from the source
        weights = {name for name, _ in model.named_parameters()}
        if unexpected or any(key in weights for key in missing):
            raise InvalidArgumentError(f"{init_from} does not match the training architecture")
        ema.load_state_dict(model.state_dict())
        log(f"initialised from {init_from}")
    if resume and last.exists():
        payload = load_checkpoint_payload(last)
        model.load_state_dict(payload["extra"]["live_state"])
        ema.load_state_dict(payload["state_dict"])
        optimizer.load_state_dict(payload["extra"]["optimizer"])
        step = int(payload["extra"]["step"])
        log(f"resumed from {last} at step {step}")
    net = torch.nn.parallel.DistributedDataParallel(model) if world > 1 else model
    source = clip_source(cfg)
    rng = np.random.default_rng([cfg.seed, rank, step])
    generator = torch.Generator().manual_seed(cfg.seed * 1000003 + rank * 7919 + step)
    if rank == 0:
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / "train_config.json").write_text(json.dumps(cfg.to_dict(), indent=2))
    log_file = open(out_dir / "train_log.jsonl", "a") if rank == 0 else None
    bar = tqdm(total=cfg.steps, initial=step, disable=not progress or rank != 0, file=sys.stderr, unit="step")
    started = time.time()
    while step < cfg.steps:
        for group in optimizer.param_groups:
            group["lr"] = _lr(cfg, step)
        if cfg.content_partner == "same-character":
            clips, partners = (x.to(device) for x in source.train_pairs(cfg.batch_clips // world, rng))
        else:
            clips, partners = source.train_batch(cfg.batch_clips // world, rng).to(device), None
        if cfg.augment:
            clips, partners = augment_clips(clips, rng, partners)
        out = net(clips, tau=_tau(cfg, step), generator=generator, partners=partners)
        loss = out.loss + out.aux_loss
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
        optimizer.step()
        _ema_update(ema, model, cfg.ema_decay if step > cfg.warmup_steps else 0.0)
        step += 1
        bar.update(1)
        record = {"step": step, "loss": round(out.loss.item(), 5), "diffusion": round(out.diffusion_loss.item(), 5),
                  "motion_bits_per_frame": round(out.motion_bits.item(), 3),
                  "content_bits_per_clip": round(out.content_bits.item(), 2), "lr": _lr(cfg, step - 1),
                  "tau": round(_tau(cfg, step - 1), 4), "elapsed_s": round(time.time() - started, 1)}
        bar.set_postfix(diff=record["diffusion"], mbits=record["motion_bits_per_frame"], cbits=record["content_bits_per_clip"])
        if rank != 0:
            continue
        validating = step % cfg.validate_every == 0 or step == cfg.steps
        saving = step % cfg.checkpoint_every == 0 or step == cfg.steps
        if validating or saving:
            recalibrate_content_norm(ema, source, np.random.default_rng([cfg.seed, step]))
        if validating:
            ema.export_tables()
            record["validation"] = validate(ema, source.validation_clips(cfg.validation_clips))
            log(json.dumps({"step": step, **record["validation"]}))
        if step % 20 == 0 or "validation" in record:
            log_file.write(json.dumps(record) + "\n")
            log_file.flush()
        if saving:
            save_checkpoint(ema, last, extra={"step": step, "optimizer": optimizer.state_dict(),
                                              "live_state": model.state_dict(), "train_config": cfg.to_dict()})
    bar.close()
    final = out_dir / "final.pt"
    if rank == 0:
        ema.export_tables()
        save_checkpoint(ema.cpu(), final, extra={"step": step, "train_config": cfg.to_dict()})
        log_file.close()
    if world > 1:
        dist.barrier()
    return final
