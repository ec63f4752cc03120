"""Helpers every command shares: option parsing, loading a model, preparing and reporting outputs.

Library imports happen inside the functions, so that a command pays only for what it uses
(``info`` never imports torch).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import click

from bcdcodec.settings import FIT_POLICIES

from .format import human_bytes, human_count


def fit_option(help_text: str):
    """The ``--fit`` option of the commands that fit video frames to the model."""
    return click.option(
        "--fit", type=click.Choice(FIT_POLICIES), help=help_text + " (default: the model's; see docs/usage.md)"
    )


def refine_option(help_text: str):
    """The ``--refine STEPS`` option of the commands that encode (content refinement, 0 = off)."""
    return click.option(
        "--refine", "refine_steps", type=click.IntRange(0, 200), default=0, show_default=True, help=help_text
    )


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


def model_named_by_streams(model_name: str | None, checkpoint: str | None, *paths: str) -> str | None:
    """``model_name``, or when neither a model nor a checkpoint is given, the bundled model the
    first readable .bcd among ``paths`` names (so a stream is rendered by the model that made it)."""
    if model_name or checkpoint:
        return model_name
    from bcdcodec import registry
    from bcdcodec.bitstream import read_stream
    from bcdcodec.errors import BcdError
    from bcdcodec.fileio import read_stream_file

    for path in paths:
        if path.lower().endswith(".bcd"):
            try:
                return registry.find_by_id(read_stream(read_stream_file(path)).header.model_id).name
            except BcdError:
                return None  # the command reads the file again and reports what is wrong with it
    return None


def load_with_bundled_prior(model_name: str | None, checkpoint: str | None, prior: str | None):
    """The model, with ``prior`` or else the prior bundled with it."""
    from bcdcodec import codec

    return codec.with_bundled_prior(load(model_name, checkpoint, prior))


def prepare_video_output(
    dst: str, force: bool, model_name: str | None, checkpoint: str | None, inputs: tuple[str, ...] = ()
) -> None:
    """Checks every command that writes a video makes before any work: one model source, a known
    output kind, and no silent overwrite (never of an input, a folder of other files, or the
    current folder)."""
    from bcdcodec.fileio import check_writable
    from bcdcodec.video import output_kind

    if model_name and checkpoint:
        raise click.UsageError("give --model or --checkpoint, not both")
    check_writable(Path(dst), force, inputs, is_dir=output_kind(dst) == "png")


def report_video(dst: str, video) -> None:
    """One line for a written video (a ``Video`` in memory or a ``WrittenVideo``)."""
    count = video.frame_count if hasattr(video, "frame_count") else len(video.frames)
    click.echo(f"{dst}: {human_count(count, 'frame')} of {video.width}x{video.height} at {float(video.fps):g} fps")


def stream_or_video(path: str, model, fit: str) -> bytes:
    """A .bcd file's bytes, or a video file encoded on the fly."""
    from bcdcodec import codec
    from bcdcodec.fileio import read_stream_file
    from bcdcodec.video import open_video

    if path.lower().endswith(".bcd"):
        return read_stream_file(path)
    return codec.encode_source(open_video(path), model, fit or model.fit, None, progress=False)


def symbol_costs_or_none(data: bytes, details: dict, model_name, checkpoint, prior) -> list[dict] | None:
    """Per-GOP costs under the model given, or else the bundled model the stream names (its id and
    weights); ``None`` when no such model is at hand. The stream is checked as ``decode`` checks
    it, and refused with the same errors."""
    from bcdcodec import decoding, registry
    from bcdcodec.errors import ModelLoadError

    if model_name or checkpoint:
        return decoding.symbol_costs(data, load(model_name, checkpoint, prior))
    try:
        entry = registry.find_by_id(details["model_id"])
    except ModelLoadError:
        return None
    model = load(entry.name, None, prior)
    if model.hash_prefix.hex() != details["weights_hash_prefix"]:
        return None  # another model's weights under a bundled id
    return decoding.symbol_costs(data, model)


def info_lines(details: dict, costs: list[dict] | None) -> list[str]:
    """The human-readable ``info``: header, one line per GOP, and where the bytes go."""
    d = details
    total = d["file_bytes"]
    if costs is None:
        coding = "its model is not at hand"
    elif costs and "picture_bytes" in costs[0]:
        coding = "key pictures and flow"
    else:
        coding = f"{d['motion_coding']} motion"
    lines = [
        f"version {d['version']}, model id {d['model_id']} (weights {d['weights_hash_prefix']}), {coding}",
        f"{d['source_width_px']}x{d['source_height_px']} at {d['fps']} fps, {human_count(d['frame_count'], 'frame')} "
        f"in {human_count(d['clip_count'], 'clip')} of {d['clip_len_frames']}, fit {d['fit']}",
        f"{human_bytes(total)}: {d['bitrate_kbps']:.3f} kbit/s, {d['bits_per_clip']:.1f} bits/clip, "
        f"{d['bits_per_pixel']:.5f} bits/pixel",
    ]
    units = d.get("gops") or [
        {"start_s": None, "clips": 1, "bytes": b, "payload_bytes": b} for b in d.get("clip_payload_bytes", [])
    ]
    symbols = 0.0
    for i, unit in enumerate(units):
        line = f"GOP {i}: {unit['bytes']} B, {human_count(unit['clips'], 'clip')}"
        if unit.get("start_s") is not None:
            line = f"GOP {i} at {unit['start_s']:.2f} s: {unit['bytes']} B, {human_count(unit['clips'], 'clip')}"
        if costs is not None and "picture_bytes" in costs[i]:  # the key-frame codec
            cost = costs[i]
            symbols += cost["picture_bytes"] + cost["flow_bytes"]
            line += f"; key picture {cost['picture_bytes']} B, flow {cost['flow_bytes']} B"
        elif costs is not None:
            cost = costs[i]
            symbols += cost["content_bytes"] + sum(cost["motion_bytes"])
            motion = ", ".join(f"{m:.1f}" for m in cost["motion_bytes"])
            line += f"; content {cost['content_bytes']:.1f} B, motion per clip {motion} B"
        lines.append(line)
    framing = d["framing_bytes"]
    overhead = f"overhead: header {d['header_bytes']} B, framing and checks {framing} B"
    spent = d["header_bytes"] + framing
    if costs is not None:
        payload = total - spent
        overhead += f", coder termination {payload - symbols:.1f} B"
        spent += payload - symbols
    lines.append(f"{overhead}: {spent:.1f} B, {100 * spent / total:.1f} % of the file")
    if costs is None:
        lines.append("(content/motion split: give --model or --checkpoint)")
    return lines
