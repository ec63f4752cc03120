"""``bcdcodec train``, ``bcdcodec export`` and ``bcdcodec add-lower-points``."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import click

from bcdcodec.settings import FIT_POLICIES
from bcdcodec.train.presets import PRESETS

from .errors import one_line_errors


@click.command()
@click.option("--preset", default="sprites-64", show_default=True, help=f"named setup ({', '.join(PRESETS)})")
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, exists=True),
    help="a JSON training config (as written to OUT/train_config.json); overrides --preset",
)
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False), help="run folder (checkpoints, log)")
@click.option("--steps", type=click.IntRange(1), help="override the number of steps")
@click.option("--batch", type=click.IntRange(1), help="override clips per step")
@click.option("--data", help="override the data: sprites, procedural, or a folder of videos")
@click.option("--seed", type=int, help="override the seed")
@click.option("--threads", type=click.IntRange(1), help="torch CPU threads")
@click.option("--resume/--no-resume", default=True, show_default=True, help="continue from OUT/last.pt if present")
@click.option(
    "--init",
    "init_from",
    type=click.Path(dir_okay=False, exists=True),
    help="start from these weights (same architecture), e.g. to fine-tune to another rate",
)
@one_line_errors
def train(preset, config_path, out_dir, steps, batch, data, seed, threads, resume, init_from):
    """Train a model; writes OUT/last.pt (resumable) and OUT/final.pt (EMA weights, tables exported)."""
    import torch

    from bcdcodec.train.loop import train as run_training
    from bcdcodec.train.presets import TrainConfig
    from bcdcodec.train.presets import preset as named_preset

    if threads:
        torch.set_num_threads(threads)
    cfg = TrainConfig.from_dict(json.loads(Path(config_path).read_text())) if config_path else named_preset(preset)
    overrides = {
        k: v for k, v in {"steps": steps, "batch_clips": batch, "data": data, "seed": seed}.items() if v is not None
    }
    cfg = dataclasses.replace(cfg, **overrides)
    final = run_training(cfg, out_dir, resume=resume, init_from=init_from, log=lambda line: click.echo(line, err=True))
    click.echo(f"final checkpoint: {final}")


@click.command()
@click.argument("src", type=click.Path(dir_okay=False))
@click.argument("dst", type=click.Path(dir_okay=False))
@click.option("--half/--full", default=True, show_default=True, help="store weights as float16 (halves the file)")
@click.option("--default-steps", type=click.IntRange(1, 64), help="set the sampling steps encoders record by default")
@click.option(
    "--model-id",
    type=click.IntRange(1, 2**16 - 1),
    help="stream id for a model to be registered (never reuse one); default: 0, a private checkpoint",
)
@click.option("--name", help="model name recorded in the file (default: the training name)")
@click.option(
    "--fit",
    type=click.Choice(FIT_POLICIES),
    help="the fit policy encoders use by default (default: the training config's)",
)
@click.option("-f", "--force", is_flag=True, help="overwrite DST if it exists")
@one_line_errors
def export(src, dst, half, default_steps, model_id, name, fit, force):
    """Freeze the integer coding tables of a checkpoint and write a coding-ready model file."""
    import hashlib

    from bcdcodec.checkpoint import load_checkpoint, save_checkpoint
    from bcdcodec.fileio import check_writable

    check_writable(Path(dst), force, inputs=[src])
    net, extra = load_checkpoint(src)
    changes = {"default_steps": default_steps, "model_id": model_id, "name": name, "fit": fit}
    net.cfg = dataclasses.replace(net.cfg, **{k: v for k, v in changes.items() if v is not None})
    net.export_tables()
    save_checkpoint(
        net, dst, extra={"step": extra.get("step"), "train_config": extra.get("train_config", {})}, half=half
    )
    digest = hashlib.sha256(Path(dst).read_bytes()).hexdigest()
    click.echo(f"{dst}: model id {net.cfg.model_id}, sha256 {digest}")


@click.command("add-lower-points")
@click.argument("top", type=click.Path(dir_okay=False, exists=True))
@click.argument("lower", type=click.Path(dir_okay=False, exists=True))
@click.argument("dst", type=click.Path(dir_okay=False))
@click.option(
    "--group", type=click.IntRange(1), default=64, show_default=True, help="values per scale of the 4-bit difference"
)
@click.option("--still-point", is_flag=True, help="add a lowest point that sends no motion (a still picture)")
@click.option("-f", "--force", is_flag=True, help="overwrite DST if it exists")
@one_line_errors
def add_lower_points(top, lower, dst, group, still_point, force):
    """One model file from two: TOP (one operating point) kept whole as the top point, and the
    points below the top of LOWER (same architecture), coded by LOWER's network stored as a 4-bit
    difference from TOP's. Then run export (tables) and refit-priors."""
    from bcdcodec.checkpoint import load_checkpoint, save_checkpoint
    from bcdcodec.errors import InvalidArgumentError
    from bcdcodec.fileio import check_writable
    from bcdcodec.train.assemble import with_lower_points

    check_writable(Path(dst), force, inputs=[top, lower])
    top_net, extra = load_checkpoint(top)
    lower_net, _ = load_checkpoint(lower)
    try:
        net, kept = with_lower_points(top_net, lower_net, group, still_point)
    except ValueError as exc:
        raise InvalidArgumentError(str(exc)) from None
    save_checkpoint(net, dst, extra={"step": extra.get("step"), "train_config": extra.get("train_config", {})})
    shares = sorted(kept.values())
    click.echo(
        f"{dst}: {net.cfg.top_point + 1} operating points {list(net.cfg.operating_points)}; the 4-bit "
        f"difference keeps {100 * min(shares):.2f}-{100 * max(shares):.2f} % of each quantized tensor's energy"
    )


@click.command("label-faces")
@click.option("--split", default="train", show_default=True, type=click.Choice(["train", "dev"]))
@click.option("--threads", type=click.IntRange(1), default=1, show_default=True, help="torch CPU threads")
@one_line_errors
def label_faces(split, threads):
    """Label every talking-head source of SPLIT with the face-mesh teacher (training only; needs
    mediapipe) and cache the labels; sources already labelled are skipped."""
    import torch
    from tqdm import tqdm

    from bcdcodec.data.faces import find_sources
    from bcdcodec.paths import cache_dir, data_root
    from bcdcodec.train.face_labels import label_sources

    torch.set_num_threads(threads)
    folder = data_root() / "talking_heads" / split
    sources = find_sources(folder) if folder.is_dir() else []
    if not sources:
        raise click.UsageError(f"no talking-head sources under {folder} (set BCDCODEC_DATA)")
    with tqdm(total=len(sources), unit="source", desc=f"labelling {split}") as bar:
        labels = label_sources(sources, cache_dir("face_labels"), progress=lambda _path: bar.update())
    frames = sum(len(x.found) for x in labels)
    found = sum(int(x.found.sum()) for x in labels)
    click.echo(f"{len(sources)} sources, {frames} frames, a face meshed in {found / max(frames, 1):.1%}")
