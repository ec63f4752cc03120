"""``bcdcodec bench``: rate-distortion of bcdcodec and the classical codecs on a suite."""

from __future__ import annotations

from pathlib import Path

import click

from .errors import one_line_errors


@click.command("bench")
@click.argument("suite")
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False),
    help="folder for results.json and the rd_*.png plots",
)
@click.option(
    "--model",
    "model_names",
    multiple=True,
    help="bcdcodec model: bundled name or checkpoint (repeatable; default: sprites-64 on sprites-test, "
    "else faces-flow-128)",
)
@click.option(
    "--gop",
    "gops",
    multiple=True,
    type=click.FloatRange(0, 60, min_open=True),
    help="bcdcodec GOP length in seconds, a rate point per value and model (repeatable; default: 2)",
)
@click.option("--codec", "codecs", multiple=True, help="classical codec (repeatable; default: all)")
@click.option("--sequences", type=click.IntRange(1), help="use only the first N sequences of the suite")
@click.option(
    "--frames",
    type=click.IntRange(1, 4096),
    help="frames per sequence for video suites (default: 48 for talking-heads-dev, 64 for folders)",
)
@click.option("--points", type=click.IntRange(1), help="keep only the N lowest-rate settings of each classical sweep")
@click.option("--steps", type=click.IntRange(1, 64), help="bcdcodec sampling steps (default: each model's)")
@click.option("--no-judge", is_flag=True, help="skip the Sprites judge on labelled suites")
@click.option("--seed", type=int, default=0, show_default=True, help="which sequences sprites-test picks")
@click.option("--threads", type=click.IntRange(1), help="torch CPU threads")
@click.option("--progress/--no-progress", default=None, help="progress bars (default: when stderr is a terminal)")
@click.option("-f", "--force", is_flag=True, help="replace results already in --out")
@one_line_errors
def bench(
    suite,
    out_dir,
    model_names,
    gops,
    codecs,
    sequences,
    frames,
    points,
    steps,
    no_judge,
    seed,
    threads,
    progress,
    force,
):
    """Benchmark SUITE (sprites-test, talking-heads-dev, natural-dev, procedural, or a folder of videos)."""
    import sys

    import torch

    from bcdcodec import api, registry
    from bcdcodec.bench import classical
    from bcdcodec.bench.report import run_benchmark
    from bcdcodec.bench.suites import load_suite
    from bcdcodec.fileio import check_writable

    Path(out_dir).mkdir(parents=True, exist_ok=True)
    check_writable(Path(out_dir) / "results.json", force)
    if threads:
        torch.set_num_threads(threads)
    progress = sys.stderr.isatty() if progress is None else progress
    for name in codecs:
        classical.codec(name)
    models = [api.load_model(name) for name in (model_names or [registry.default_model(suite)])]
    sizes = {m.image_size for m in models}
    size = sizes.pop()
    if sizes:
        raise click.UsageError("all --model operating points must share one frame size")
    loaded = load_suite(suite, size=size, count=sequences, frames=frames, seed=seed)
    judge = None
    if loaded.name == "sprites-test" and not no_judge:
        from bcdcodec.evaluation.judge import load_judge

        judge = load_judge(registry.verified_judge_path())
    run_benchmark(
        loaded,
        models,
        out_dir,
        codecs=list(codecs) or None,
        points_per_codec=points,
        judge=judge,
        steps=steps,
        gops=list(gops) or None,
        progress=progress,
        log=lambda line: click.echo(line, err=True),
        force=force,
    )
    click.echo(f"wrote {out_dir}/results.json and rd_*.png")
