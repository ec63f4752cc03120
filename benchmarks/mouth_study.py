"""What it takes to make the key-frame codec's mouth follow the speaker: a lab study of the missed
mouth bar (docs/faces-flow.md, "The mouth").

    python benchmarks/mouth_study.py [--ae-steps 2500] [--json-out FILE]

The windows: every 48-frame window of the train people (at most 100 per source) coded with
faces-flow-128 at quality 4, and the 11 dev windows at quality 5 (the default), each one file of
one GOP, decoded: the *base*. A mouth window is placed per GOP where a basis of the base's
residuals (the top principal components of train residual patches, bootstrapped from the patches
of largest temporal variance) captures most of the residual's change over time, searched over
the part of a face-centred crop where mouths are. Each study then changes the dev bases inside
that window only and measures the mouth-opening correlation with the face tools ([eval] extra):

- oracle: the source's pixels pasted (what a perfect mouth coder would reach);
- classical: the source's window coded as its own 48-frame video by x265/x264 (bytes per window);
- pca: the residual projected on 8 or 16 learned components per frame, unquantized (a bound);
- local flow: a 3x3 flow per frame moving the key frame's window (unquantized, a bound);
- autoencoder: a small conv encoder/decoder (4 latent values per frame, rounded, Laplace-coded
  bytes) trained here for ``--ae-steps`` steps on the train windows.

It also measures how often dlib finds a face in every 6th frame of each dev window coded as an
AV1 intra picture (the key picture's coder) at crf 20 to 50.

Needs the data under $BCDCODEC_DATA (or ../shared/data) and the face tools. About 40 minutes on
two cores with the default 2500 steps.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from tqdm import tqdm

from bcdcodec import codec, decoding
from bcdcodec.bench.classical import codec as classical_codec
from bcdcodec.bench.classical import decode as classical_decode
from bcdcodec.bench.classical import encode as classical_encode
from bcdcodec.coding.keypicture import decode_picture, encode_picture
from bcdcodec.data.faces import FaceClips
from bcdcodec.evaluation.face_metrics import analyzer, correlation
from bcdcodec.evaluation.metrics import psnr_db
from bcdcodec.flowcodec import FACES_FLOW
from bcdcodec.keyflow import coded_frames, interpolate, warp
from bcdcodec.video.fit import to_uint8, videos_to_float

WINDOW, FPS = 48, 25
BASIS_H, BASIS_W = 24, 32  # the patch the locating basis is learned on
BOX_H, BOX_W = 40, 56  # the window the studies change, centred on the located patch
REGION_Y, REGION_X = (56, 100), (32, 64)  # top-left range of the basis patch: a face-centred crop's mouth


def coded_bases(split: str, point: int, per_source: int) -> tuple[np.ndarray, np.ndarray]:
    """``(sources, bases)`` ``[N, 48, 128, 128, 3]`` uint8 of the split's windows."""
    windows = FaceClips.load(split, FACES_FLOW.image_size).windows(WINDOW, per_source)
    sources, bases = [], []
    for _, _, frames in tqdm(windows, desc=f"code {split}"):
        data = codec.compress(frames, FACES_FLOW, fps=FPS, gop_seconds=WINDOW / FPS, scene_cut=None, point=point)
        sources.append(frames)
        bases.append(decoding.decompress(data, FACES_FLOW).frames)
    return np.stack(sources), np.stack(bases)


def taper(h: int, w: int) -> torch.Tensor:
    """``[h, w]``: 1 in the middle, falling to about 0.3 at the edges (square root of a sine)."""
    ys = torch.sin(math.pi * (torch.arange(h) + 0.5) / h).sqrt()
    xs = torch.sin(math.pi * (torch.arange(w) + 0.5) / w).sqrt()
    return ys[:, None] * xs[None]


def residuals(sources: np.ndarray, bases: np.ndarray) -> torch.Tensor:
    """``[N, T, 3, S, S]`` float: source minus base, in 0..255 units."""
    return (torch.from_numpy(sources).float() - torch.from_numpy(bases).float()).permute(0, 1, 4, 2, 3)


