"""``bcdcodec demo``: the first command to run: a sample clip through the whole codec."""

from __future__ import annotations

from pathlib import Path

import click

from .errors import one_line_errors
from .format import human_bytes


@click.command()
@click.option(
    "--out",
    "out_dir",
    default="bcdcodec-demo",
    show_default=True,
    type=click.Path(file_okay=False),
    help="folder for sample.mp4, sample.bcd and decoded.mp4",
)
@click.option("--model", "model_name", default="sprites-64", show_default=True, help="bundled model or checkpoint")
@click.option("--seed", type=int, default=1, show_default=True, help="which character and action")
@click.option(
    "--source",
    type=click.Choice(["auto", "sprites", "procedural"]),
    default="auto",
    show_default=True,
    help="a held-out Sprites test character (needs ../shared/data) or a procedural sprite; auto: "
    "Sprites when the sheets are there",
)
@click.option("-f", "--force", is_flag=True, help="overwrite files from an earlier demo")
@one_line_errors
def demo(out_dir, model_name, seed, source, force):
    """Write a sample sprite clip, encode it, decode it, print size and quality."""
    from bcdcodec import api
    from bcdcodec.data.procedural import procedural_split
    from bcdcodec.data.sprites import SheetLibrary, split_characters
    from bcdcodec.evaluation.metrics import psnr_db
    from bcdcodec.fileio import write_bytes_atomic
    from bcdcodec.paths import sprites_sheets
    from bcdcodec.video import Video, write_video

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    model = api.load_model(model_name)
    if source == "auto":
        source = "sprites" if sprites_sheets().is_dir() else "procedural"
    if source == "sprites":
        character = int(split_characters()[1][seed % 296])
        frames = SheetLibrary().sequences(character)[seed % 9]
        click.echo(f"sample: held-out Sprites test character {character}, action class {seed % 9}")
    else:
        frames = procedural_split(1, seed=seed).videos[0]
        click.echo("sample: a procedural sprite (no Sprites sheets under $BCDCODEC_DATA or ../shared/data)")
    write_video(Video(frames, 25), out / "sample.mp4", force=force)
    data = api.compress(frames, model, fps=25)
    write_bytes_atomic(out / "sample.bcd", data, force=force)
    decoded = api.decompress(data, model)
    write_video(decoded, out / "decoded.mp4", force=force)
    raw = frames.nbytes
    click.echo(
        f"{len(frames)} frames {frames.shape[2]}x{frames.shape[1]} -> {out / 'sample.bcd'}: "
        f"{human_bytes(len(data))} ({len(data) * 8} bits, {raw / len(data):.0f}x smaller than raw RGB)"
    )
    click.echo(f"decoded -> {out / 'decoded.mp4'}: PSNR {psnr_db(frames, decoded.frames):.2f} dB with {model.name}")
