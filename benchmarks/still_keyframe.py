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
from pathlib import Path

import numpy as np
from PIL import Image

from bcdcodec.data.faces import FaceClips
from bcdcodec.evaluation.faces_eval import FPS, PER_SOURCE, WINDOW
from bcdcodec.evaluation.metrics import ms_ssim, psnr_db, ssim
from bcdcodec.ratecontrol import kbps

SIZE = 128  # the resolution of faces-128 and of the figures


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quality", type=int, nargs="+", default=[0, 10, 30])
    parser.add_argument("--gop-frames", type=int, nargs="+", default=[16, 24, 48])
    parser.add_argument("--json-out", type=Path)
    args = parser.parse_args()
    windows = FaceClips.load("dev", SIZE).windows(WINDOW, PER_SOURCE)
    print(f"still WebP key frames on {len(windows)} dev windows of {WINDOW} frames at {FPS} fps, {SIZE}x{SIZE}")
    print("WebP quality  GOP frames   kbit/s   PSNR dB   SSIM   MS-SSIM")
    rows = []
    for quality in args.quality:
        for gop_frames in args.gop_frames:
            sizes, psnrs, ssims, ms_ssims = [], [], [], []
            for _, _, frames in windows:
                size, out = held(frames, gop_frames, quality)
                sizes.append(size)
                psnrs.append(psnr_db(frames, out))
                ssims.append(ssim(frames, out))
                ms_ssims.append(ms_ssim(frames, out))
            row = {
                "webp_quality": quality,
                "gop_frames": gop_frames,
                "kbps": round(kbps(float(np.mean(sizes)), WINDOW, FPS), 3),
                "psnr_db": round(float(np.mean(psnrs)), 3),
                "ssim": round(float(np.mean(ssims)), 4),
                "ms_ssim": round(float(np.mean(ms_ssims)), 4),
            }
            rows.append(row)
            print(
                f"{quality:>12}  {gop_frames:>10}  {row['kbps']:>7.2f}  {row['psnr_db']:>8.2f}"
                f"  {row['ssim']:>5.3f}  {row['ms_ssim']:>8.3f}",
                flush=True,
            )
    if args.json_out:
        command = (
            "python benchmarks/still_keyframe.py --quality "
            + " ".join(map(str, args.quality))
            + " --gop-frames "
            + " ".join(map(str, args.gop_frames))
        )
        report = {"windows": len(windows), "frames_per_window": WINDOW, "size": SIZE, "rows": rows, "command": command}
        args.json_out.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
