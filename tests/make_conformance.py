"""Regenerates bitstreams/conformance/ (the fixed test model, streams and expected symbols).

    python tests/make_conformance.py               # everything (a new fixture model)
    python tests/make_conformance.py --prior-only  # only the motion-prior fixture and its stream

Only needed when the bitstream version changes; the tests check the committed files.
"""

from __future__ import annotations

import json
import sys
from fractions import Fraction
from pathlib import Path

import torch

from bcdcodec import api
from bcdcodec.checkpoint import save_checkpoint
from bcdcodec.config import tiny_config
from bcdcodec.diffusion import SamplerSettings
from bcdcodec.models.factory import moving_square_video, seeded_model
from bcdcodec.models.motion_prior import MotionPrior, MotionPriorConfig
from bcdcodec.prior_file import save_prior

OUT = Path(__file__).resolve().parent.parent / "bitstreams" / "conformance"

CASES = [
    # name, frames, height, width, fps, fit, sampler
    ("one_clip_16x16", 4, 16, 16, Fraction(25), "stretch", SamplerSettings("euler", 2, 0)),
    ("three_clips_partial_32x24_ntsc", 10, 24, 32, Fraction(30000, 1001), "crop", SamplerSettings("heun", 3, 12345)),
    ("single_frame_pad_20x12", 1, 12, 20, Fraction(12), "pad", SamplerSettings("euler", 64, 2**32 - 1)),
]


PRIOR_CASE = ("prior_coded_three_clips_32x24", 10, 24, 32, Fraction(25), "stretch", SamplerSettings("euler", 2, 7))


def _write_case(model, index: int, case, motion_prior: bool = False) -> None:
    name, frames, height, width, fps, fit, sampler = case
    video = moving_square_video(frames, height, width, seed=index)
    data = api.compress(video, model, fps=fps, fit=fit, sampler=sampler, motion_prior=motion_prior)
    _, symbols = api.decode_symbols(data, model)
    (OUT / f"{name}.bcd").write_bytes(data)
    expected = {
        "info": api.stream_info(data),
        "clips": [{"content": s.content.tolist(), "motion": s.motion.tolist()} for s in symbols],
    }
    (OUT / f"{name}.json").write_text(json.dumps(expected, indent=1) + "\n")
    print(f"{name}: {len(data)} bytes")


def make_prior_case() -> None:
    """The motion-prior fixture (a seeded random prior with spread weights) and a stream coded
    under it, for the committed conformance model."""
    model = api.load_model(OUT / "conformance-tiny.pt")
    torch.manual_seed(2026)
    prior = MotionPrior(MotionPriorConfig.for_codec(model.cfg, dim=32, layers=2, mlp_dim=64))
    with torch.no_grad():
        for p in prior.parameters():
            p.add_(torch.randn_like(p) * 0.3)
    save_prior(prior, OUT / "conformance-prior.pt", model.net, extra={"purpose": "conformance fixture, random init"})
    _write_case(api.attach_prior(model, OUT / "conformance-prior.pt"), len(CASES), PRIOR_CASE, motion_prior=True)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    net = seeded_model(tiny_config(name="conformance-tiny"), seed=2025, warmup_clips=4)
    save_checkpoint(net, OUT / "conformance-tiny.pt", extra={"purpose": "bitstream conformance fixture, random init"})
    model = api.load_model(OUT / "conformance-tiny.pt")
    for i, case in enumerate(CASES):
        _write_case(model, i, case)
    make_prior_case()


if __name__ == "__main__":
    if sys.argv[1:] == ["--prior-only"]:
        make_prior_case()
    else:
        main()
