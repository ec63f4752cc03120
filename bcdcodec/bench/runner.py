"""``bcdcodec bench``: every codec at every rate point on every sequence of a suite, measured alike.

Rates count whole files: the ``.bcd`` file for bcdcodec, every elementary-stream packet for the
classical codecs. Quality is measured on the RGB frames each decoder returns against the suite's
RGB frames. Results are per rate point, averaged over sequences.
"""

from __future__ import annotations

import platform
import sys
import time
from dataclasses import dataclass, field

import numpy as np
import torch
from tqdm import tqdm

from .. import __version__, codec, decoding
from ..evaluation.metrics import ms_ssim, ms_ssim_window, psnr_db, psnr_y_db, ssim
from ..flowcodec import FlowCodec
from ..packing import DEFAULT_GOP_SECONDS
from ..settings import SamplerSettings
from . import classical
from .rd import bd_rate_percent, bytes_ratio_at_equal_quality
from .suites import Suite

QUALITY_KEYS = ("psnr_rgb_db", "psnr_y_db", "ssim_win7", "ms_ssim")
PRIMARY_RATE = "file_bytes_per_sequence"


@dataclass
class PointResult:
    """One rate point of one codec, its numbers averaged over the suite's sequences."""

    codec: str
    setting: str
    per_sequence: list[dict] = field(default_factory=list)
    judge: dict | None = None

    def summary(self) -> dict:
        rows = self.per_sequence
        out = {"codec": self.codec, "setting": self.setting, "sequences": len(rows)}
        for key in (
            PRIMARY_RATE,
            "bits_per_frame",
            "kbps_at_source_fps",
            "bits_per_pixel",
            *QUALITY_KEYS,
            "encode_seconds",
            "decode_seconds",
        ):
            out[key + "_mean"] = float(np.mean([r[key] for r in rows]))
        out[PRIMARY_RATE + "_max"] = int(max(r[PRIMARY_RATE] for r in rows))
        if self.judge:
            out.update(self.judge)
        return out


def _measure(reference: np.ndarray, decoded: np.ndarray, size_bytes: int, fps, seconds: tuple[float, float]) -> dict:
    t, h, w = reference.shape[:3]
    if decoded.shape != reference.shape:
        raise RuntimeError(f"decoder returned {decoded.shape}, expected {reference.shape}")
    bits = 8 * size_bytes
    return {
        PRIMARY_RATE: size_bytes,
        "bits_per_frame": bits / t,
        "kbps_at_source_fps": bits * float(fps) / t / 1000,
        "bits_per_pixel": bits / (t * h * w),
        "psnr_rgb_db": psnr_db(reference, decoded),
        "psnr_y_db": psnr_y_db(reference, decoded),
        "ssim_win7": ssim(reference, decoded),
        "ms_ssim": ms_ssim(reference, decoded),
        "encode_seconds": seconds[0],
        "decode_seconds": seconds[1],
    }


def _judge_accuracy(judge, suite: Suite, decoded: list[np.ndarray]) -> dict:
    pred_attr, pred_motion = judge.predict(np.stack(decoded))
    attributes = np.stack([s.attributes for s in suite.sequences])
    motion = np.array([s.motion for s in suite.sequences])
    return {
        "judge_action_accuracy": float(np.mean(pred_motion == motion)),
        "judge_attribute_accuracy": float(np.mean(pred_attr == attributes)),
    }


def run_classical(
    suite: Suite, spec: classical.ClassicalCodec, qualities, judge=None, progress: bool = True
) -> list[PointResult]:
    results = []
    for quality in qualities:
        point = PointResult(spec.name, f"{spec.quality_option}={quality}")
        decoded_all = []
        for seq in tqdm(
            suite.sequences, desc=f"{spec.name} {point.setting}", disable=not progress, file=sys.stderr, leave=False
        ):
            start = time.perf_counter()
            packets = classical.encode(seq.frames, spec, quality, fps=round(float(seq.fps)) or 25)
            mid = time.perf_counter()
            decoded = classical.decode(packets, spec)
            end = time.perf_counter()
            point.per_sequence.append(
                _measure(seq.frames, decoded, sum(map(len, packets)), seq.fps, (mid - start, end - mid))
            )
            decoded_all.append(decoded)
        if judge is not None:
            point.judge = _judge_accuracy(judge, suite, decoded_all)
        results.append(point)
    return results


