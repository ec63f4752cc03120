"""Regenerates bitstreams/conformance/ (the fixed test model, streams and expected symbols).

    python tests/make_conformance.py

Only needed when the bitstream version changes; the tests check the committed files.
"""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

from bcdcodec import api
from bcdcodec.checkpoint import save_checkpoint
from bcdcodec.config import tiny_config
from bcdcodec.diffusion import SamplerSettings
from bcdcodec.models.factory import moving_square_video, seeded_model

OUT = Path(__file__).resolve().parent.parent / "bitstreams" / "conformance"

CASES = [
    # name, frames, height, width, fps, fit, sampler
    ("one_clip_16x16", 4, 16, 16, Fraction(25), "stretch", SamplerSettings("euler", 2, 0)),
    ("three_clips_partial_32x24_ntsc", 10, 24, 32, Fraction(30000, 1001), "crop", SamplerSettings("heun", 3, 12345)),
    ("single_frame_pad_20x12", 1, 12, 20, Fraction(12), "pad", SamplerSettings("euler", 64, 2**32 - 1)),
]


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    net = seeded_model(tiny_config(name="conformance-tiny"), seed=2025, warmup_clips=4)
    save_checkpoint(net, OUT / "conformance-tiny.pt", extra={"purpose": "bitstream conformance fixture, random init"})
    model = api.load_model(OUT / "conformance-tiny.pt")
    for i, (name, frames, height, width, fps, fit, sampler) in enumerate(CASES):
        video = moving_square_video(frames, height, width, seed=i)
        data = api.compress(video, model, fps=fps, fit=fit, sampler=sampler)
        header, symbols = api.decode_symbols(data, model)
        (OUT / f"{name}.bcd").write_bytes(data)
        expected = {
            "info": api.stream_info(data),
            "clips": [{"content": s.content.tolist(), "motion": s.motion.tolist()} for s in symbols],
        }
        (OUT / f"{name}.json").write_text(json.dumps(expected, indent=1) + "\n")
        print(f"{name}: {len(data)} bytes")


if __name__ == "__main__":
    main()
