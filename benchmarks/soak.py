"""Soak: encode and decode a long 720p video with the bundled model; prints speed and peak memory.

    python benchmarks/soak.py [--minutes 10] [--size 1280x720] [--threads 2]

Makes a synthetic video (moving shapes over a gradient, H.264) in runs/soak/, then runs
`bcdcodec encode` and `bcdcodec decode` on it as separate processes and reports, for each,
wall time, frames per second and the peak resident memory of the process. The decoder works at
the model's resolution (64x64 for sprites-64) and writes H.264 at the source size.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import av
import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def make_video(path: Path, frames: int, width: int, height: int) -> None:
    yy, xx = np.mgrid[0:height, 0:width]
    base = np.stack([xx * 255 // width, yy * 255 // height, np.full_like(xx, 90)], -1).astype(np.uint8)
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=25, options={"preset": "ultrafast", "crf": "23"})
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        for t in range(frames):
            frame = base.copy()
            x, y = (t * 7) % (width - 200), (t * 3) % (height - 200)
            frame[y : y + 200, x : x + 200] = ((t * 5) % 256, 200, 60)
            out = av.VideoFrame.from_ndarray(frame, format="rgb24").reformat(format="yuv420p")
            container.mux(stream.encode(out))
        container.mux(stream.encode(None))


def measure(args: list[str], threads: int) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of one bcdcodec command in its own process."""
    env = {**os.environ, "OMP_NUM_THREADS": str(threads)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "bcdcodec.cli.main", *args], env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if result.returncode:
        raise SystemExit(f"{' '.join(args)} failed: {result.stderr.strip()}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return seconds, max(peak, before) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--size", default="1280x720")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    width, height = map(int, args.size.split("x"))
    frames = int(args.minutes * 60 * 25)
    folder = ROOT / "runs" / "soak"
    folder.mkdir(parents=True, exist_ok=True)
    source = folder / f"soak_{args.minutes:g}min_{width}x{height}.mp4"
    if not source.exists():
        start = time.perf_counter()
        make_video(source, frames, width, height)
        print(f"made {source.name}: {frames} frames in {time.perf_counter() - start:.0f} s")
    stream, output = folder / "soak.bcd", folder / "soak_decoded.mp4"
    encode_s, encode_mib = measure(["encode", str(source), str(stream), "-f", "--no-progress"], args.threads)
    print(f"encode: {frames} frames in {encode_s:.0f} s = {frames / encode_s:.1f} fps "
          f"({frames / 25 / encode_s:.2f}x real time), peak RSS {encode_mib:.0f} MiB, "
          f"{stream.stat().st_size} B written")  # fmt: skip
    decode_s, decode_mib = measure(["decode", str(stream), str(output), "-f", "--no-progress"], args.threads)
    print(f"decode: {frames} frames in {decode_s:.0f} s = {frames / decode_s:.1f} fps "
          f"({frames / 25 / decode_s:.2f}x real time), peak RSS {decode_mib:.0f} MiB")  # fmt: skip


if __name__ == "__main__":
    main()