def run_bcdcodec(
    suite: Suite,
    model,
    judge=None,
    steps: int | None = None,
    progress: bool = True,
    gop_seconds: float | None = None,
    operating_point: int | None = None,
) -> PointResult:
    """One rate point: ``model`` at ``operating_point`` (default: its top one) with GOPs of
    ``gop_seconds`` (default: the encoder's), no scene cuts, so that the GOP length alone sets
    how often content is sent."""
    flow = isinstance(model, FlowCodec)
    settings = None if flow else SamplerSettings(steps=steps or model.cfg.default_steps)
    gop = gop_seconds or DEFAULT_GOP_SECONDS
    top, chosen = model.top_point, model.default_point if operating_point is None else operating_point
    quality = "" if not top else f" quality={chosen + 1}/{top + 1}"
    sampling = "" if flow else f" steps={settings.steps}"
    point = PointResult("bcdcodec", f"{model.name}{quality} gop={gop:g}s{sampling}")
    decoded_all = []
    for seq in tqdm(suite.sequences, desc=f"bcdcodec {model.name}", disable=not progress, file=sys.stderr, leave=False):
        start = time.perf_counter()
        data = codec.compress(
            seq.frames, model, fps=seq.fps, sampler=settings, gop_seconds=gop, scene_cut=None, point=operating_point
        )
        mid = time.perf_counter()
        decoded = decoding.decompress(data, model).frames
        end = time.perf_counter()
        point.per_sequence.append(_measure(seq.frames, decoded, len(data), seq.fps, (mid - start, end - mid)))
        decoded_all.append(decoded)
    if judge is not None:
        point.judge = _judge_accuracy(judge, suite, decoded_all)
    return point


QUALITY_KEYS = ("psnr_rgb_db", "psnr_y_db", "ssim_win7", "ms_ssim")
JUDGE_KEYS = ("judge_action_accuracy", "judge_attribute_accuracy")  # labelled suites (Sprites)


def compare_all(points: list[dict]) -> dict:
    """:func:`compare` on every quality metric the points carry (the judge's on labelled suites)."""
    judged = all(key in p for p in points for key in JUDGE_KEYS)
    return {key: compare(points, key) for key in QUALITY_KEYS + (JUDGE_KEYS if judged else ())}


def compare(points: list[dict], quality_key: str = "psnr_rgb_db") -> dict:
    """BD-rate and bytes-at-equal-quality of bcdcodec against each classical codec, on ``quality_key``
    (a metric's mean, or a judge's accuracy)."""
    curves: dict[str, list[tuple[float, float]]] = {}
    for p in points:
        quality = p[quality_key] if quality_key in JUDGE_KEYS else p[quality_key + "_mean"]
        curves.setdefault(p["codec"], []).append((p[PRIMARY_RATE + "_mean"], quality))
    ours = curves.get("bcdcodec", [])
    out = {}
    for name, curve in curves.items():
        if name == "bcdcodec" or not ours:
            continue
        out[name] = {
            "bd_rate_percent_of_bcdcodec": bd_rate_percent(curve, ours),
            "bytes_ratio_at_equal_quality": bytes_ratio_at_equal_quality(curve, ours),
        }
    return out


def environment(suite: Suite) -> dict:
    first = suite.sequences[0].frames
    return {
        "bcdcodec": __version__,
        "torch": torch.__version__,
        "python": platform.python_version(),
        "ffmpeg_via_pyav": classical.library_versions(),
        "encoders": classical.encoder_versions(),
        "suite": suite.name,
        "description": suite.description,
        "sequences": len(suite.sequences),
        "frames_per_sequence": [int(s.frames.shape[0]) for s in suite.sequences],
        "frame_size_px": [int(first.shape[2]), int(first.shape[1])],
        "ms_ssim_window_px": ms_ssim_window(*first.shape[1:3]),
    }