def patch_vectors(r: torch.Tensor, y: int, x: int) -> torch.Tensor:
    """One window's residuals ``[T, 3, S, S]`` -> tapered basis patches at ``(y, x)`` ``[T, D]``."""
    return (r[:, :, y : y + BASIS_H, x : x + BASIS_W] * taper(BASIS_H, BASIS_W)).flatten(1)


def locate(r: torch.Tensor, basis: torch.Tensor | None) -> tuple[int, int]:
    """Top-left of the basis patch in ``REGION``: the one of most temporal variance (``basis``
    None) or where ``basis [D, K]`` captures most of the residual's change over time."""
    moving = r - r.mean(0, keepdim=True)
    area = moving[:, :, REGION_Y[0] : REGION_Y[1] + BASIS_H, REGION_X[0] : REGION_X[1] + BASIS_W]
    if basis is None:
        energy = F.avg_pool2d(area.square().sum(1, keepdim=True).mean(0, keepdim=True), (BASIS_H, BASIS_W), stride=2)
        energy = energy[0, 0]
    else:
        filters = (basis.T.reshape(-1, 3, BASIS_H, BASIS_W) * taper(BASIS_H, BASIS_W)).contiguous()
        energy = F.conv2d(area, filters, stride=2).square().sum((0, 1))
    i, j = np.unravel_index(int(energy.argmax()), tuple(energy.shape))
    return REGION_Y[0] + 2 * int(i), REGION_X[0] + 2 * int(j)


def learn_basis(r_all: torch.Tensor, components: int, rounds: int = 4) -> torch.Tensor:
    """``[D, components]`` principal directions of the located train patches (uncentred),
    re-located with the basis ``rounds`` times."""
    basis = None
    for _ in range(rounds):
        patches = torch.cat([patch_vectors(r, *locate(r, basis)) for r in r_all])
        basis = torch.linalg.svd(patches, full_matrices=False).Vh[:components].T.contiguous()
    return basis


def box_of(y: int, x: int) -> tuple[int, int]:
    cy, cx = y + BASIS_H // 2, x + BASIS_W // 2
    size = FACES_FLOW.image_size
    return min(max(0, cy - BOX_H // 2), size - BOX_H), min(max(0, cx - BOX_W // 2), size - BOX_W)


class MouthEncoder(nn.Module):
    def __init__(self, latent: int):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(6, 32, 3, 2, 1), nn.GELU(), nn.Conv2d(32, 64, 3, 2, 1), nn.GELU(),
            nn.Conv2d(64, 64, 3, 2, 1), nn.GELU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, latent),
        )  # fmt: skip

    def forward(self, source: torch.Tensor, base: torch.Tensor) -> torch.Tensor:
        return self.net(torch.cat([source, base], 1))


