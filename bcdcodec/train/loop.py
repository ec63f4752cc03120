"""The training loop: AdamW on the live weights, an EMA of them, cross-driving with content
partners, the motion-rate target, periodic validation and resumable checkpoints.

Runs on CUDA when present. Under ``torchrun`` it trains data-parallel (see ``distributed``);
rank 0 validates and writes checkpoints. The pieces: ``distributed`` (where), ``step`` (one
optimisation step), ``ema``, ``validate``, ``state`` (checkpoints).
"""

from __future__ import annotations

import copy
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from ..errors import InvalidArgumentError
from ..models.factory import seeded_model
from . import distributed, state
from .ema import ema_update, recalibrate_content_norm
from .presets import TrainConfig
from .sources import clip_source
from .step import learning_rate, train_step
from .validate import validate


def train(
    cfg: TrainConfig,
    out_dir: str | Path,
    resume: bool = True,
    progress: bool = True,
    log=print,
    init_from: str | Path | None = None,
) -> Path:
    """Train and write ``out_dir/last.pt`` (resumable) and ``out_dir/final.pt`` (EMA weights with
    exported coding tables). Returns the path of the final checkpoint. ``init_from`` starts a new
    run from a checkpoint's weights (see :func:`state.init_weights`)."""
    out_dir = Path(out_dir)
    runtime = distributed.setup()
    if cfg.batch_clips % runtime.world:
        raise InvalidArgumentError(f"batch_clips {cfg.batch_clips} is not divisible by {runtime.world} processes")
    model = seeded_model(cfg.model, seed=cfg.seed).to(runtime.device).train()
    ema = copy.deepcopy(model).eval()
    optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    step = 0
    last, final = out_dir / "last.pt", out_dir / "final.pt"
    if resume and last.exists():
        step = state.resume(last, ema, model, optimizer)
        log(f"resumed from {last} at step {step}")
    elif init_from is not None:
        state.init_weights(model, ema, init_from)
        log(f"initialised from {init_from}")
    net = torch.nn.parallel.DistributedDataParallel(model) if runtime.world > 1 else model
    source = clip_source(cfg)
    rng = np.random.default_rng([cfg.seed, runtime.rank, step])
    generator = torch.Generator(runtime.device).manual_seed(cfg.seed * 1000003 + runtime.rank * 7919 + step)
    log_file = None
    if runtime.is_main:
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / "train_config.json").write_text(json.dumps(cfg.to_dict(), indent=2))
        log_file = open(out_dir / "train_log.jsonl", "a")
    bar = tqdm(total=cfg.steps, initial=step, disable=not progress or not runtime.is_main, file=sys.stderr, unit="step")
    started = time.time()
    while step < cfg.steps:
        record = train_step(net, model, optimizer, source, cfg, step, runtime, rng, generator)
        distributed.average_buffers(runtime, model)
        ema_update(ema, model, cfg.ema_decay if step > cfg.warmup_steps else 0.0)
        step += 1
        bar.update(1)
        bar.set_postfix(
            diff=record["diffusion"], mbits=record["motion_bits_per_frame"], cbits=record["content_bits_per_clip"]
        )
        if not runtime.is_main:
            continue
        record = {
            "step": step,
            **record,
            "lr": learning_rate(cfg, step - 1),
            "elapsed_s": round(time.time() - started, 1),
        }
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
            state.save_last(last, ema, model, optimizer, step, cfg)
    bar.close()
    if runtime.world > 1:
        digest = distributed.check_in_sync(runtime, model)
        log(f"rank {runtime.rank}: weights sha256 {digest} (all {runtime.world} ranks agree)")
    if runtime.is_main:
        state.save_final(final, ema, step, cfg)
        log_file.close()
    distributed.barrier(runtime)
    return final
