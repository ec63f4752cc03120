"""Prints PSNR against whole-file rate for every operating point x GOP length of a talking-head
model on the dev people: which knob buys more picture per bit.

    python benchmarks/gop_sweep.py [--model faces-128] [--gop-frames 8 16 24 48] [--json-out FILE]

Every 48-frame window of the dev people (up to 4 per person, 128x128, 25 fps) is coded at each
operating point with GOPs of each length (no scene cuts; a GOP is whole 8-frame clips) and
decoded with the model's default sampler. Needs the data under $BCDCODEC_DATA (or ../shared/data).
"""

from __future__ import annotations

import argparse
import json
from fractions import Fraction
from pathlib import Path

import numpy as np
import torch

from bcdcodec import codec, decoding
from bcdcodec.data.faces import FaceClips
from bcdcodec.evaluation.faces_eval import FPS, PER_SOURCE, WINDOW
from bcdcodec.evaluation.metrics import psnr_db
from bcdcodec.ratecontrol import kbps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="faces-128")
    parser.add_argument("--gop-frames", type=int, nargs="+", default=[8, 16, 24, 48])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json-out", type=Path)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    model = codec.load_model(args.model)
    windows = FaceClips.load("dev", model.cfg.image_size).windows(WINDOW, PER_SOURCE)
    rows = []
    print(f"{model.name} on {len(windows)} dev windows of {WINDOW} frames at {FPS} fps")
    print("quality  GOP frames   kbit/s   PSNR dB")
    for point in range(model.cfg.top_point + 1):
        for gop_frames in args.gop_frames:
            sizes, psnrs = [], []
            for _, _, frames in windows:
                data = codec.compress(
                    frames, model, fps=FPS, gop_seconds=float(Fraction(gop_frames) / FPS), scene_cut=None, point=point
                )
                sizes.append(len(data))
                psnrs.append(psnr_db(frames, decoding.decompress(data, model).frames))
            row = {
                "quality": point + 1,
                "gop_frames": gop_frames,
                "kbps": round(kbps(float(np.mean(sizes)), WINDOW, FPS), 3),
                "psnr_db": round(float(np.mean(psnrs)), 3),
            }
            rows.append(row)
            print(f"{row['quality']:>7}  {gop_frames:>10}  {row['kbps']:>7.2f}  {row['psnr_db']:>8.2f}", flush=True)
    if args.json_out:
        gops = " ".join(map(str, args.gop_frames))
        command = f"python benchmarks/gop_sweep.py --model {args.model} --gop-frames {gops}"
        result = {"model": model.name, "windows": len(windows), "rows": rows, "command": command}
        args.json_out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