class MouthDecoder(nn.Module):
    def __init__(self, latent: int):
        super().__init__()
        layers: list[nn.Module] = [nn.Conv2d(3 + latent, 48, 3, 1, 1)]
        for _ in range(3):
            layers += [nn.GELU(), nn.Conv2d(48, 48, 3, 1, 1)]
        self.net = nn.Sequential(*layers, nn.GELU(), nn.Conv2d(48, 3, 3, 1, 1))
        self.register_buffer("taper", taper(BOX_H, BOX_W))

    def forward(self, base: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        planes = z[:, :, None, None].expand(-1, -1, BOX_H, BOX_W)
        return base + self.net(torch.cat([base, planes], 1)) * self.taper


def laplace_bits(z: torch.Tensor, log_scale: torch.Tensor) -> torch.Tensor:
    """Code length in bits of each row of (noisy or rounded) ``z`` under a unit-bin Laplace."""
    b = log_scale.exp()

    def cdf(v):
        return 0.5 + 0.5 * torch.sign(v) * (1 - torch.exp(-v.abs() / b))

    return -torch.log2((cdf(z + 0.5) - cdf(z - 0.5)).clamp_min(1e-9)).sum(1)


def boxes(sources, bases, locations) -> tuple[torch.Tensor, torch.Tensor]:
    """Box pixels ``[N, T, 3, BOX_H, BOX_W]`` in [-1, 1] of sources and bases."""

    def cut(videos):
        return videos_to_float(np.stack([v[:, y : y + BOX_H, x : x + BOX_W] for v, (y, x) in zip(videos, locations)]))

    return cut(sources), cut(bases)


def train_autoencoder(src, base, latent: int, weight: float, steps: int, seed: int = 0):
    generator = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    encoder, decoder = MouthEncoder(latent), MouthDecoder(latent)
    log_scale = nn.Parameter(torch.zeros(latent))
    optimizer = torch.optim.Adam([*encoder.parameters(), *decoder.parameters(), log_scale], lr=2e-3)
    src, base = src.flatten(0, 1), base.flatten(0, 1)
    for _ in tqdm(range(steps), desc="train autoencoder"):
        pick = torch.randint(0, len(src), (64,), generator=generator)
        s, b = src[pick], base[pick]
        if torch.rand((), generator=generator) < 0.5:
            s, b = s.flip(-1), b.flip(-1)
        z = encoder(s, b)
        z = z + torch.rand(z.shape, generator=generator) - 0.5
        loss = F.mse_loss(decoder(b, z), s) + weight * laplace_bits(z, log_scale).mean() / (3 * BOX_H * BOX_W)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return encoder.eval(), decoder.eval(), log_scale.detach()


def interpolate_rows(z: torch.Tensor, every: int) -> tuple[torch.Tensor, list[int]]:
    """Latents ``[T, L]`` kept at every ``every``-th frame and the last, linear in between (the
    flow's :func:`keyflow.interpolate`): ``(latents [T, L], the kept frames)``."""
    coded = coded_frames(len(z), every)
    return interpolate(z[coded][:, :, None, None], coded)[:, :, 0, 0], coded


def local_flow(key: torch.Tensor, frames: torch.Tensor, grid: int = 3, steps: int = 100) -> torch.Tensor:
    """``key [1, 3, h, w]`` moved onto each of ``frames [T, 3, h, w]`` by a fitted ``grid`` flow."""
    count = len(frames)
    flow = torch.zeros(count, 2, grid, grid, requires_grad=True)
    optimizer = torch.optim.Adam([flow], lr=0.01)
    for _ in range(steps):
        rough = (flow[..., 1:, :] - flow[..., :-1, :]).square().mean() + (
            flow[..., 1:] - flow[..., :-1]
        ).square().mean()
        loss = F.mse_loss(warp(key, flow), frames) + 0.1 * rough
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        return warp(key, flow)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ae-steps", type=int, default=2500)
    parser.add_argument("--train-per-source", type=int, default=100, help="train windows per source")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json-out", type=Path)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    tools = analyzer()
    train_src, train_base = coded_bases("train", 3, args.train_per_source)
    dev_src, dev_base = coded_bases("dev", 4, 4)
    train_r, dev_r = residuals(train_src, train_base), residuals(dev_src, dev_base)
    basis8, basis16 = learn_basis(train_r, 8), learn_basis(train_r, 16)
    train_at = [locate(r, basis8) for r in train_r]
    dev_at = [locate(r, basis8) for r in dev_r]
    refs = [tools.track(s) for s in dev_src]

    def measure(name: str, outputs: list[np.ndarray], **extra) -> dict:
        mouth = [correlation(ref.mouth, tools.track(o).mouth) for ref, o in zip(refs, outputs)]
        row = {"study": name, "mouth_correlation": float(np.nanmean(mouth)), "per_window": [round(m, 3) for m in mouth],
               "psnr_db": float(np.mean([psnr_db(s, o) for s, o in zip(dev_src, outputs)])), **extra}  # fmt: skip
        print(json.dumps({k: v for k, v in row.items() if k != "per_window"}), flush=True)
        return row

    def pasted(box_pixels: list[np.ndarray]) -> list[np.ndarray]:
        out = []
        for base, pixels, (y, x) in zip(dev_base, box_pixels, dev_at):
            y0, x0 = box_of(y, x)
            frame = base.copy()
            frame[:, y0 : y0 + pixels.shape[1], x0 : x0 + pixels.shape[2]] = pixels
            out.append(frame)
        return out

    rows = [measure("base (quality 5)", list(dev_base))]
    found = {"source": [float(r.found.mean()) for r in refs]}
    for crf in (20, 30, 40, 50):  # how sharp a picture dlib's detector needs, per dev window
        coded = [[encode_picture(f, crf) for f in s[::6]] for s in dev_src]  # frame WINDOW // 2 is coded[i][4]
        pictures = [np.stack([decode_picture(c, FACES_FLOW.image_size) for c in window]) for window in coded]
        found[f"av1 crf {crf}"] = [float(tools.track(p).found.mean()) for p in pictures]
        found[f"av1 crf {crf} bytes"] = float(np.mean([len(window[WINDOW // 12]) for window in coded]))
    print(json.dumps(found), flush=True)
    dev_boxes = [box_of(y, x) for y, x in dev_at]
    src_box = [s[:, y : y + BOX_H, x : x + BOX_W] for s, (y, x) in zip(dev_src, dev_boxes)]
    rows.append(measure("oracle: source pixels in the window", pasted(src_box)))
    for name, crf in (("x265-420", 51), ("x265-420", 46), ("x265-420", 41), ("x264-420", 51)):
        spec = classical_codec(name)
        packets = [classical_encode(np.ascontiguousarray(b), spec, crf) for b in src_box]
        decoded = [classical_decode(p, spec) for p in packets]
        rows.append(measure(f"classical: {name} crf {crf} of the window", pasted(decoded),
                            bytes_per_window=float(np.mean([sum(map(len, p)) for p in packets]))))  # fmt: skip
    for basis in (basis8, basis16):
        outs = []
        for base, r, (y, x) in zip(dev_base, dev_r, dev_at):
            coeff = patch_vectors(r, y, x) @ basis
            patch = (coeff @ basis.T).reshape(-1, 3, BASIS_H, BASIS_W) * taper(BASIS_H, BASIS_W)
            frame = torch.from_numpy(base).float().permute(0, 3, 1, 2)
            frame[:, :, y : y + BASIS_H, x : x + BASIS_W] += patch
            outs.append(frame.round().clamp(0, 255).to(torch.uint8).permute(0, 2, 3, 1).numpy())
        rows.append(measure(f"pca: {basis.shape[1]} components, unquantized, every frame", outs))
    src_t, base_t = boxes(dev_src, dev_base, dev_boxes)
    moved = [base + (local_flow(base[WINDOW // 2 : WINDOW // 2 + 1], src) - base) * taper(BOX_H, BOX_W)
             for src, base in zip(src_t, base_t)]  # fmt: skip
    rows.append(
        measure(
            "local flow: 3x3 per frame from the key frame's window, unquantized",
            pasted([to_uint8(m).numpy() for m in moved]),
        )
    )
    train_s, train_b = boxes(train_src, train_base, [box_of(y, x) for y, x in train_at])
    encoder, decoder, log_scale = train_autoencoder(train_s, train_b, 4, 0.5, args.ae_steps)
    for every in (1, 2):
        outs, bits = [], []
        with torch.no_grad():
            for src, base in zip(src_t, base_t):
                z = torch.round(encoder(src, base))
                z, coded = interpolate_rows(z, every)
                bits.append(float(laplace_bits(z[coded], log_scale).sum()))
                outs.append(to_uint8(decoder(base, z)).numpy())
        rows.append(measure(f"autoencoder: 4 values, {args.ae_steps} steps, every {every} frame(s)", pasted(outs),
                            bytes_per_window=float(np.mean(bits)) / 8))  # fmt: skip
    if args.json_out:
        command = (
            f"python benchmarks/mouth_study.py --ae-steps {args.ae_steps} --train-per-source {args.train_per_source}"
        )
        record = {"command": command, "dev_windows": len(dev_src), "train_windows": len(train_src), "rows": rows,
                  "face_found_intra": found, "dev_basis_patches": [list(p) for p in dev_at]}  # fmt: skip
        args.json_out.write_text(json.dumps(record, indent=2) + "\n")


if __name__ == "__main__":
    main()
