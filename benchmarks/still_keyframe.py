"""Prints how far a still key frame goes on the dev people: each GOP sends one WebP picture (its
middle frame) and shows it for every frame of the GOP, no motion at all.

    python benchmarks/still_keyframe.py [--quality 0 10 30] [--gop-frames 16 24 48] [--json-out FILE]

A floor for the talking-head model: a learned codec that reads below this baseline at the same
rate loses to a picture that does not move. Every 48-frame window of the dev people (up to 4 per
person, 128x128, 25 fps: the windows of `bcdcodec eval faces`); rate = the WebP bytes only (no
header), so the baseline is flattered by a few bytes per GOP. Needs the data under
$BCDCODEC_DATA (or ../shared/data) and Pillow with WebP (installed with matplotlib).
"""

from __future__ import annotations

import argparse
import io
import json
import sys
from pathlib import Path

import numpy as np
from PIL import Image

from bcdcodec.data.faces import FaceClips
from bcdcodec.evaluation.faces_eval import FPS, PER_SOURCE, WINDOW
from bcdcodec.evaluation.metrics import ms_ssim, psnr_db, ssim
from bcdcodec.ratecontrol import kbps

SIZE = 128  # the resolution of faces-128 and of the figures
COLUMNS = ("kbps", "psnr_db", "ssim", "ms_ssim")


def webp_round_trip(frame: np.ndarray, quality: int) -> tuple[int, np.ndarray]:
    """``frame [H, W, 3]`` uint8 -> (WebP bytes at ``quality`` 0-100, the decoded frame)."""
    buffer = io.BytesIO()
    Image.fromarray(frame).save(buffer, "WEBP", quality=quality, method=6)
    return buffer.tell(), np.asarray(Image.open(io.BytesIO(buffer.getvalue())).convert("RGB"))


def held(frames: np.ndarray, gop_frames: int, quality: int) -> tuple[int, np.ndarray]:
    """``frames [T, H, W, 3]`` -> (bytes, the frames each GOP's middle frame, WebP-coded, stands for)."""
    out, total = np.empty_like(frames), 0
    for start in range(0, len(frames), gop_frames):
        gop = frames[start : start + gop_frames]
        size, key = webp_round_trip(gop[len(gop) // 2], quality)
        out[start : start + len(gop)] = key
        total += size
    return total, out


def picture_figures(frames: np.ndarray, decoded: np.ndarray) -> dict:
    """PSNR, SSIM and MS-SSIM of ``decoded`` against ``frames`` (both ``[T, H, W, 3]`` uint8)."""
    return {"psnr_db": psnr_db(frames, decoded), "ssim": ssim(frames, decoded), "ms_ssim": ms_ssim(frames, decoded)}


def summary_row(setting: dict, sizes: list[int], figures: list[dict]) -> dict:
    """One row of a study: ``setting``, the rate of the mean of the windows' ``sizes`` (bytes per
    window) and the mean of each of the windows' ``figures`` (NaN where a figure was not read)."""
    row = {**setting, "kbps": round(kbps(float(np.mean(sizes)), WINDOW, FPS), 3)}
    for name in figures[0]:
        row[name] = round(float(np.nanmean([f[name] for f in figures])), 4 if "ssim" in name else 3)
    return row


def print_row(row: dict, setting: list[str]) -> None:
    """The ``setting`` columns, then rate, PSNR, SSIM, MS-SSIM and any further figures by name."""
    head = "".join(f"{row[name]:>12}" for name in setting)
    extra = "".join(f"  {name} {row[name]}" for name in row if name not in (*setting, *COLUMNS))
    print(
        f"{head}  {row['kbps']:>7.2f}  {row['psnr_db']:>8.2f}  {row['ssim']:>5.3f}  {row['ms_ssim']:>8.3f}{extra}",
        flush=True,
    )


def write_report(path: Path, windows: int, rows: list[dict]) -> None:
    """The study's rows as JSON, with the command line that produced them."""
    command = " ".join(["python", f"benchmarks/{Path(sys.argv[0]).name}", *sys.argv[1:]])
    report = {"windows": windows, "frames_per_window": WINDOW, "size": SIZE, "rows": rows, "command": command}
    path.write_text(json.dumps(report, indent=2) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quality", type=int, nargs="+", default=[0, 10, 30])
    parser.add_argument("--gop-frames", type=int, nargs="+", default=[16, 24, 48])
    parser.add_argument("--json-out", type=Path)
    args = parser.parse_args()
    windows = FaceClips.load("dev", SIZE).windows(WINDOW, PER_SOURCE)
    print(f"still WebP key frames on {len(windows)} dev windows of {WINDOW} frames at {FPS} fps, {SIZE}x{SIZE}")
    print(f"{'webp_quality':>12}{'gop_frames':>12}   kbit/s   PSNR dB   SSIM   MS-SSIM")
    rows = []
    for quality in args.quality:
        for gop_frames in args.gop_frames:
            coded = [held(frames, gop_frames, quality) for _, _, frames in windows]
            figures = [picture_figures(frames, out) for (_, _, frames), (_, out) in zip(windows, coded)]
            row = summary_row({"webp_quality": quality, "gop_frames": gop_frames}, [n for n, _ in coded], figures)
            rows.append(row)
            print_row(row, ["webp_quality", "gop_frames"])
    if args.json_out:
        write_report(args.json_out, len(windows), rows)


if __name__ == "__main__":
    main()
