"""A longer seeded fuzzing run over every kind of stream and over the video reader, under a
memory cap; prints the counts. Any other exception than the library's typed errors stops it.

    python benchmarks/fuzz.py [--cases 20000] [--video-cases 2000] [--seed 0] [--memory-gib 4]

Besides the mutants, streams whose header is valid but asks for huge outputs (up to 16384x16384,
2^24 frames) are decoded in full: each must be refused before any allocation.
"""

from __future__ import annotations

import argparse
import dataclasses
import resource
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bcdcodec import api, decoding
from bcdcodec.bitstream import read_stream, write_stream
from bcdcodec.errors import StreamError
from bcdcodec.models.factory import moving_square_video
from bcdcodec.video import Video, write_video
from tests.conftest import CONFORMANCE
from tests.fuzzing import fuzz_streams, fuzz_videos
from tests.make_conformance import conformance_model


def huge_requests(data: bytes, model) -> Counter:
    parsed = read_stream(data)
    outcomes: Counter = Counter()
    for width, height in ((16384, 16384), (7681, 4320), (8192, 8192)):
        header = dataclasses.replace(parsed.header, source_width=width, source_height=height)
        stream = write_stream(header, [(u.clip_count, u.payload) for u in parsed.units])
        try:
            decoding.decode_stream(stream, model)
            outcomes["decoded"] += 1
        except StreamError:
            outcomes["refused"] += 1
    return outcomes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=20000)
    parser.add_argument("--video-cases", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--memory-gib", type=float, default=4.0)
    args = parser.parse_args()
    cap = int(args.memory_gib * 2**30)
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    model = conformance_model()
    frames = moving_square_video(60, 16, 16, seed=2)
    seeds = [
        api.compress(frames[:4], model, fps=25),
        api.compress(frames[:4], model, fps=25, motion_prior=True),
        api.compress(frames, model, fps=25, gop_seconds=10),
        api.compress(frames, model, fps=25, gop_seconds=0.3),
        api.compress(frames, model, fps=25, gop_seconds=0.3, motion_prior=True),
        *(p.read_bytes() for p in sorted(CONFORMANCE.glob("*.bcd"))),
    ]
    start = time.perf_counter()
    streams = fuzz_streams(seeds, model, args.cases, args.seed)
    stream_seconds = time.perf_counter() - start
    folder = Path(__file__).resolve().parent.parent / "runs" / "fuzz-seeds"
    folder.mkdir(parents=True, exist_ok=True)
    videos = {}
    for suffix in (".mp4", ".y4m", ".mkv"):
        path = folder / f"seed{suffix}"
        write_video(Video(frames[:12], 25), path, force=True)
        videos[path.name] = path.read_bytes()
    start = time.perf_counter()
    video_outcomes = fuzz_videos(videos, args.video_cases, args.seed)
    video_seconds = time.perf_counter() - start
    huge = huge_requests(seeds[3], model)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"streams: {args.cases} mutants of {len(seeds)} seeds in {stream_seconds:.1f} s: {dict(streams)}")
    print(f"videos: {args.video_cases} mutants in {video_seconds:.1f} s: {dict(video_outcomes)}")
    print(f"header-valid streams asking for huge outputs: {dict(huge)}")
    print(f"peak RSS {peak_mib:.0f} MiB under a {args.memory_gib:g} GiB address-space cap; no finding")


if __name__ == "__main__":
    main()
