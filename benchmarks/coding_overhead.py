"""Prints what a .bcd file spends beyond the ideal code length of its symbols, and coding speed.

    python benchmarks/coding_overhead.py [--checkpoint PATH] [--frames 64] [--size 64]

Without --checkpoint it uses a seeded random-init model of the default architecture (weights are
untrained, so only sizes and speeds mean anything, not picture quality). Input: a synthetic
moving-square video (no external data).
"""

from __future__ import annotations

import argparse
import json
import time

import torch

from bcdcodec import api
from bcdcodec.bitstream import read_stream
from bcdcodec.config import ModelConfig
from bcdcodec.models.factory import moving_square_video, seeded_model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint")
    parser.add_argument("--frames", type=int, default=64)
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if args.checkpoint:
        model = api.load_model(args.checkpoint)
    else:
        model = api.CodecModel.from_network(seeded_model(ModelConfig(), seed=0, warmup_clips=4))
    frames = moving_square_video(args.frames, args.size, args.size, seed=0)

    start = time.perf_counter()
    data = api.compress(frames, model, fps=25)
    encode_s = time.perf_counter() - start
    parsed = read_stream(data)
    _, clips = api.decode_symbols(data, model)
    ideal_bits = sum(model.tables.ideal_bits(c.content, c.motion) for c in clips)
    payload_bytes = sum(len(p) for p in parsed.packets)
    one_clip = api.compress(frames[: model.cfg.clip_len], model, fps=25)
    one_clip_payload = len(read_stream(one_clip).packets[0])

    start = time.perf_counter()
    api.decompress(data[:], model, steps=model.cfg.default_steps)
    decode_s = time.perf_counter() - start
    report = {
        "model": model.name,
        "params_millions": round(sum(p.numel() for p in model.net.parameters()) / 1e6, 3),
        "frames": args.frames,
        "clips": len(clips),
        "file_bytes": len(data),
        "header_bytes": parsed.header_size,
        "framing_bytes": parsed.packet_overhead,
        "payload_bytes": payload_bytes,
        "ideal_payload_bits": round(ideal_bits, 1),
        "payload_over_ideal_percent": round(100 * (payload_bytes * 8 / ideal_bits - 1), 3),
        "coder_flush_bits_per_clip": round((payload_bytes * 8 - ideal_bits) / len(clips), 2),
        "one_clip_file_bytes_outside_payload": len(one_clip) - one_clip_payload,
        "encode_seconds_per_clip": round(encode_s / len(clips), 4),
        "decode_seconds_per_clip": round(decode_s / len(clips), 4),
        "decode_steps": model.cfg.default_steps,
        "torch_threads": args.threads,
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
