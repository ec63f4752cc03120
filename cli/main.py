"""``bcdcodec`` command line: encode, decode, info, models."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import click

from bcdcodec.settings import SAMPLERS

from .bench import bench
from .common import (
    fit_option,
    info_lines,
    load,
    load_with_bundled_prior,
    parse_size,
    prepare_video_output,
    progress_default,
    refine_option,
    report_video,
    symbol_costs_or_none,
)
from .demo import demo
from .errors import one_line_errors, run_group
from .evaluation import eval_group, train_judge_command
from .format import human_bytes, human_count, human_rate
from .prior import generate_command, refit_priors_command, train_prior_command
from .training import add_lower_points, export, label_faces, train
from .transfer import transfer


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="bcdcodec")
def main() -> None:
    """Generative video codec: content + motion codes at a few hundred bits per clip."""


@main.command()
@click.argument("src", type=click.Path(dir_okay=False))
@click.argument("dst", type=click.Path(dir_okay=False))
@click.option("--model", "model_name", help="bundled model name (default: faces-flow-128)")
@click.option("--checkpoint", type=click.Path(dir_okay=False), help="a checkpoint file instead of a bundled model")
@click.option(
    "--kbps",
    type=click.FloatRange(0, min_open=True),
    help="target bitrate of the whole file: the encoder picks the operating point and GOP length (within 10 %)",
)
@click.option(
    "--quality",
    type=click.IntRange(1),
    help="operating point, 1 = lowest rate (default: the model's own: 5 of 7 for faces-flow-128, "
    "the highest for the diffusion models)",
)
@fit_option("how frames are fitted to the model's square resolution")
@click.option("--sampler", type=click.Choice(SAMPLERS), default="euler", show_default=True)
@click.option("--steps", type=click.IntRange(1, 64), help="decoder sampling steps recorded in the stream")
@click.option("--seed", type=click.IntRange(0, 2**32 - 1), default=0, show_default=True, help="decoder noise seed")
@click.option("--size", help="frame size WxH of a raw .yuv input")
@click.option("--fps", type=click.FloatRange(0.001, 1000), help="override the input frame rate")
@click.option("--max-frames", type=click.IntRange(1), help="encode at most this many frames")
@click.option("--motion-prior", is_flag=True, help="code motion under the autoregressive prior (smaller files)")
@click.option("--prior", type=click.Path(dir_okay=False), help="motion prior file (default: the model's bundled one)")
@click.option(
    "--gop",
    "gop_seconds",
    type=click.FloatRange(0, 60, min_open=True),
    default=2.0,
    show_default=True,
    help="seconds between content updates (a GOP: the unit of random access and of loss)",
)
@click.option(
    "--scene-cut",
    type=click.FloatRange(0),
    default=1.0,
    show_default=True,
    help="start a GOP early when the content moves this far (standard deviations; 0 = every clip)",
)
@click.option("--no-scene-cut", is_flag=True, help="start GOPs only every --gop seconds")
@refine_option(
    "fit each GOP's content to its frames in this many steps: slower encoding, sharper decoding "
    "(faces-128, quality 4, 2 s GOPs: 20 steps, +1.0 dB for 2 % more bytes; with two-clip GOPs at quality 1 "
    "it lost 0.6 dB); not with --kbps"
)
@click.option(
    "--check/--no-check",
    default=True,
    show_default=True,
    help="decode the first clip and report its PSNR; warn when the model does not fit the video",
)
@click.option("-f", "--force", is_flag=True, help="overwrite DST if it exists")
@click.option("--progress/--no-progress", default=None, help="progress bar (default: when stderr is a terminal)")
@one_line_errors
def encode(
    src,
    dst,
    model_name,
    checkpoint,
    kbps,
    quality,
    fit,
    sampler,
    steps,
    seed,
    size,
    fps,
    max_frames,
    motion_prior,
    prior,
    gop_seconds,
    scene_cut,
    no_scene_cut,
    refine_steps,
    check,
    force,
    progress,
):
    """Encode a video file (anything FFmpeg reads, or raw I420 .yuv) into a .bcd stream."""
    from bcdcodec.api import compress_file, stream_info
    from bcdcodec.bitstream import read_stream
    from bcdcodec.codec import stream_point
    from bcdcodec.fileio import check_writable
    from bcdcodec.fitcheck import FirstClipCheck
    from bcdcodec.flowcodec import FlowCodec
    from bcdcodec.ratecontrol import quality_point
    from bcdcodec.settings import SamplerSettings

    if model_name and checkpoint:
        raise click.UsageError("give --model or --checkpoint, not both")
    if kbps is not None and quality is not None:
        raise click.UsageError("give --kbps or --quality, not both")
    if kbps is not None and refine_steps:
        raise click.UsageError("--refine works at a chosen --quality, not with --kbps")
    check_writable(Path(dst), force, inputs=[src])
    size_wh = parse_size(size)
    model = load_with_bundled_prior(model_name, checkpoint, prior) if motion_prior else load(model_name, checkpoint)
    flow = isinstance(model, FlowCodec)
    if flow:
        diffusion_only = {"--sampler": sampler != "euler", "--steps": steps, "--seed": seed, "--refine": refine_steps,
                          "--scene-cut": scene_cut != 1.0 or no_scene_cut}  # fmt: skip
        given = [name for name, value in diffusion_only.items() if value]
        if given:
            raise click.UsageError(f"{', '.join(given)}: not for {model.name} (it has no diffusion decoder)")
    point = None if quality is None else quality_point(model, quality)
    settings = None if flow else SamplerSettings(sampler, steps or model.cfg.default_steps, seed)
    first_clip = FirstClipCheck(model, settings)
    data = compress_file(
        src,
        dst,
        model,
        force=force,
        fit=fit or model.fit,
        sampler=settings,
        size=size_wh,
        fps=Fraction(fps).limit_denominator(1001) if fps else None,
        max_frames=max_frames,
        progress=progress_default(progress),
        motion_prior=motion_prior,
        gop_seconds=gop_seconds,
        scene_cut=None if no_scene_cut else scene_cut,
        probe=first_clip if check else None,
        point=point,
        target_kbps=kbps,
        refine_steps=refine_steps,
    )
    info = stream_info(data)
    coded = stream_point(read_stream(data).header)
    coded = model.default_point if coded is None else coded
    seconds = info["frame_count"] / float(Fraction(info["fps"]))
    clips = "" if flow else f"{human_count(info['clip_count'], 'clip')} and "  # the key-frame codec: GOPs only
    click.echo(
        f"{dst}: {human_bytes(len(data))} for {human_count(info['frame_count'], 'frame')} "
        f"in {clips}{human_count(len(info['gops']), 'GOP')}, "
        f"{human_rate(len(data) * 8, seconds)}, {info['bits_per_pixel']:.4f} bits/pixel"
        + (f", quality {coded + 1} of {model.top_point + 1}" if model.top_point else "")
    )
    if kbps is not None:
        landed = len(data) * 8 / seconds / 1000
        where = "at or below" if landed <= kbps else "above (the lowest rate this model reaches on it)"
        click.echo(f"rate target {kbps:g} kbit/s: landed at {landed:.3g} kbit/s, {where}")
    if check:
        psnr, why = first_clip.misfit(data)
        click.echo(f"first clip decodes at {psnr:.1f} dB PSNR ({model.image_size}x{model.image_size})")
        if why:
            click.echo(
                f"bcdcodec: warning: {model.name} does not fit this video ({why}); "
                "`bcdcodec models` says what each model codes",
                err=True,
            )


@main.command()
@click.argument("src", type=click.Path(dir_okay=False))
@click.argument("dst", type=click.Path())
@click.option("--model", "model_name", help="bundled model (default: the one the stream names)")
@click.option("--checkpoint", type=click.Path(dir_okay=False), help="checkpoint the stream was made with")
@click.option("--steps", type=click.IntRange(1, 64), help="override the sampling steps in the stream")
@click.option(
    "--prior", type=click.Path(dir_okay=False), help="motion prior of a prior-coded stream (default: bundled)"
)
@click.option("--start", type=click.FloatRange(0), default=0.0, help="first second to decode")
@click.option("--duration", type=click.FloatRange(0, min_open=True), help="seconds to decode (default: to the end)")
@click.option("--conceal", is_flag=True, help="decode past damaged GOPs, repeating the last good frame")
@click.option("-f", "--force", is_flag=True, help="overwrite DST if it exists")
@click.option("--progress/--no-progress", default=None, help="progress bar (default: when stderr is a terminal)")
@one_line_errors
def decode(src, dst, model_name, checkpoint, steps, prior, start, duration, conceal, force, progress):
    """Decode a .bcd stream to DST: .mp4/.mkv/.mov (H.264), .y4m, or a folder of PNG frames."""
    from bcdcodec.api import decompress_file
    from bcdcodec.bitstream import read_stream
    from bcdcodec.fileio import read_stream_file

    prepare_video_output(dst, force, model_name, checkpoint, (src,))
    read_stream(read_stream_file(src), conceal)  # a damaged stream fails here, before any model is loaded
    model = load(model_name, checkpoint, prior) if (model_name or checkpoint or prior) else None
    decoded = decompress_file(
        src, dst, model, force=force, steps=steps, progress=progress_default(progress), start=start,
        duration=duration, conceal=conceal,
    )  # fmt: skip
    for lost_from, lost_to in decoded.lost:
        click.echo(f"bcdcodec: warning: {lost_from:.2f}-{lost_to:.2f} s lost (damaged GOP), concealed", err=True)
    report_video(dst, decoded)


@main.command()
@click.argument("src", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="print the header, GOPs and sizes as JSON")
@click.option("--model", "model_name", help="model for the content/motion split (default: the bundled one named)")
@click.option("--checkpoint", type=click.Path(dir_okay=False), help="checkpoint for the content/motion split")
@click.option("--prior", type=click.Path(dir_okay=False), help="motion prior of a prior-coded stream")
@one_line_errors
def info(src, as_json, model_name, checkpoint, prior):
    """Show a stream's header, GOPs and where its bytes go (no model needed for the header)."""
    from bcdcodec.bitstream import stream_info
    from bcdcodec.fileio import read_stream_file

    data = read_stream_file(src)
    details = stream_info(data)
    costs = symbol_costs_or_none(data, details, model_name, checkpoint, prior)  # checks it as decode does
    if as_json:
        click.echo(json.dumps(details, indent=2))
        return
    for line in info_lines(details, costs):
        click.echo(line)


