"""Writes the 2.1 conformance streams of bitstreams/conformance/ (``v21_*``, and their expected
symbols).

    python tests/make_conformance.py

The streams beside them are kept as they were written, and decoders must go on reading them: the
1.0 and 1.1 ones by bcdcodec 0.1 (the same fixture model, the cases in ``V1_CASES``), the 2.0
ones (``v2_*``) by the encoder before 2.1, from the cases below. Only needed when the bitstream
version changes; the tests check the committed files.
"""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

from bcdcodec import api
from bcdcodec.models.factory import moving_square_video
from bcdcodec.settings import SamplerSettings

OUT = Path(__file__).resolve().parent.parent / "bitstreams" / "conformance"

# name, frames, height, width, fps, fit, sampler, motion prior, GOP seconds
V1_CASES = [
    ("one_clip_16x16", 4, 16, 16, Fraction(25), "stretch", SamplerSettings("euler", 2, 0), False, 0),
    ("three_clips_partial_32x24_ntsc", 10, 24, 32, Fraction(30000, 1001), "crop", SamplerSettings("heun", 3, 12345),
     False, 0),
    ("single_frame_pad_20x12", 1, 12, 20, Fraction(12), "pad", SamplerSettings("euler", 64, 2**32 - 1), False, 0),
    ("prior_coded_three_clips_32x24", 10, 24, 32, Fraction(25), "stretch", SamplerSettings("euler", 2, 7), True, 0),
]  # fmt: skip
PREFIX = "v21_"  # the version the encoder writes
V2_CASES = [
    ("one_gop_16x16", 4, 16, 16, Fraction(25), "stretch", SamplerSettings("euler", 2, 0), False, 2.0),
    ("three_gops_32x24_ntsc", 22, 24, 32, Fraction(30000, 1001), "crop", SamplerSettings("heun", 3, 12345),
     False, 0.3),
    ("prior_one_gop_20x12", 9, 12, 20, Fraction(12), "pad", SamplerSettings("euler", 64, 2**32 - 1), True, 2.0),
    ("prior_two_gops_32x24", 14, 24, 32, Fraction(25), "stretch", SamplerSettings("euler", 2, 7), True, 0.4),
]  # fmt: skip


def conformance_model():
    return api.attach_prior(api.load_model(OUT / "conformance-tiny.pt"), OUT / "conformance-prior.pt")


def case_video(index: int, case):
    _, frames, height, width, *_ = case
    return moving_square_video(frames, height, width, seed=index)


def encode_case(model, index: int, case) -> bytes:
    _, _, _, _, fps, fit, sampler, prior, gop_seconds = case
    video = case_video(index, case)
    return api.compress(video, model, fps=fps, fit=fit, sampler=sampler, motion_prior=prior, gop_seconds=gop_seconds,
                        scene_cut=None)  # fmt: skip


KEYFRAME_CASE = ("keyframe_two_gops_128", 20, 128, 128, Fraction(25), "stretch", 0.64)  # GOPs of 2 clips
KEYFRAME_DIR = OUT / "keyframe"


def keyframe_expected(data: bytes) -> dict:
    """What a key-frame stream (SPEC §4.3) decodes to: per GOP its key picture's bytes (hex) and
    its flow symbols."""
    from bcdcodec.bitstream import read_stream
    from bcdcodec.flowcodec import FACES_FLOW, decode_unit

    parsed = read_stream(data)
    gops = []
    for unit in parsed.units:
        picture, flow, _ = decode_unit(unit, parsed.header, FACES_FLOW)
        gops.append({"picture": picture.hex(), "flow": flow.tolist()})
    return {"info": api.stream_info(data), "gops": gops}


def write_keyframe_case() -> None:
    from bcdcodec.flowcodec import FACES_FLOW

    name, frames, height, width, fps, fit, gop_seconds = KEYFRAME_CASE
    video = moving_square_video(frames, height, width, seed=11)
    data = api.compress(video, FACES_FLOW, fps=fps, fit=fit, gop_seconds=gop_seconds)
    KEYFRAME_DIR.mkdir(exist_ok=True)
    (KEYFRAME_DIR / f"{PREFIX}{name}.bcd").write_bytes(data)
    (KEYFRAME_DIR / f"{PREFIX}{name}.json").write_text(json.dumps(keyframe_expected(data), indent=1) + "\n")
    print(f"{PREFIX}{name}: {len(data)} bytes")


def main() -> None:
    write_keyframe_case()
    model = conformance_model()
    for index, case in enumerate(V2_CASES):
        data = encode_case(model, index, case)
        _, symbols = api.decode_symbols(data, model)
        (OUT / f"{PREFIX}{case[0]}.bcd").write_bytes(data)
        expected = {
            "info": api.stream_info(data),
            "clips": [{"content": s.content.tolist(), "motion": s.motion.tolist()} for s in symbols],
        }
        (OUT / f"{PREFIX}{case[0]}.json").write_text(json.dumps(expected, indent=1) + "\n")
        print(f"{PREFIX}{case[0]}: {len(data)} bytes in {len(expected['info']['gops'])} GOP(s)")


if __name__ == "__main__":
    main()
