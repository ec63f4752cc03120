"""``bcdcodec`` command line: encode, decode, info, models."""

from __future__ import annotations

import json
import re
import sys
from fractions import Fraction
from pathlib import Path

import click

from .errors import one_line_errors
from .format import human_bytes, human_count, human_rate

FIT_CHOICES = ("stretch", "crop", "pad")


def _progress_default() -> bool:
    return sys.stderr.isatty()


def _parse_size(value: str | None) -> tuple[int, int] | None:
    if value is None:
        return None
    match = re.fullmatch(r"(\d{1,5})x(\d{1,5})", value)
    if not match:
        raise click.BadParameter("expected WIDTHxHEIGHT, e.g. 352x288", param_hint="--size")
    return int(match.group(1)), int(match.group(2))


def _parse_rate(value: str | None) -> float | None:
    """``--rate``: motion bits per frame (``160``) or a bitrate at 25 fps (``4kbps``)."""
    if value is None:
        return None
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(kbps)?\s*", value.lower())
    if not match:
        raise click.BadParameter("expected bits per frame (160) or kbps at 25 fps (4kbps)", param_hint="--rate")
    number = float(match.group(1))
    return number * 1000 / 25 if match.group(2) else number


def _read_stream_file(path: str) -> bytes:
    from bcdcodec.errors import InvalidArgumentError

    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise InvalidArgumentError(f"cannot read {path}: {exc.strerror}") from None


def _load(model_name: str | None, checkpoint: str | None, prior: str | None = None):
    from bcdcodec import registry
    from bcdcodec.api import attach_prior, load_model

    model = load_model(Path(checkpoint)) if checkpoint else load_model(model_name or registry.DEFAULT_MODEL)
    return attach_prior(model, prior) if prior else model


def _load_with_bundled_prior(model_name: str | None, checkpoint: str | None, prior: str | None):
    """The model, with ``prior`` or else the prior bundled with it."""
    from bcdcodec.api import with_bundled_prior

    return with_bundled_prior(_load(model_name, checkpoint, prior))


def _prepare_video_output(dst: str, force: bool, model_name: str | None, checkpoint: str | None) -> None:
    """Option checks every command that writes a video makes before any work: one model source,
    a known output kind, and no silent overwrite."""
    from bcdcodec.fileio import check_writable
    from bcdcodec.video import output_kind

    if model_name and checkpoint:
        raise click.UsageError("give --model or --checkpoint, not both")
    output_kind(dst)
    check_writable(Path(dst), force)


def _report_video(dst: str, video) -> None:
    click.echo(f"{dst}: {human_count(len(video.frames), 'frame')} of {video.width}x{video.height} at {float(video.fps):g} fps")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="bcdcodec")
def main() -> None:
    """Generative video codec: content + motion codes at a few hundred bits per clip."""


@main.command()
@click.argument("src", type=click.Path(dir_okay=False))
@click.argument("dst", type=click.Path(dir_okay=False))
@click.option("--model", "model_name", help="bundled model name (default: sprites-64)")
@click.option("--checkpoint", type=click.Path(dir_okay=False), help="a checkpoint file instead of a bundled model")
@click.option("--rate", help="operating point: motion bits per frame (160) or kbps at 25 fps (4kbps)")
@click.option("--fit", type=click.Choice(FIT_CHOICES), default="stretch", show_default=True,
              help="how frames are fitted to the model's square resolution")
