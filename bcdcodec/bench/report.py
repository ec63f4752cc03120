"""Run a whole benchmark (suite x codecs x rate points) and write ``results.json`` and PNG plots."""

from __future__ import annotations

import json
import time
from pathlib import Path

from ..fileio import atomic_path, check_writable
from ..flowcodec import FlowCodec
from . import classical
from .plots import rd_plot
from .runner import compare_all, environment, run_bcdcodec, run_classical
from .suites import Suite


def run_benchmark(
    suite: Suite,
    models: list,
    out_dir: str | Path,
    *,
    codecs: list[str] | None = None,
    points_per_codec: int | None = None,
    judge=None,
    steps: int | None = None,
    gops: list[float] | None = None,
    progress: bool = True,
    log=print,
    force: bool = False,
) -> dict:
    """Measure every bcdcodec model and every classical codec on ``suite``; write
    ``out_dir/results.json`` and ``out_dir/rd_<metric>.png``; every operating point of each model
    is a rate point. ``points_per_codec`` keeps the
    lowest-rate settings of each sweep (the smoke variant uses 2); every model is measured at
    every GOP length in ``gops`` (seconds; default: the encoder's). Existing results in
    ``out_dir`` are replaced only with ``force``."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    check_writable(out_dir / "results.json", force)
    started = time.time()
    env = environment(suite)  # first: SVT-AV1 reports its version only on its first start-up
    points = []
    runs = [(m, q, g) for m in models for q in range(m.top_point + 1) for g in (gops or [None])]
    for model, quality, gop in runs:  # every operating point of every model, at every GOP length
        point = run_bcdcodec(
            suite, model, judge=judge, steps=steps, progress=progress, gop_seconds=gop, operating_point=quality
        ).summary()
        log(
            f"bcdcodec {point['setting']}: {point['file_bytes_per_sequence_mean']:.1f} B/sequence, "
            f"{point['psnr_rgb_db_mean']:.2f} dB"
        )
        points.append(point)
    specs = [classical.codec(name) for name in (codecs or list(classical.CODECS))]
    for spec in specs:
        qualities = spec.quality_values[:points_per_codec] if points_per_codec else spec.quality_values
        for result in run_classical(suite, spec, qualities, judge=judge, progress=progress):
            point = result.summary()
            log(
                f"{spec.name} {point['setting']}: {point['file_bytes_per_sequence_mean']:.1f} B/sequence, "
                f"{point['psnr_rgb_db_mean']:.2f} dB"
            )
            points.append(point)
    comparisons = compare_all(points)
    results = {
        "environment": env,
        "rate_unit": "whole-file bytes per sequence (the .bcd file; every elementary-stream packet)",
        "classical_settings": {spec.name: spec.settings() for spec in specs},
        "bcdcodec_models": [_model_record(m) for m in models],
        "points": points,
        "bcdcodec_vs_classical": comparisons,
        "wall_seconds": round(time.time() - started, 1),
    }
    with atomic_path(out_dir / "results.json", force=True) as tmp:
        tmp.write_text(json.dumps(results, indent=2))
    write_plots(results, out_dir, force=True)
    return results


def write_plots(results: dict, out_dir: str | Path, force: bool = False) -> None:
    """``out_dir/rd_<metric>.png`` for every quality metric in ``results`` (a results.json dict)."""
    env = results["environment"]
    title = f"{env['suite']}: {env['sequences']} sequences, {env['frame_size_px'][0]}x{env['frame_size_px'][1]}"
    keys = ["psnr_rgb_db", "psnr_y_db", "ssim_win7", "ms_ssim"]
    if any("judge_action_accuracy" in p for p in results["points"]):
        keys += ["judge_action_accuracy", "judge_attribute_accuracy"]
    for key in keys:
        rd_plot(results["points"], key, Path(out_dir) / f"rd_{key}.png", title, force=force)


def _model_record(model) -> dict:
    """What a report says of a bcdcodec model: name, hash, and what its operating points are."""
    if isinstance(model, FlowCodec):
        return {
            "name": model.name,
            "sha256": model.digest.hex(),
            "operating_points": [{"key_picture_crf": p.crf, "flow_step_milli": p.step} for p in model.points],
        }
    return {
        "name": model.name,
        "sha256": model.digest.hex(),
        "default_steps": model.cfg.default_steps,
        "operating_points": [list(p) for p in model.cfg.operating_points],
    }
