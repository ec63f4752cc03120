"""``bcdcodec train-judge`` and ``bcdcodec eval sprites``."""

from __future__ import annotations

import json
from pathlib import Path

import click

from .common import refine_option
from .errors import one_line_errors


@click.command("train-judge")
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="where to write the judge")
@click.option("--epochs", type=click.IntRange(1), default=4, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("-f", "--force", is_flag=True)
@one_line_errors
def train_judge_command(out, epochs, seed, force):
    """Train the Sprites judge on the real train-split labels and report its test accuracy."""
    from bcdcodec.data.sprites import build_split
    from bcdcodec.evaluation.judge import save_judge, train_judge
    from bcdcodec.fileio import check_writable
    from bcdcodec.paths import cache_dir

    check_writable(Path(out), force)
    train, test = (
        build_split("train", cache_dir=cache_dir("sprites"), progress=True),
        build_split("test", cache_dir=cache_dir("sprites")),
    )
    judge = train_judge(train.videos, train.attributes, train.motion, epochs=epochs, seed=seed)
    attrs, motion = judge.predict(test.videos)
    report = {
        "test_action_accuracy": float((motion == test.motion).mean()),
        "test_attribute_accuracy": float((attrs == test.attributes).mean()),
        "test_all_attributes_accuracy": float((attrs == test.attributes).all(1).mean()),
        "epochs": epochs,
        "seed": seed,
    }
    save_judge(judge, out, extra=report)
    click.echo(json.dumps(report, indent=2))


@click.group("eval")
def eval_group():
    """Benchmarks of a model on a named data set."""


@eval_group.command("sprites")
@click.option(
    "--model", "model_name", default="sprites-64", show_default=True, help="bundled model name or checkpoint path"
)
@click.option("--judge", "judge_path", type=click.Path(dir_okay=False), help="judge file (default: the bundled one)")
@click.option("--limit", type=click.IntRange(1), help="evaluate a random subset of this many sequences")
@click.option(
    "--split",
    type=click.Choice(["test", "train"]),
    default="test",
    show_default=True,
    help="train: the training characters, to tell fitting from generalisation",
)
@click.option(
    "--transfer-pairs", type=click.IntRange(1), help="number of motion-transfer pairs (default: one per sequence)"
)
@click.option("--steps", type=click.IntRange(1, 64), help="sampling steps (default: the model's)")
@click.option("--json-out", type=click.Path(dir_okay=False), help="also write the results here")
@click.option("--threads", type=click.IntRange(1), help="torch CPU threads")
@click.option("--prior", type=click.Path(dir_okay=False), help="also code every clip under this motion prior")
@click.option("--with-prior", is_flag=True, help="also code every clip under the model's bundled motion prior")
@click.option("--quality", type=click.IntRange(1), help="operating point, 1 = lowest rate (default: the highest)")
@one_line_errors
def eval_sprites(
    model_name, judge_path, limit, split, transfer_pairs, steps, json_out, threads, prior, with_prior, quality
):
    """Bytes per clip, PSNR/SSIM, judged action/attribute accuracy and motion transfer on a split."""
    import torch

    from bcdcodec import api, registry
    from bcdcodec.codec import require_diffusion
    from bcdcodec.data.sprites import build_split
    from bcdcodec.evaluation.judge import load_judge
    from bcdcodec.evaluation.sprites_eval import evaluate_sprites
    from bcdcodec.paths import cache_dir
    from bcdcodec.ratecontrol import quality_point

    if threads:
        torch.set_num_threads(threads)
    model = require_diffusion(api.load_model(model_name), "eval sprites")
    if prior:
        model = api.attach_prior(model, prior)
    elif with_prior:
        model = api.with_bundled_prior(model)
    judge = load_judge(judge_path or registry.verified_judge_path())
    results = evaluate_sprites(
        model,
        judge,
        build_split(split, cache_dir=cache_dir("sprites"), progress=True),
        limit=limit,
        transfer_pairs=transfer_pairs,
        steps=steps,
        point=None if quality is None else quality_point(model, quality),
    )
    results["split"] = split
    results["command"] = (
        "bcdcodec eval sprites "
        + " ".join(
            f"--{k.replace('_', '-')} {v}"
            for k, v in {
                "model": model_name,
                "split": split,
                "limit": limit,
                "transfer_pairs": transfer_pairs,
                "steps": steps,
                "prior": prior,
                "quality": quality,
            }.items()
            if v is not None
        )
        + (" --with-prior" if with_prior else "")
    )
    text = json.dumps(results, indent=2)
    if json_out:
        from bcdcodec.fileio import write_bytes_atomic

        write_bytes_atomic(json_out, (text + "\n").encode(), force=True)
    click.echo(text)


@eval_group.command("generate")
@click.option(
    "--model", "model_name", default="sprites-64", show_default=True, help="bundled model name or checkpoint path"
)
@click.option("--prior", type=click.Path(dir_okay=False), help="motion prior file (default: the model's bundled one)")
@click.option("--judge", "judge_path", type=click.Path(dir_okay=False), help="judge file (default: the bundled one)")
@click.option("--limit", type=click.IntRange(1), help="evaluate a random subset of this many test sequences")
@click.option("--temperature", type=click.FloatRange(0, min_open=True), default=1.0, show_default=True)
@click.option("--top-k", type=click.IntRange(0), default=0, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--json-out", type=click.Path(dir_okay=False), help="also write the results here")
@one_line_errors
def eval_generate(model_name, prior, judge_path, limit, temperature, top_k, seed, json_out):
    """Motion generated by the prior for held-out characters: valid action and kept attributes."""
    from bcdcodec import api, registry
    from bcdcodec.data.sprites import build_split
    from bcdcodec.evaluation.generation_eval import evaluate_generation
    from bcdcodec.evaluation.judge import load_judge
    from bcdcodec.paths import cache_dir

    model = api.load_model(model_name)
    model = api.attach_prior(model, prior) if prior else api.with_bundled_prior(model)
    judge = load_judge(judge_path or registry.verified_judge_path())
    results = evaluate_generation(
        model,
        judge,
        build_split("test", cache_dir=cache_dir("sprites"), progress=True),
        limit=limit,
        temperature=temperature,
        top_k=top_k,
        seed=seed,
    )
    text = json.dumps(results, indent=2)
    if json_out:
        from bcdcodec.fileio import write_bytes_atomic

        write_bytes_atomic(json_out, (text + "\n").encode(), force=True)
    click.echo(text)


@eval_group.command("faces")
@click.option(
    "--model", "model_name", default="faces-flow-128", show_default=True, help="bundled model name or checkpoint path"
)
@click.option(
    "--per-source", type=click.IntRange(1), default=4, show_default=True, help="48-frame windows per dev video"
)
@click.option("--steps", type=click.IntRange(1, 64), help="sampling steps (default: the model's)")
@click.option("--prior", type=click.Path(dir_okay=False), help="motion prior for generation (default: the bundled one)")
@click.option("--quality", type=click.IntRange(1), help="operating point, 1 = lowest rate (default: the model's own)")
@click.option(
    "--kbps",
    type=click.FloatRange(0, min_open=True),
    help="code each window through rate control at this target (operating point and GOP length), as encode --kbps",
)
@refine_option("fit each GOP's content to its frames (encode --refine)")
@click.option("--motion-prior", is_flag=True, help="code motion under the prior (smaller files)")
@click.option("--no-face-tools", is_flag=True, help="rate and PSNR/SSIM/MS-SSIM only (skip identity and landmarks)")
@click.option("--json-out", type=click.Path(dir_okay=False), help="also write the results here")
@click.option("--threads", type=click.IntRange(1), help="torch CPU threads")
@one_line_errors
def eval_faces(
    model_name, per_source, steps, prior, quality, kbps, refine_steps, motion_prior, no_face_tools, json_out, threads
):
    """Rate, PSNR/SSIM/MS-SSIM, identity, landmarks, mouth motion, transfer and generation on the
    talking-head dev people (never trained on)."""
    import torch

    from bcdcodec import api
    from bcdcodec.data.faces import FaceClips
    from bcdcodec.errors import ModelMismatchError
    from bcdcodec.evaluation.face_metrics import FaceToolsMissing, analyzer
    from bcdcodec.evaluation.faces_eval import evaluate_faces

    if threads:
        torch.set_num_threads(threads)
    from bcdcodec.ratecontrol import quality_point

    model = api.load_model(model_name)
    point = None if quality is None else quality_point(model, quality)
    flow = isinstance(model, api.FlowCodec)
    if flow and (steps or prior or motion_prior or refine_steps):
        raise click.UsageError(f"--steps, --prior, --motion-prior and --refine are not for {model.name}")
    try:
        if not flow:
            model = api.attach_prior(model, prior) if prior else api.with_bundled_prior(model)
    except ModelMismatchError as exc:
        if motion_prior:
            raise
        click.echo(f"bcdcodec: {exc}; skipping generation", err=True)
    tools = None
    if not no_face_tools:
        try:
            tools = analyzer()
        except FaceToolsMissing as exc:
            click.echo(f"bcdcodec: {exc}; reporting rate and pixel metrics only", err=True)
    clips = FaceClips.load("dev", model.image_size)
    results = evaluate_faces(
        model,
        clips,
        analyzer=tools,
        steps=steps,
        per_source=per_source,
        point=point,
        motion_prior=motion_prior,
        kbps=kbps,
        refine_steps=refine_steps,
        progress=True,
    )
    results["command"] = (
        f"bcdcodec eval faces --model {model_name} --per-source {per_source}"
        + (f" --steps {steps}" if steps else "")
        + (f" --quality {quality}" if quality else "")
        + (f" --kbps {kbps:g}" if kbps else "")
        + (f" --refine {refine_steps}" if refine_steps else "")
        + (" --motion-prior" if motion_prior else "")
    )
    text = json.dumps(results, indent=2)
    if json_out:
        from bcdcodec.fileio import write_bytes_atomic

        write_bytes_atomic(json_out, (text + "\n").encode(), force=True)
    click.echo(text)
