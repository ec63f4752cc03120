"""Prints what a key frame moved by a coded coarse flow reaches on the dev people: each GOP sends
one WebP picture (its middle frame) and, for every frame, a G x G flow field fitted by the encoder
to that frame, quantized and range-coded; the decoder warps the picture by the upsampled flow.

    python benchmarks/keyframe_flow.py [--grid 2 4 8] [--step 0.02 0.04] [--gop-frames 24 48] [--json-out FILE]

A design study for the talking-head model (docs/faces.md): how much a few tens of motion bits
per frame buy over holding the picture still (`benchmarks/still_keyframe.py`), with no learned
part. The flow (in grid_sample's normalised units, 1 = half the frame) is fitted per frame by
Adam on the squared error of the warped picture; its values are quantized with `--step`, coded
as differences from the previous frame's under a Laplace model whose scale (one byte per GOP)
the encoder picks, with constriction's range coder, and decoded back. Rate = WebP bytes + flow
bytes + one byte per GOP (no container). Same 11 windows of 48 frames (128x128, 25 fps) as
`bcdcodec eval faces`. Needs the data under $BCDCODEC_DATA (or ../shared/data).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import constriction
import numpy as np
import torch
from still_keyframe import SIZE, picture_figures, print_row, summary_row, webp_round_trip, write_report

from bcdcodec.data.faces import FaceClips
from bcdcodec.evaluation.face_metrics import analyzer, correlation, landmark_error_px, paired_identity_distance
from bcdcodec.evaluation.faces_eval import FPS, PER_SOURCE, WINDOW
from bcdcodec.keyflow import warp

FIT_STEPS = 150
SCALES = np.exp(np.linspace(np.log(0.05), np.log(50.0), 256))  # the Laplace scales one byte can name


def fit_flow(picture: torch.Tensor, frames: torch.Tensor, grid: int) -> torch.Tensor:
    """The ``[T, 2, grid, grid]`` flow that moves ``picture`` closest to each of ``frames``."""
    flow = torch.zeros(frames.shape[0], 2, grid, grid, requires_grad=True)
    optimizer = torch.optim.Adam([flow], lr=0.01)
    for _ in range(FIT_STEPS):
        loss = ((warp(picture, flow) - frames) ** 2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return flow.detach()


def code_flow(symbols: np.ndarray) -> tuple[int, np.ndarray]:
    """Integer flow ``[T, 2, G, G]`` -> (bytes of its range-coded frame-to-frame differences plus
    the one-byte scale, the symbols decoded back)."""
    deltas = np.diff(symbols, axis=0, prepend=np.zeros_like(symbols[:1])).astype(np.int32).ravel()
    scale = SCALES[np.argmin(np.abs(SCALES - max(float(np.abs(deltas).mean()), 0.05)))]
    model = constriction.stream.model.QuantizedLaplace(-512, 512)
    means, scales = np.zeros(deltas.size), np.full(deltas.size, scale)
    encoder = constriction.stream.queue.RangeEncoder()
    encoder.encode(deltas, model, means, scales)
    words = encoder.get_compressed()
    decoded = constriction.stream.queue.RangeDecoder(words).decode(model, means, scales)
    return 4 * words.size + 1, np.cumsum(decoded.reshape(symbols.shape), axis=0)


def face_figures(tools, reference, frames: np.ndarray) -> dict:
    """dlib and mediapipe's reading of decoded ``frames`` against the source's ``reference`` track."""
    track = tools.track(frames)
    return {
        "face_found": float(track.found.mean()),
        "identity_distance": paired_identity_distance(reference, track),
        "landmark_error_px": landmark_error_px(reference, track),
        "mouth_correlation": correlation(reference.mouth, track.mouth),
    }


def run(windows, grid: int, steps: list[float], gop_frames: int, quality: int, tools=None, references=None):
    """The rows of one grid and GOP length, one per quantizer step; with face ``tools``, each
    window's decoded frames are also read against ``references`` (the sources' tracks)."""
    sizes = {step: [] for step in steps}
    figures = {step: [] for step in steps}
    for index, (_, _, frames) in enumerate(windows):
        decoded = {step: np.empty_like(frames) for step in steps}
        total = dict.fromkeys(steps, 0)
        for start in range(0, len(frames), gop_frames):
            gop = frames[start : start + gop_frames]
            size, key = webp_round_trip(gop[len(gop) // 2], quality)
            picture = torch.from_numpy(key.copy()).permute(2, 0, 1)[None].float() / 255
            target = torch.from_numpy(gop).permute(0, 3, 1, 2).float() / 255
            flow = fit_flow(picture, target, grid)
            for step in steps:
                flow_bytes, symbols = code_flow(torch.round(flow / step).long().numpy())
                moved = warp(picture, torch.from_numpy(symbols).float() * step)
                decoded[step][start : start + len(gop)] = (
                    (moved.permute(0, 2, 3, 1).numpy() * 255).round().clip(0, 255).astype(np.uint8)
                )
                total[step] += size + flow_bytes
        for step in steps:
            sizes[step].append(total[step])
            read = picture_figures(frames, decoded[step])
            if tools is not None:
                read.update(face_figures(tools, references[index], decoded[step]))
            figures[step].append(read)
    setting = {"grid": grid, "gop_frames": gop_frames, "webp_quality": quality}
    return [summary_row({**setting, "step": step}, sizes[step], figures[step]) for step in steps]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grid", type=int, nargs="+", default=[2, 4, 8])
    parser.add_argument("--step", type=float, nargs="+", default=[0.02, 0.04])
    parser.add_argument("--gop-frames", type=int, nargs="+", default=[24, 48])
    parser.add_argument("--quality", type=int, default=0, help="WebP quality of the key frames")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--face-tools", action="store_true", help="also dlib identity and mediapipe landmarks ([eval])")
    parser.add_argument("--json-out", type=Path)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    windows = FaceClips.load("dev", SIZE).windows(WINDOW, PER_SOURCE)
    tools = analyzer() if args.face_tools else None
    references = None if tools is None else [tools.track(frames) for _, _, frames in windows]
    print(f"WebP key frames moved by a coded G x G flow, {len(windows)} dev windows of {WINDOW} frames at {FPS} fps")
    columns = ["grid", "step", "gop_frames"]
    print("".join(f"{name:>12}" for name in columns) + "   kbit/s   PSNR dB   SSIM   MS-SSIM")
    rows = []
    for gop_frames in args.gop_frames:
        for grid in args.grid:
            for row in run(windows, grid, args.step, gop_frames, args.quality, tools, references):
                rows.append(row)
                print_row(row, columns)
    if args.json_out:
        write_report(args.json_out, len(windows), rows)


if __name__ == "__main__":
    main()
