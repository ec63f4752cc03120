"""Prints how fast a model decodes: frames per second in the process, and counting the start of a
``bcdcodec decode`` process (Python, torch and the model loaded) as a user running it sees.

    python benchmarks/decode_speed.py MODEL [--frames 48] [--threads 2] [--repeats 3] [--json-out FILE]

MODEL is a bundled model name or a checkpoint. The source is a moving synthetic pattern at the
model's square size and 25 fps, coded with the encoder's defaults (2-second GOPs). The in-process
figure is the best of ``--repeats`` decodes of the whole stream; the command-line figure is the
best of ``--repeats`` runs of ``bcdcodec decode STREAM OUT.y4m`` (wall clock, process start
included, ``OMP_NUM_THREADS=--threads``). Run it on an otherwise idle machine.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

from bcdcodec import codec, decoding
from bcdcodec.models.factory import moving_square_video


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model")
    parser.add_argument("--frames", type=int, default=48)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json-out")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    model = codec.load_model(args.model)
    size = model.image_size
    data = codec.compress(moving_square_video(args.frames, size, size, seed=0), model, fps=25)
    in_process = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        decoding.decompress(data, model)
        in_process.append(time.perf_counter() - start)
    with tempfile.TemporaryDirectory() as tmp:
        stream = Path(tmp) / "s.bcd"
        stream.write_bytes(data)
        model_args = ["--model", args.model] if not Path(args.model).is_file() else ["--checkpoint", args.model]
        command = [sys.executable, "-m", "bcdcodec.cli.main", "decode", str(stream), str(Path(tmp) / "o.y4m")]
        command += model_args + ["-f"]
        env = {**os.environ, "OMP_NUM_THREADS": str(args.threads)}
        cli = []
        for _ in range(args.repeats):
            start = time.perf_counter()
            subprocess.run(command, check=True, capture_output=True, env=env)
            cli.append(time.perf_counter() - start)
    report = {
        "model": model.name,
        "frame_size_px": size,
        "frames": args.frames,
        "threads": args.threads,
        "stream_bytes": len(data),
        "decode_fps_in_process": round(args.frames / min(in_process), 1),
        "decode_fps_with_process_start": round(args.frames / min(cli), 1),
        "process_seconds": round(min(cli), 2),
        "command": "python benchmarks/decode_speed.py " + " ".join(sys.argv[1:]),
    }
    text = json.dumps(report, indent=2)
    if args.json_out:
        Path(args.json_out).write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
