"""Prints how one model file's operating points and ``--kbps`` targets behave on held-out clips.

    python benchmarks/rate_control.py [--model sprites-64] [--data sprites] [--clips 64] [--targets 6] [--json-out FILE]

1. ``--quality`` 1..N: every held-out clip coded at each operating point: mean whole-file bytes,
   PSNR, and whether every clip's size rises strictly with the quality. ``--data sprites``: the
   Sprites test split, one 8-frame clip per file, the first ``--clips`` of a seeded draw;
   ``--data talking-heads``: 48-frame windows of the dev people (at most ``--clips``, up to 4 per
   person), each one file of one 2-second GOP at 25 fps.
2. ``--kbps``: ``--targets`` targets spread geometrically over the model's range on this set;
   each clip encoded through rate control (``encode --kbps``; for the key-frame codec its own,
   ``ratecontrol.flow_encode_to_rate``): the share of files that land within 10 % of the target
   (the rest are refused with the range the model
   reaches on that clip).

Needs the data under $BCDCODEC_DATA (or ../shared/data).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path

import numpy as np

from bcdcodec import codec, decoding
from bcdcodec.data.sprites import build_split
from bcdcodec.errors import RateOutOfRangeError
from bcdcodec.evaluation.metrics import psnr_db
from bcdcodec.flowcodec import FlowCodec
from bcdcodec.paths import cache_dir
from bcdcodec.ratecontrol import encode_to_rate, kbps


def _clips(data: str, size: int, count: int, seed: int) -> list[np.ndarray]:
    if data == "talking-heads":
        from bcdcodec.data.faces import FaceClips

        return [frames for _, _, frames in FaceClips.load("dev", size).windows(48, 4)][:count]
    split = build_split("test", cache_dir=cache_dir("sprites"))
    picks = np.random.default_rng(seed).choice(len(split), size=count, replace=False)
    return list(split.videos[np.sort(picks)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="sprites-64")
    parser.add_argument("--data", choices=("sprites", "talking-heads"), default="sprites")
    parser.add_argument("--clips", type=int, default=64)
    parser.add_argument("--targets", type=int, default=6)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json-out")
    args = parser.parse_args()
    model = codec.load_model(args.model)
    flow = isinstance(model, FlowCodec)
    videos = _clips(args.data, model.image_size, args.clips, args.seed)
    frames = len(videos[0])
    points = range(model.top_point + 1)
    sizes = np.zeros((len(videos), len(points)), dtype=np.int64)
    psnrs = np.zeros_like(sizes, dtype=np.float64)
    for i, video in enumerate(videos):
        for p in points:
            data = codec.compress(video, model, fps=25, point=p, scene_cut=None)
            sizes[i, p] = len(data)
            psnrs[i, p] = psnr_db(video, decoding.decompress(data, model).frames)
    rates = [kbps(s, frames, 25) for s in sizes.mean(0)]
    targets = np.geomspace(rates[0], rates[-1], args.targets)
    landed = []
    for target in targets:
        hits = 0
        for video in videos:
            try:
                choice = encode_to_rate(codec.frames_source(video, 25), model, float(target), fit="stretch")
                hits += abs(choice.kbps - target) <= 0.1 * target
            except RateOutOfRangeError:
                pass
        landed.append(hits / len(videos))
    report = {
        "model": model.name,
        "data": args.data,
        "clips": len(videos),
        "frames_per_clip": frames,
        "qualities": [
            {
                "quality": p + 1,
                "operating_point": list(
                    dataclasses.astuple(model.points[p]) if flow else model.cfg.operating_points[p]
                ),
                "file_bytes_per_clip_mean": round(float(sizes[:, p].mean()), 2),
                "kbps_at_25fps": round(rates[p], 3),
                "psnr_db": round(float(psnrs[:, p].mean()), 2),
            }
            for p in points
        ],
        "sizes_strictly_increasing_on_every_clip": bool((np.diff(sizes, axis=1) > 0).all()),
        "clips_with_strictly_increasing_sizes": int((np.diff(sizes, axis=1) > 0).all(1).sum()),
        "kbps_targets": [
            {"kbps": round(float(t), 3), "share_within_10_percent": round(h, 3)} for t, h in zip(targets, landed)
        ],
        "command": "python benchmarks/rate_control.py "
        + " ".join(f"--{k.replace('_', '-')} {v}" for k, v in vars(args).items() if k != "json_out"),
    }
    text = json.dumps(report, indent=2)
    if args.json_out:
        Path(args.json_out).write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