@click.option("--sampler", type=click.Choice(["euler", "heun"]), default="euler", show_default=True)
@click.option("--steps", type=click.IntRange(1, 64), help="decoder sampling steps recorded in the stream")
@click.option("--seed", type=click.IntRange(0, 2**32 - 1), default=0, show_default=True, help="decoder noise seed")
@click.option("--size", help="frame size WxH of a raw .yuv input")
@click.option("--fps", type=click.FloatRange(0.001, 1000), help="override the input frame rate")
@click.option("--max-frames", type=click.IntRange(1), help="encode at most this many frames")
@click.option("--motion-prior", is_flag=True, help="code motion under the autoregressive prior (smaller files)")
@click.option("--prior", type=click.Path(dir_okay=False), help="motion prior file (default: the model's bundled one)")
@click.option("-f", "--force", is_flag=True, help="overwrite DST if it exists")
@click.option("--progress/--no-progress", default=None, help="progress bar (default: when stderr is a terminal)")
@one_line_errors
def encode(src, dst, model_name, checkpoint, rate, fit, sampler, steps, seed, size, fps, max_frames, motion_prior,
           prior, force, progress):
    """Encode a video file (anything FFmpeg reads, or raw I420 .yuv) into a .bcd stream."""
    from bcdcodec.api import compress_file
    from bcdcodec.diffusion import SamplerSettings
    from bcdcodec.errors import InvalidArgumentError
    from bcdcodec.fileio import check_writable

    if model_name and checkpoint:
        raise click.UsageError("give --model or --checkpoint, not both")
    check_writable(Path(dst), force)
    size_wh, target = _parse_size(size), _parse_rate(rate)
    model = _load_with_bundled_prior(model_name, checkpoint, prior) if motion_prior else _load(model_name, checkpoint)
    if target is not None and abs(target - model.cfg.motion_bits_target) > 0.5:
        raise InvalidArgumentError(
            f"{model.name} is trained for {model.cfg.motion_bits_target:g} motion bits per frame, not {target:g}"
        )
    settings = SamplerSettings(sampler, steps or model.cfg.default_steps, seed)
    data = compress_file(src, dst, model, force=force, fit=fit, sampler=settings, size=size_wh,
                         fps=Fraction(fps).limit_denominator(1001) if fps else None, max_frames=max_frames,
                         progress=_progress_default() if progress is None else progress, motion_prior=motion_prior)
    from bcdcodec.api import stream_info

    info = stream_info(data)
    seconds = info["frame_count"] / float(Fraction(info["fps"]))
    click.echo(f"{dst}: {human_bytes(len(data))} for {human_count(info['frame_count'], 'frame')} "
               f"in {human_count(info['clip_count'], 'clip')}, "
               f"{human_rate(len(data) * 8, seconds)}, {info['bits_per_pixel']:.4f} bits/pixel")


@main.command()
@click.argument("src", type=click.Path(dir_okay=False))
@click.argument("dst", type=click.Path())
@click.option("--model", "model_name", help="bundled model (default: the one the stream names)")
@click.option("--checkpoint", type=click.Path(dir_okay=False), help="checkpoint the stream was made with")
@click.option("--steps", type=click.IntRange(1, 64), help="override the sampling steps in the stream")
@click.option("--prior", type=click.Path(dir_okay=False), help="motion prior of a prior-coded stream (default: bundled)")
@click.option("-f", "--force", is_flag=True, help="overwrite DST if it exists")
@click.option("--progress/--no-progress", default=None, help="progress bar (default: when stderr is a terminal)")
@one_line_errors
def decode(src, dst, model_name, checkpoint, steps, prior, force, progress):
    """Decode a .bcd stream to DST: .mp4/.mkv/.mov (H.264), .y4m, or a folder of PNG frames."""
    from bcdcodec.api import decompress_file
    from bcdcodec.bitstream import read_stream

    _prepare_video_output(dst, force, model_name, checkpoint)
    read_stream(_read_stream_file(src))  # a damaged stream fails here, before any model is loaded
    model = _load(model_name, checkpoint, prior) if (model_name or checkpoint or prior) else None
    video = decompress_file(src, dst, model, force=force, steps=steps,
                            progress=_progress_default() if progress is None else progress)
    _report_video(dst, video)


@main.command()
@click.argument("src", type=click.Path(dir_okay=False))
@one_line_errors
def info(src):
    """Print a stream's header and per-clip sizes as JSON (no model needed)."""
    from bcdcodec.bitstream import stream_info

    click.echo(json.dumps(stream_info(_read_stream_file(src)), indent=2))


@main.command()
@one_line_errors
def models():
    """List the bundled models."""
    from bcdcodec import registry

    if not registry.REGISTRY:
        click.echo("no bundled models yet; use --checkpoint PATH with a trained checkpoint")
    for entry in registry.REGISTRY:
        size = human_bytes(entry.path.stat().st_size) if entry.path.exists() else "missing"
        click.echo(f"{entry.name}\tid {entry.model_id}\t{size}\t{entry.description}")


from .bench import bench  # noqa: E402
from .demo import demo  # noqa: E402
from .evaluation import eval_group, train_judge_command  # noqa: E402
from .prior import generate_command, train_prior_command  # noqa: E402
from .training import export, train  # noqa: E402
from .transfer import transfer  # noqa: E402

for _command in (bench, demo, transfer, train, export, train_judge_command, eval_group, train_prior_command,
                 generate_command):
    main.add_command(_command)


if __name__ == "__main__":
    main()
