"""``bcdcodec train-prior`` and ``bcdcodec generate``: the autoregressive motion prior."""

from __future__ import annotations

import json
from pathlib import Path

import click

from .common import load_with_bundled_prior, model_named_by_streams, prepare_video_output, report_video, stream_or_video
from .errors import one_line_errors


@click.command("train-prior")
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="where to write the prior")
@click.option("--model", "model_name", help="bundled codec (default: sprites-64 for --data sprites, else faces-128)")
@click.option("--checkpoint", type=click.Path(dir_okay=False), help="codec checkpoint instead of a bundled model")
@click.option("--data", default="sprites", show_default=True, help="sprites, procedural, talking-heads")
@click.option("--steps", type=click.IntRange(1), default=3000, show_default=True)
@click.option("--batch", type=click.IntRange(1), default=256, show_default=True)
@click.option("--lr", type=click.FloatRange(0, min_open=True), default=2e-3, show_default=True)
@click.option("--dim", type=click.IntRange(8), default=64, show_default=True)
@click.option("--layers", type=click.IntRange(1), default=2, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--threads", type=click.IntRange(1), help="torch CPU threads")
@click.option("-f", "--force", is_flag=True)
@one_line_errors
def train_prior_command(out, model_name, checkpoint, data, steps, batch, lr, dim, layers, seed, threads, force):
    """Train the motion prior on the codes a codec gives the training split; report test bits."""
    import torch

    from bcdcodec import registry
    from bcdcodec.api import load_model
    from bcdcodec.codec import require_diffusion
    from bcdcodec.coding.integer_prior import exp_lut
    from bcdcodec.fileio import check_writable
    from bcdcodec.models.motion_prior import MotionPriorConfig
    from bcdcodec.prior_file import save_prior
    from bcdcodec.train.prior_train import collect_codes, integer_bits, train_prior

    if threads:
        torch.set_num_threads(threads)
    check_writable(Path(out), force)
    name = model_name or registry.default_model(data, diffusion=True)
    model = require_diffusion(load_model(Path(checkpoint)) if checkpoint else load_model(name), "train-prior")
    train, test = _split_videos(data, model.cfg, seed)
    train_codes = collect_codes(model.net, train.videos, progress=True)
    test_codes = collect_codes(model.net, test.videos, progress=True)
    cfg = MotionPriorConfig.for_codec(model.cfg, dim=dim, layers=layers)
    prior = train_prior(cfg, *train_codes, steps=steps, batch=batch, lr=lr, seed=seed)
    content, motion = test_codes
    top = model.cfg.top_point
    with torch.no_grad():
        float_bits = float(prior.loss_bits(torch.from_numpy(content[:, top]), torch.from_numpy(motion[:, top])))
    twin = prior.integer_twin(exp_lut())
    report = {
        "codec": model.name,
        "codec_sha256": model.digest.hex(),
        "data": data,
        "steps": steps,
        "batch": batch,
        "lr": lr,
        "seed": seed,
        "test_clips": len(motion),
        "test_motion_bits_per_clip_static_tables": round(model.tables.motion_bits(motion[:, top]) / len(motion), 2),
        "test_motion_bits_per_clip_prior_float": round(float_bits * motion.shape[2], 2),
        "test_motion_bits_per_clip_prior_integer": round(integer_bits(twin, content[:, top], motion[:, top]), 2),
    }
    if top:  # every operating point, lowest first: static tables against the prior
        report["per_operating_point"] = [
            {
                "motion_groups": model.cfg.operating_points[p][0],
                "static_bits_per_clip": round(
                    model.tables_at(p).motion_bits(motion[:, p, :, : prior.cfg.groups_at(p)]) / len(motion), 2
                ),
                "prior_integer_bits_per_clip": round(integer_bits(twin, content[:, p], motion[:, p], point=p), 2),
            }
            for p in range(top + 1)
        ]
    save_prior(prior, out, model.net, extra=report)
    click.echo(json.dumps(report, indent=2))


@click.command("generate")
@click.option("--content", "content_path", required=True, help="video or .bcd whose content (first clip) is used")
@click.option("--frames", type=click.IntRange(1, 100_000), required=True, help="frames to generate")
@click.argument("dst", type=click.Path())
@click.option("--continue", "continue_motion", is_flag=True, help="keep the first clip's motion and continue it")
@click.option("--temperature", type=click.FloatRange(0, min_open=True), default=1.0, show_default=True)
@click.option("--top-k", type=click.IntRange(0), default=0, show_default=True, help="0 = all codes")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--model", "model_name", help="bundled model (default: the one a .bcd content names, else faces-128)")
@click.option("--checkpoint", type=click.Path(dir_okay=False), help="codec checkpoint instead of a bundled model")
@click.option("--prior", type=click.Path(dir_okay=False), help="motion prior file (default: the bundled one)")
@click.option("--fps", type=click.FloatRange(0.001, 1000), help="output frame rate (default: the content's)")
@click.option("--steps", type=click.IntRange(1, 64), help="sampling steps (default: the content stream's)")
@click.option("-f", "--force", is_flag=True, help="overwrite DST if it exists")
@one_line_errors
def generate_command(
    content_path,
    frames,
    dst,
    continue_motion,
    temperature,
    top_k,
    seed,
    model_name,
    checkpoint,
    prior,
    fps,
    steps,
    force,
):
    """Invent (or --continue) motion for a content with the autoregressive prior and render it."""
    from fractions import Fraction

    from bcdcodec.decoding import iter_rendered, write_rendered
    from bcdcodec.generate import generated_clips

    prepare_video_output(dst, force, model_name, checkpoint, (content_path,))
    model = load_with_bundled_prior(model_named_by_streams(model_name, checkpoint, content_path), checkpoint, prior)
    header, clips = generated_clips(
        stream_or_video(content_path, model, model.cfg.fit),
        model,
        frames,
        continue_motion=continue_motion,
        temperature=temperature,
        top_k=top_k,
        seed=seed,
    )
    rate = Fraction(fps).limit_denominator(1001) if fps else header.fps
    report_video(
        dst, write_rendered(iter_rendered(clips, header, model, steps, desc="generate"), header, dst, rate, force)
    )


def _split_videos(data: str, cfg, seed: int):
    """The training and test clips of ``data`` (``.videos [S, T, H, W, 3]`` uint8) for a codec
    of config ``cfg``."""
    import numpy as np

    from bcdcodec.errors import InvalidArgumentError

    if data == "sprites":
        from bcdcodec.data.sprites import build_split
        from bcdcodec.paths import cache_dir

        train, test = (
            build_split("train", cache_dir=cache_dir("sprites"), progress=True),
            build_split("test", cache_dir=cache_dir("sprites")),
        )
    elif data == "procedural":
        from bcdcodec.data.procedural import procedural_split

        train, test = procedural_split(512, seed=seed), procedural_split(64, seed=seed + 1)
    elif data == "talking-heads":
        from types import SimpleNamespace

        from bcdcodec.data.faces import FaceClips

        def clips(split: str, per_source: int) -> SimpleNamespace:
            windows = FaceClips.load(split, cfg.image_size).windows(cfg.clip_len, per_source)
            return SimpleNamespace(videos=np.stack([frames for _, _, frames in windows]))

        # every clip of the training people; the dev people (never trained on) for the test figure
        train, test = clips("train", 10**6), clips("dev", 10**6)
    else:
        raise InvalidArgumentError(f"unknown prior data {data!r}; choose sprites, procedural or talking-heads")
    return train, test


@click.command("refit-priors")
@click.argument("src", type=click.Path(dir_okay=False, exists=True))
@click.argument("dst", type=click.Path(dir_okay=False))
@click.option("--data", default="sprites", show_default=True, help="sprites, procedural, talking-heads")
@click.option(
    "--steps",
    type=click.IntRange(0),
    default=600,
    show_default=True,
    help="optimiser steps per prior; 0 keeps the priors and tables and only measures the training content",
)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--threads", type=click.IntRange(1), help="torch CPU threads")
@click.option("-f", "--force", is_flag=True)
@one_line_errors
def refit_priors_command(src, dst, data, steps, seed, threads, force):
    """Refit every operating point's content prior to the encoder's content on the training clips
    (network frozen, pictures unchanged) and write the model with its new tables (float16) and
    the statistics of its training content (encode warns when a video's content is far from them)."""
    import hashlib

    import torch

    from bcdcodec.checkpoint import load_checkpoint, save_checkpoint
    from bcdcodec.fileio import check_writable
    from bcdcodec.train.refit import collect_content, refit_content_priors
    from bcdcodec.typicality import EXTRA_KEY, ContentTypicality

    if threads:
        torch.set_num_threads(threads)
    check_writable(Path(dst), force, inputs=[src])
    net, extra = load_checkpoint(src)
    train, _ = _split_videos(data, net.cfg, seed)
    content = collect_content(net, train.videos, progress=True)
    report = refit_content_priors(net, content, steps=steps, seed=seed) if steps else []
    typicality = ContentTypicality.fit(content[:, -1])  # the top point's network (what fitcheck reads)
    kept = {"step": extra.get("step"), "train_config": extra.get("train_config", {})}
    save_checkpoint(net, dst, extra={**kept, EXTRA_KEY: typicality.to_extra()}, half=True)
    digest = hashlib.sha256(Path(dst).read_bytes()).hexdigest()
    summary = {"per_operating_point": report, "typicality_train_p99": typicality.train_high, "sha256": digest}
    click.echo(json.dumps(summary, indent=2))