@main.command()
@one_line_errors
def models():
    """List the bundled models and the rates each reaches (qualities for --quality, kbit/s for --kbps)."""
    from bcdcodec import registry
    from bcdcodec.api import load_model
    from bcdcodec.ratecontrol import GOP_CANDIDATES, expected_kbps, expected_rates

    if not registry.REGISTRY:
        click.echo("no bundled models yet; use --checkpoint PATH with a trained checkpoint")
    for entry in registry.REGISTRY:
        if entry.kind == registry.FLOW_KIND:
            codec = load_model(entry.name)
            click.echo(f"{entry.name}\tid {entry.model_id}\tno weights\t{entry.description}")
            click.echo(
                f"\tquality 1..{codec.top_point + 1} (default {codec.default_point + 1}): the rate follows the "
                "video; on the dev talking heads at 25 fps with 2 s GOPs 0.95-3.4 kbit/s (docs/faces-flow.md)"
            )
            continue
        size = human_bytes(entry.path.stat().st_size) if entry.path.exists() else "missing"
        click.echo(f"{entry.name}\tid {entry.model_id}\t{size}\t{entry.description}")
        model = load_model(entry.name)
        rates, clip = expected_rates(model), model.cfg.clip_len
        low = expected_kbps(rates[0], clip, gop_seconds=max(GOP_CANDIDATES))
        high = expected_kbps(rates[-1], clip, gop_seconds=min(GOP_CANDIDATES))
        per_clip = [(r["content_bits_per_gop"] + clip * r["motion_bits_per_frame"]) / 8 for r in rates]
        click.echo(
            f"\tquality 1..{len(rates)}: about {low:.2g}-{high:.2g} kbit/s at 25 fps (GOPs of "
            f"{min(GOP_CANDIDATES):g}-{max(GOP_CANDIDATES):g} s); one {clip}-frame clip coded alone: about "
            f"{per_clip[0]:.0f}-{per_clip[-1]:.0f} B of symbols (static tables) plus the file's framing"
        )


for _command in (
    bench,
    demo,
    transfer,
    train,
    export,
    add_lower_points,
    label_faces,
    train_judge_command,
    eval_group,
    train_prior_command,
    refit_priors_command,
    generate_command,
):
    main.add_command(_command)


def run() -> None:
    """The ``bcdcodec`` console entry point."""
    run_group(main)


if __name__ == "__main__":
    run()
