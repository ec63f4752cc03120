"""Prints what candidate operating points of the key-frame codec (faces-flow-128) reach on the dev
people: rate, PSNR/SSIM/MS-SSIM and, with the face tools, identity, landmarks and mouth.

    python benchmarks/flow_points.py CRF,STEP,INTERVAL [...] [--face-tools] [--json-out FILE]

Each candidate is the codec with that one point (key picture AV1 crf; flow step in thousandths;
frames between coded flows), put through `bcdcodec eval faces` (11 dev windows of 48 frames,
128x128, 25 fps, each one file of one GOP). How the shipped points were chosen (docs/faces-flow.md).
Needs the data under $BCDCODEC_DATA (or ../shared/data).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path

import torch

from bcdcodec.data.faces import FaceClips
from bcdcodec.evaluation.face_metrics import analyzer
from bcdcodec.evaluation.faces_eval import evaluate_faces
from bcdcodec.flowcodec import FACES_FLOW, FlowPoint

SHOWN = ("kbps", "psnr_db", "ssim", "ms_ssim", "face_found", "identity_distance", "landmark_error_px",
         "mouth_correlation")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("points", nargs="+", help="CRF,STEP,INTERVAL")
    parser.add_argument("--face-tools", action="store_true", help="identity, landmarks, mouth ([eval] extra)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json-out", type=Path)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    clips = FaceClips.load("dev", FACES_FLOW.image_size)
    tools = analyzer() if args.face_tools else None
    rows = []
    for spec in args.points:
        crf, step, interval = (int(v) for v in spec.split(","))
        codec = dataclasses.replace(FACES_FLOW, points=(FlowPoint(crf, step, interval),), default_point=0)
        results = evaluate_faces(codec, clips, analyzer=tools)
        row = {"crf": crf, "step": step, "interval": interval, **{k: results["summary"].get(k) for k in SHOWN}}
        if tools is not None:
            row["transfer"] = results["transfer"]["summary"]
        rows.append(row)
        figures = " ".join(f"{k} {row[k]:.3f}" for k in SHOWN if row[k] is not None)
        print(f"crf {crf} step {step} interval {interval}: {figures}", flush=True)
    if args.json_out:
        command = "python benchmarks/flow_points.py " + " ".join(args.points) + (" --face-tools" if tools else "")
        args.json_out.write_text(json.dumps({"rows": rows, "command": command}, indent=2) + "\n")


if __name__ == "__main__":
    main()
