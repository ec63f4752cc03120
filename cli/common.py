"""Helpers every command shares: option parsing, loading a model, preparing and reporting outputs.

Library imports happen inside the functions, so that a command pays only for what it uses
(``info`` never imports torch).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import click

from .format import human_count


def progress_default(progress: bool | None) -> bool:
    """``--progress/--no-progress``, defaulting to whether stderr is a terminal."""
    return sys.stderr.isatty() if progress is None else progress


def parse_size(value: str | None) -> tuple[int, int] | None:
    """``--size WxH`` of a raw video."""
    if value is None:
        return None
    match = re.fullmatch(r"(\d{1,5})x(\d{1,5})", value)
    if not match:
        raise click.BadParameter("expected WIDTHxHEIGHT, e.g. 352x288", param_hint="--size")
    return int(match.group(1)), int(match.group(2))


def load(model_name: str | None, checkpoint: str | None, prior: str | None = None):
    """The codec model a command asked for (``--model`` or ``--checkpoint``), with ``--prior``."""
    from bcdcodec import codec, registry

    if model_name and checkpoint:
        raise click.UsageError("give --model or --checkpoint, not both")
    model = codec.load_model(Path(checkpoint)) if checkpoint else codec.load_model(model_name or registry.DEFAULT_MODEL)
    return codec.attach_prior(model, prior) if prior else model


def load_with_bundled_prior(model_name: str | None, checkpoint: str | None, prior: str | None):
    """The model, with ``prior`` or else the prior bundled with it."""
    from bcdcodec import codec

    return codec.with_bundled_prior(load(model_name, checkpoint, prior))


def prepare_video_output(dst: str, force: bool, model_name: str | None, checkpoint: str | None) -> None:
    """Checks every command that writes a video makes before any work: one model source, a known
    output kind, and no silent overwrite."""
    from bcdcodec.fileio import check_writable
    from bcdcodec.video import output_kind

    if model_name and checkpoint:
        raise click.UsageError("give --model or --checkpoint, not both")
    output_kind(dst)
    check_writable(Path(dst), force)


def report_video(dst: str, video) -> None:
    click.echo(
        f"{dst}: {human_count(len(video.frames), 'frame')} of {video.width}x{video.height} at {float(video.fps):g} fps"
    )


def stream_or_video(path: str, model, fit: str) -> bytes:
    """A .bcd file's bytes, or a video file encoded on the fly."""
    from bcdcodec import codec
    from bcdcodec.fileio import read_stream_file
    from bcdcodec.video import open_video

    if path.lower().endswith(".bcd"):
        return read_stream_file(path)
    return codec.encode_source(open_video(path), model, fit, None, progress=False)
