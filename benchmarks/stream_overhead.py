"""Prints what the .bcd format spends outside the coded symbols: 1.x, 2.0 and 2.1.

    python benchmarks/stream_overhead.py [--sequences 2664] [--threads 2] [--json-out FILE]

1. ``sprites-64-fixed`` (bundled, with its motion prior; the top point of ``sprites-64``) on the
   Sprites test split (needs the sheets under $BCDCODEC_DATA or ../shared/data): mean whole-file
   bytes per 8-frame clip, static and prior-coded, written as 1.x (one ANS packet per clip, as
   bcdcodec 0.1 did), as 2.0 and as 2.1 (the encoder's). The symbols are the same; only the
   format differs.
2. A 10-second, 25 fps multi-clip file from a seeded random-init model (32x32 frames, 8-frame
   clips; sizes only): bytes outside the symbols, 1.x against 2.0 and 2.1 with 2-second GOPs.

"Outside the symbols" = file bytes minus the information content of the symbols under the tables
that code them (header, framing, checks and the coder's termination).
"""

from __future__ import annotations

import argparse
import json
from fractions import Fraction

import numpy as np
import torch

from bcdcodec import codec, decoding
from bcdcodec.bitstream import SequenceHeader, read_stream, v1, v2
from bcdcodec.coding.ans import encode_clip, encode_clip_with_prior
from bcdcodec.coding.gop import encode_gop
from bcdcodec.config import tiny_config
from bcdcodec.data.sprites import build_split
from bcdcodec.models.factory import moving_square_video, seeded_model
from bcdcodec.paths import cache_dir


def v1_stream(data: bytes, model: codec.CodecModel) -> bytes:
    """The same symbols as the 2.0 stream ``data``, written as bcdcodec 0.1 wrote them (1.x)."""
    header, clips = decoding.decode_symbols(data, model)
    cfg, prior = model.cfg, header.motion_prior_hash is not None
    old = SequenceHeader(
        model_id=header.model_id, weights_hash=header.weights_hash, source_width=header.source_width,
        source_height=header.source_height, fps=header.fps, frame_count=header.frame_count, clip_len=header.clip_len,
        model_size=cfg.image_size, operating_point=int(round(cfg.motion_bits_target)), sampler_kind="euler",
        sampler_steps=cfg.default_steps, seed=header.seed, fit=header.fit, motion_prior_hash=header.motion_prior_hash,
        version=(1, 1 if prior else 0),
    )  # fmt: skip
    rows_of = codec.prior_rows(model, None) if prior else None
    payloads = []
    for clip in clips:
        if rows_of is not None:
            payloads.append(encode_clip_with_prior(clip, model.tables, rows_of(clip.content, clip.motion)))
        else:
            payloads.append(encode_clip(clip, model.tables))
    return v1.write_stream(old, payloads)


def v20_stream(data: bytes, model: codec.CodecModel) -> bytes:
    """The same symbols and GOPs as the 2.1 stream ``data``, written as 2.0 (little-endian words)."""
    header, clips = decoding.decode_symbols(data, model)
    rows_of = codec.prior_rows(model, None) if header.motion_prior_hash is not None else None
    gops, first = [], 0
    for unit in read_stream(data).units:
        members = clips[first : first + unit.clip_count]
        rows = None if rows_of is None else [rows_of(c.content, c.motion) for c in members]
        gops.append((len(members), encode_gop(members[0].content, [c.motion for c in members], model.tables, rows, 0)))
        first += unit.clip_count
    return v2.write_stream(header, gops, minor=0)


def symbol_bytes(data: bytes, model: codec.CodecModel) -> float:
    return sum(g["content_bytes"] + sum(g["motion_bytes"]) for g in decoding.symbol_costs(data, model))


def sprites_figures(sequences: int) -> dict:
    model = codec.with_bundled_prior(codec.load_model("sprites-64-fixed"))
    split = build_split("test", cache_dir=cache_dir("sprites"), progress=True)
    picks = np.random.default_rng(0).choice(len(split), size=min(sequences, len(split)), replace=False)
    sizes = {f"{coding}_{v}": [] for coding in ("static", "prior") for v in ("1x", "2.0", "2.1")}
    outside = {key: [] for key in sizes}
    for index in picks:
        for coding in ("static", "prior"):
            new = codec.compress(split.videos[index], model, fps=25, motion_prior=coding == "prior")
            old, v20 = v1_stream(new, model), v20_stream(new, model)
            symbols = symbol_bytes(new, model)
            for version, data in (("1x", old), ("2.0", v20), ("2.1", new)):
                sizes[f"{coding}_{version}"].append(len(data))
                outside[f"{coding}_{version}"].append(len(data) - symbols)
    return {
        "sequences": len(picks),
        "file_bytes_per_clip_mean": {k: round(float(np.mean(v)), 2) for k, v in sizes.items()},
        "file_bytes_per_clip_max": {k: int(np.max(v)) for k, v in sizes.items()},
        "bytes_outside_symbols_mean": {k: round(float(np.mean(v)), 2) for k, v in outside.items()},
    }


def long_file_figures() -> dict:
    cfg = tiny_config(name="overhead", image_size=32, patch_size=8, clip_len=8, motion_groups=8, codebook_size=16)
    model = codec.CodecModel.from_network(seeded_model(cfg, seed=0, warmup_clips=8))
    frames = moving_square_video(250, 32, 32, seed=0)
    new = codec.compress(frames, model, fps=Fraction(25), gop_seconds=2.0, scene_cut=None)
    old, v20 = v1_stream(new, model), v20_stream(new, model)
    symbols_new = symbol_bytes(new, model)
    symbols_old = symbol_bytes(old, model)  # every 1.x clip codes its own content
    info = read_stream(new)
    return {
        "frames": 250,
        "clips": info.header.clip_count,
        "gops_2.x": len(info.units),
        "file_bytes": {"1x": len(old), "2.0": len(v20), "2.1": len(new)},
        "bytes_outside_symbols": {
            "1x": round(len(old) - symbols_old, 1),
            "2.0": round(len(v20) - symbols_new, 1),
            "2.1": round(len(new) - symbols_new, 1),
        },
        "content_and_motion_symbol_bytes": {"1x": round(symbols_old, 1), "2.x": round(symbols_new, 1)},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sequences", type=int, default=2664)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json-out")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    report = {"ten_second_file": long_file_figures(), "sprites_test": sprites_figures(args.sequences)}
    text = json.dumps(report, indent=2)
    print(text)
    if args.json_out:
        with open(args.json_out, "w") as out:
            out.write(text + "\n")


if __name__ == "__main__":
    main()
