"""The key-frame codec's mouth from the GOP's own mouth pictures: a lab study of the missed mouth bar
(docs/faces-flow.md, "Mouth states").

    python benchmarks/mouth_states.py [--json-out FILE] [--train-per-source 100]

Each dev window (48 frames, one GOP) is coded as faces-flow-128 codes it (the middle frame as an
AV1 key picture, the 4x4 flow fitted to it and quantized at the point's step, interpolated) and
every source frame is brought into the key picture's coordinates by the negated flow. K *states*
are chosen among those aligned frames (farthest-point start, then 5 rounds of k-medoids on the
chosen region), and each decoded frame is the key picture with frame t's nearest state pasted in,
warped by frame t's flow. Rows:

- ``none``: the codec as it is (quality 5);
- ``full``: whole aligned frames as states, uncoded (a bound on what K pictures can hold);
- ``window``: a 24x40 window of the states pasted (feathered over 4 px) at the true mouth
  (mediapipe's inner-lip points on the middle source frame: an oracle placement), uncoded;
- ``strip``: the same windows coded with the key picture as one AV1 picture (the states in a strip
  under it, at the point's rate factor), placed at the true mouth or where the mouth study's
  learned residual basis (benchmarks/mouth_study.py) places it.

Bytes: the key picture (with the strip), the flow as the codec codes it, and the state indices at
log2(K) bits per frame (no entropy coding); the file's 25 bytes of framing are added to compare
with whole files. Needs the face tools ([eval] extra); about 25 minutes on two cores.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import sys
from pathlib import Path

import av
import numpy as np
import torch
from tqdm import tqdm

sys.path.insert(0, str(Path(__file__).parent))
import mouth_study

from bcdcodec.coding.flow_gop import FLOW_LIMIT, encode_flow_gop
from bcdcodec.coding.keypicture import TEMPORAL_DELIMITER, decode_picture, encode_picture
from bcdcodec.data.faces import FaceClips
from bcdcodec.evaluation.face_metrics import analyzer, correlation
from bcdcodec.evaluation.metrics import psnr_db
from bcdcodec.flowcodec import FACES_FLOW
from bcdcodec.keyflow import coded_frames, fit_flow, interpolate, warp
from bcdcodec.video.fit import to_float, to_uint8

WINDOW, FPS, FRAMING_BYTES = 48, 25, 25
PH, PW = 24, 40  # the state window
UPPER_LIP, LOWER_LIP = 13, 14


def feather(h: int, w: int, edge: int = 4) -> torch.Tensor:
    ys = torch.clamp(torch.minimum(torch.arange(h) + 0.5, h - 0.5 - torch.arange(h)) / edge, max=1)
    xs = torch.clamp(torch.minimum(torch.arange(w) + 0.5, w - 0.5 - torch.arange(w)) / edge, max=1)
    return ys[:, None] * xs[None]


def choose_states(vectors: torch.Tensor, k: int) -> list[int]:
    """Indices of ``k`` of the ``[T, D]`` rows: farthest-point start, 5 rounds of k-medoids."""
    chosen = [int(vectors.norm(dim=1).argmax())]
    for _ in range(k - 1):
        chosen.append(int(torch.cdist(vectors, vectors[chosen]).min(1).values.argmax()))
    for _ in range(5):
        assign = torch.cdist(vectors, vectors[chosen]).argmin(1)
        for j in range(k):
            members = (assign == j).nonzero()[:, 0]
            if len(members):
                centre = vectors[members].mean(0, keepdim=True)
                chosen[j] = int(members[torch.cdist(vectors[members], centre)[:, 0].argmin()])
    return chosen


def decode_any(data: bytes) -> np.ndarray:
    context = av.CodecContext.create("libdav1d", "r")
    frames = [*context.decode(av.Packet(TEMPORAL_DELIMITER + data)), *context.decode(None)]
    return frames[0].to_ndarray(format="rgb24")


class Gop:
    """One dev window coded at a point: key picture, flow, the frames in the key's coordinates."""

    def __init__(self, frames_u8: np.ndarray, point_index: int):
        self.source = frames_u8
        self.frames = to_float(torch.from_numpy(frames_u8))
        self.point = FACES_FLOW.points[point_index]
        middle = len(self.frames) // 2
        self.key_bytes = encode_picture(frames_u8[middle], self.point.crf)
        self.key = to_float(torch.from_numpy(decode_picture(self.key_bytes, FACES_FLOW.image_size))[None])
        coded = coded_frames(len(self.frames), self.point.interval)
        fitted = fit_flow(self.key, self.frames[coded], FACES_FLOW.grid)
        symbols = torch.round(fitted * 1000 / self.point.step).clamp(-FLOW_LIMIT, FLOW_LIMIT)
        payload = encode_flow_gop(self.key_bytes, symbols.to(torch.int32).numpy())
        self.flow_bytes = len(payload) - len(self.key_bytes)
        self.flow = interpolate(symbols * (self.point.step / 1000), coded)
        self.aligned = torch.cat([warp(self.frames[t : t + 1], -self.flow[t : t + 1]) for t in range(len(self.frames))])

    def render(self, key: torch.Tensor, states: torch.Tensor, box, mask: torch.Tensor) -> np.ndarray:
        """Frame t: ``key`` with its nearest of ``states [K, 3, h, w]`` in ``box`` (y, x), warped."""
        y, x = box
        h, w = states.shape[-2:]
        target = self.aligned[:, :, y : y + h, x : x + w].flatten(1)
        assign = torch.cdist(target, states.flatten(1)).argmin(1)
        out = []
        for t in range(len(self.frames)):
            picture = key.clone()
            region = picture[..., y : y + h, x : x + w]
            picture[..., y : y + h, x : x + w] = region * (1 - mask) + states[int(assign[t])] * mask
            out.append(warp(picture, self.flow[t : t + 1]))
        return to_uint8(torch.cat(out)).numpy()


def box_at(cy: float, cx: float) -> tuple[int, int]:
    size = FACES_FLOW.image_size
    return int(min(max(round(cy - PH / 2), 0), size - PH)), int(min(max(round(cx - PW / 2), 0), size - PW))


def full_states(gop: Gop, k: int) -> tuple[np.ndarray, int]:
    chosen = choose_states((gop.aligned - gop.key).flatten(1), k)
    size = FACES_FLOW.image_size
    decoded = gop.render(gop.key, gop.aligned[chosen], (0, 0), torch.ones(size, size))
    return decoded, len(gop.key_bytes)


def window_states(gop: Gop, k: int, box) -> tuple[np.ndarray, int]:
    y, x = box
    chosen = choose_states((gop.aligned - gop.key)[:, :, y : y + PH, x : x + PW].flatten(1), k)
    states = gop.aligned[chosen][:, :, y : y + PH, x : x + PW]
    return gop.render(gop.key, states, box, feather(PH, PW)), len(gop.key_bytes)


def strip_states(gop: Gop, k: int, box, strip_crf: int | None = None) -> tuple[np.ndarray, int]:
    """The states coded in a strip under the key picture: one AV1 picture at the point's crf, or
    with ``strip_crf`` the strip alone as a second picture at that crf (the key picture as coded)."""
    y, x = box
    size = FACES_FLOW.image_size
    chosen = choose_states((gop.aligned - gop.key)[:, :, y : y + PH, x : x + PW].flatten(1), k)
    per_row = size // PW
    rows = -(-k // per_row)
    middle = gop.frames[len(gop.frames) // 2]
    canvas = middle[:, y : y + PH, x : x + PW].mean((1, 2))[:, None, None].expand(3, size + rows * PH, size).clone()
    canvas[:, :size] = middle
    slots = [(size + (j // per_row) * PH, (j % per_row) * PW) for j in range(k)]
    for (sy, sx), s in zip(slots, chosen):
        canvas[:, sy : sy + PH, sx : sx + PW] = gop.aligned[s, :, y : y + PH, x : x + PW]
    if strip_crf is None:
        data = encode_picture(to_uint8(canvas[None]).numpy()[0], gop.point.crf)
        decoded = to_float(torch.from_numpy(decode_any(data))[None])
    else:
        strip = encode_picture(to_uint8(canvas[None, :, size:]).numpy()[0], strip_crf)
        data = gop.key_bytes + strip
        decoded = torch.cat([gop.key, to_float(torch.from_numpy(decode_any(strip))[None])], 2)
    states = torch.stack([decoded[0, :, sy : sy + PH, sx : sx + PW] for sy, sx in slots])
    return gop.render(decoded[..., :size, :], states, box, feather(PH, PW)), len(data)


def transfer_study(tools, windows: list, k: int) -> dict:
    """Cross-person transfer by states (uncoded, at the true mouth): each person's first window
    gives K states ranked by an openness score (how much darker the window's central band is than
    the window); frame t of content A takes A's state of the rank of motion B's state at t, warped
    by B's flow. Also: how the score of each frame's state follows the person's own mouth."""
    people: dict = {}
    for _, person, frames in windows:
        if person in people:
            continue
        gop, track = Gop(frames, 4), tools.track(frames)
        lips = (track.landmarks[WINDOW // 2, UPPER_LIP] + track.landmarks[WINDOW // 2, LOWER_LIP]) / 2
        y, x = box_at(lips[1], lips[0])
        window = gop.aligned[:, :, y : y + PH, x : x + PW]
        states = window[choose_states((window - gop.key[:, :, y : y + PH, x : x + PW]).flatten(1), k)]
        luminance = states.mean(1)
        band = luminance[:, PH // 2 - 4 : PH // 2 + 4, PW // 4 : 3 * PW // 4].mean((1, 2))
        score = luminance.mean((1, 2)) - band
        assign = torch.cdist(window.flatten(1), states.flatten(1)).argmin(1)
        rank = torch.argsort(torch.argsort(score)).float() / max(k - 1, 1)
        follows = correlation(track.mouth, score[assign].numpy())
        people[person] = {"gop": gop, "box": (y, x), "states": states, "rank": rank, "assign": assign,
                          "mouth": track.mouth, "score_follows_mouth": follows}  # fmt: skip
    pairs = []
    for a, b in itertools.permutations(people, 2):
        content, motion = people[a], people[b]
        wanted = motion["rank"][motion["assign"]]
        picks = torch.cdist(wanted[:, None], content["rank"][:, None]).argmin(1)
        states = content["states"][picks]
        y, x = content["box"]
        out = []
        for t in range(WINDOW):
            picture = content["gop"].key.clone()
            mask = feather(PH, PW)
            picture[..., y : y + PH, x : x + PW] = picture[..., y : y + PH, x : x + PW] * (1 - mask) + states[t] * mask
            out.append(warp(picture, motion["gop"].flow[t : t + 1]))
        track = tools.track(to_uint8(torch.cat(out)).numpy())
        pairs.append(
            {"content": a, "motion": b, "mouth_correlation_with_motion": correlation(track.mouth, motion["mouth"])}
        )
    return {
        "states": k,
        "score_follows_own_mouth": {p: v["score_follows_mouth"] for p, v in people.items()},
        "pairs": pairs,
        "mean_mouth_correlation_with_motion": float(np.nanmean([r["mouth_correlation_with_motion"] for r in pairs])),
    }


def row_label(kind: str, k: int, point: int, place: str, strip_crf: int | None) -> str:
    return f"{kind} K={k} quality {point + 1} {place}" + (f" strip crf {strip_crf}" if strip_crf else "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json-out", type=Path)
    parser.add_argument("--transfer", action="store_true", help="only the cross-person transfer study")
    parser.add_argument("--train-per-source", type=int, default=100, help="train windows for the placing basis")
    args = parser.parse_args()
    torch.set_num_threads(1)
    tools = analyzer()
    windows = FaceClips.load("dev", FACES_FLOW.image_size).windows(WINDOW, 4)
    if args.transfer:
        result = transfer_study(tools, windows, 6)
        print(json.dumps(result, indent=1))
        if args.json_out:
            args.json_out.write_text(json.dumps(result, indent=1) + "\n")
        return
    train_src, train_base = mouth_study.coded_bases("train", 3, args.train_per_source)
    basis = mouth_study.learn_basis(mouth_study.residuals(train_src, train_base), 8)
    del train_src, train_base
    _, dev_base = mouth_study.coded_bases("dev", 4, 4)
    sources = np.stack([frames for _, _, frames in windows])
    dev_residuals = mouth_study.residuals(sources, dev_base)
    learned = []
    for r in dev_residuals:
        y, x = mouth_study.locate(r, basis)
        learned.append(box_at(y + mouth_study.BASIS_H / 2, x + mouth_study.BASIS_W / 2))
    studies = [
        ("none", 1, 4, "-", None), ("full", 4, 4, "-", None), ("full", 8, 4, "-", None),
        ("window", 4, 4, "true", None), ("window", 8, 4, "true", None), ("window", 48, 4, "true", None),
        ("strip", 8, 4, "true", None), ("strip", 6, 2, "true", None), ("strip", 8, 2, "true", None),
        ("strip", 6, 2, "learned", None), ("strip", 4, 1, "true", 40), ("strip", 6, 1, "true", 40),
        ("strip", 6, 0, "true", 42), ("strip", 6, 1, "learned", 40),
]  # fmt: skip
    rows = {row_label(*study): [] for study in studies}
    for w, (name, _, frames) in enumerate(tqdm(windows, desc="dev windows", file=sys.stderr)):
        truth = tools.track(frames)
        lips = (truth.landmarks[WINDOW // 2, UPPER_LIP] + truth.landmarks[WINDOW // 2, LOWER_LIP]) / 2
        gops = {}
        for kind, k, q, place, strip_crf in studies:
            gop = gops.get(q) or gops.setdefault(q, Gop(frames, q))
            box = box_at(lips[1], lips[0]) if place == "true" else learned[w]
            if kind == "none":
                decoded, picture_bytes = to_uint8(warp(gop.key, gop.flow)).numpy(), len(gop.key_bytes)
            elif kind == "full":
                decoded, picture_bytes = full_states(gop, k)
            elif kind == "window":
                decoded, picture_bytes = window_states(gop, k, box)
            else:
                decoded, picture_bytes = strip_states(gop, k, box, strip_crf)
            total = (
                picture_bytes + gop.flow_bytes + math.log2(k) * WINDOW / 8 + FRAMING_BYTES + 2 + 2 * bool(strip_crf)
            )  # lengths
            track = tools.track(decoded)
            rows[row_label(kind, k, q, place, strip_crf)].append(
                {
                    "window": name,
                    "box": list(box) if kind != "full" else None,
                    "bytes": total,
                    "kbps": 8 * total * FPS / WINDOW / 1000,
                    "psnr_db": psnr_db(frames, decoded),
                    "mouth_correlation": correlation(truth.mouth, track.mouth),
                    "face_found": float(track.found.mean()),
                }
            )
    summary = {}
    for name, per_window in rows.items():
        summary[name] = {
            key: float(np.nanmean([r[key] for r in per_window]))
            for key in ("bytes", "kbps", "psnr_db", "mouth_correlation", "face_found")
        }
        print(name, {k: round(v, 3) for k, v in summary[name].items()})
    if args.json_out:
        args.json_out.write_text(json.dumps({"summary": summary, "per_window": rows}, indent=1) + "\n")


if __name__ == "__main__":
    main()
