"""The key-frame codec's mouth from the GOP's own mouth pictures: a lab study of the missed mouth bar
(docs/faces-flow.md, "Mouth states").

    python benchmarks/mouth_states.py [--json-out FILE] [--train-per-source 100]

Each dev window (48 frames) is coded by faces-flow-128 as one file of one GOP (the middle frame as
an AV1 key picture, a 4x4 flow fitted to it at every coded frame, interpolated) and every source
frame is brought into the key picture's coordinates by the negated flow. K *states*
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

Bytes (coded rows only): the codec's whole file with its key picture replaced by the picture(s)
holding the states (2 bytes more for a second picture's length), plus the state indices at
log2(K) bits per frame (not entropy coded). Needs the face tools ([eval] extra); about 15 minutes
on two cores.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import sys
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

sys.path.insert(0, str(Path(__file__).parent))
import mouth_study

from bcdcodec import codec
from bcdcodec.bitstream import read_stream
from bcdcodec.coding.keypicture import decode_picture, encode_picture
from bcdcodec.data.faces import FaceClips
from bcdcodec.evaluation.face_metrics import FaceTrack, analyzer, correlation
from bcdcodec.evaluation.metrics import psnr_db
from bcdcodec.flowcodec import FACES_FLOW, flow_costs, iter_gops
from bcdcodec.keyflow import warp
from bcdcodec.video.fit import to_float, to_uint8

WINDOW, FPS = 48, 25
PH, PW = 24, 40  # the state window
UPPER_LIP, LOWER_LIP = 13, 14
DEFAULT = FACES_FLOW.default_point
SIZE = FACES_FLOW.image_size


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


def box_at(cy: float, cx: float) -> tuple[int, int]:
    """Top-left of the state window centred on ``(cy, cx)``, inside the frame."""
    return int(min(max(round(cy - PH / 2), 0), SIZE - PH)), int(min(max(round(cx - PW / 2), 0), SIZE - PW))


def true_box(track: FaceTrack) -> tuple[int, int]:
    """The window on mediapipe's inner-lip points of the middle frame (the oracle placement)."""
    lips = (track.landmarks[WINDOW // 2, UPPER_LIP] + track.landmarks[WINDOW // 2, LOWER_LIP]) / 2
    return box_at(lips[1], lips[0])


def draw(key: torch.Tensor, flow: torch.Tensor, box, states: torch.Tensor, mask: torch.Tensor) -> np.ndarray:
    """Frame t: ``key [1, 3, S, S]`` with ``states[t]`` (``[T, 3, h, w]``) blended in at ``box`` by
    ``mask [h, w]``, warped by ``flow[t]`` -> ``[T, S, S, 3]`` uint8."""
    y, x = box
    h, w = states.shape[-2:]
    out = []
    for t in range(len(flow)):
        picture = key.clone()
        picture[..., y : y + h, x : x + w] = picture[..., y : y + h, x : x + w] * (1 - mask) + states[t] * mask
        out.append(warp(picture, flow[t : t + 1]))
    return to_uint8(torch.cat(out)).numpy()


class Gop:
    """One dev window coded by the codec at ``point`` as one file: its key picture, its flow and
    the source frames brought into the key picture's coordinates."""

    def __init__(self, frames_u8: np.ndarray, point: int):
        self.point = FACES_FLOW.points[point]
        data = codec.compress(frames_u8, FACES_FLOW, fps=FPS, gop_seconds=WINDOW / FPS, scene_cut=None, point=point)
        parsed = read_stream(data)
        ((_, self.key, flows),) = iter_gops(parsed, FACES_FLOW, range(parsed.header.clip_count), conceal=False)
        self.flow = torch.cat(flows)
        self.file_bytes, self.picture_bytes = len(data), flow_costs(parsed, FACES_FLOW)[0]["picture_bytes"]
        frames = to_float(torch.from_numpy(frames_u8))
        self.middle = frames[WINDOW // 2]
        self.aligned = torch.cat([warp(frames[t : t + 1], -self.flow[t : t + 1]) for t in range(WINDOW)])

    @property
    def decoded(self) -> np.ndarray:
        """What the codec decodes: the key picture warped, ``[T, S, S, 3]`` uint8."""
        return to_uint8(warp(self.key, self.flow)).numpy()

    def window(self, box) -> torch.Tensor:
        """The aligned frames' state window at ``box``: ``[T, 3, PH, PW]``."""
        y, x = box
        return self.aligned[:, :, y : y + PH, x : x + PW]

    def window_states(self, k: int, box) -> torch.Tensor:
        """``k`` states of the window at ``box``, chosen by their difference from the key picture."""
        y, x = box
        window = self.window(box)
        return window[choose_states((window - self.key[:, :, y : y + PH, x : x + PW]).flatten(1), k)]

    def nearest(self, states: torch.Tensor, box) -> torch.Tensor:
        """Per frame, the index of the state ``[K, 3, h, w]`` nearest the aligned frame at ``box``."""
        y, x = box
        h, w = states.shape[-2:]
        return torch.cdist(self.aligned[:, :, y : y + h, x : x + w].flatten(1), states.flatten(1)).argmin(1)

    def paste(self, key: torch.Tensor, states: torch.Tensor, box, mask: torch.Tensor) -> np.ndarray:
        """Each frame: ``key`` with its nearest state pasted at ``box``, warped by its flow."""
        return draw(key, self.flow, box, states[self.nearest(states, box)], mask)


def full_states(gop: Gop, k: int) -> np.ndarray:
    chosen = choose_states((gop.aligned - gop.key).flatten(1), k)
    return gop.paste(gop.key, gop.aligned[chosen], (0, 0), torch.ones(SIZE, SIZE))


def strip_states(gop: Gop, k: int, box, strip_crf: int | None = None) -> tuple[np.ndarray, int]:
    """The states coded in a strip under the key picture: one AV1 picture at the point's crf, or
    with ``strip_crf`` the strip alone as a second picture at that crf (the key picture as coded).
    Returns the decoded frames and the file's bytes with that picture (or those pictures)."""
    states = gop.window_states(k, box)
    per_row = SIZE // PW
    rows = -(-k // per_row)
    y, x = box
    canvas = gop.middle[:, y : y + PH, x : x + PW].mean((1, 2))[:, None, None].expand(3, SIZE + rows * PH, SIZE)
    canvas = canvas.clone()
    canvas[:, :SIZE] = gop.middle
    slots = [(SIZE + (j // per_row) * PH, (j % per_row) * PW) for j in range(k)]
    for (sy, sx), state in zip(slots, states):
        canvas[:, sy : sy + PH, sx : sx + PW] = state
    if strip_crf is None:
        data = encode_picture(to_uint8(canvas[None]).numpy()[0], gop.point.crf)
        decoded = to_float(torch.from_numpy(decode_picture(data, SIZE + rows * PH, SIZE))[None])
        extra = len(data) - gop.picture_bytes
    else:
        data = encode_picture(to_uint8(canvas[None, :, SIZE:]).numpy()[0], strip_crf)
        decoded = torch.cat([gop.key, to_float(torch.from_numpy(decode_picture(data, rows * PH, SIZE))[None])], 2)
        extra = len(data) + 2  # and its length
    coded = torch.stack([decoded[0, :, sy : sy + PH, sx : sx + PW] for sy, sx in slots])
    return gop.paste(decoded[..., :SIZE, :], coded, box, feather(PH, PW)), gop.file_bytes + extra


def transfer_study(tools, windows: list, k: int) -> dict:
    """Cross-person transfer by states (uncoded, at the true mouth): each person's first window
    gives K states ranked by an openness score (how much darker the window's central band is than
    the window); frame t of content A takes A's state of the rank of motion B's state at t, warped
    by B's flow. Also: how the score of each frame's state follows the person's own mouth."""
    people: dict = {}
    for _, person, frames in windows:
        if person in people:
            continue
        gop, track = Gop(frames, DEFAULT), tools.track(frames)
        box = true_box(track)
        states = gop.window_states(k, box)
        luminance = states.mean(1)
        band = luminance[:, PH // 2 - 4 : PH // 2 + 4, PW // 4 : 3 * PW // 4].mean((1, 2))
        score = luminance.mean((1, 2)) - band
        assign = gop.nearest(states, box)
        rank = torch.argsort(torch.argsort(score)).float() / max(k - 1, 1)
        follows = correlation(track.mouth, score[assign].numpy())
        people[person] = {"gop": gop, "box": box, "states": states, "rank": rank, "assign": assign,
                          "mouth": track.mouth, "score_follows_mouth": follows}  # fmt: skip
    pairs = []
    for a, b in itertools.permutations(people, 2):
        content, motion = people[a], people[b]
        wanted = motion["rank"][motion["assign"]]
        picks = torch.cdist(wanted[:, None], content["rank"][:, None]).argmin(1)
        out = draw(content["gop"].key, motion["gop"].flow, content["box"], content["states"][picks], feather(PH, PW))
        mouth = correlation(tools.track(out).mouth, motion["mouth"])
        pairs.append({"content": a, "motion": b, "mouth_correlation_with_motion": mouth})
    return {
        "states": k,
        "score_follows_own_mouth": {p: v["score_follows_mouth"] for p, v in people.items()},
        "pairs": pairs,
        "mean_mouth_correlation_with_motion": float(np.nanmean([r["mouth_correlation_with_motion"] for r in pairs])),
    }


def row_label(kind: str, k: int, point: int, place: str, strip_crf: int | None) -> str:
    return f"{kind} K={k} quality {point + 1} {place}" + (f" strip crf {strip_crf}" if strip_crf else "")


def learned_boxes(gops: list[Gop], sources: np.ndarray, train_per_source: int) -> list[tuple[int, int]]:
    """Where the mouth study's residual basis (learned on train windows coded at quality 4) places
    the window in each dev GOP (coded at the default point)."""
    train_src, train_base = mouth_study.coded_bases("train", 3, train_per_source)
    basis = mouth_study.learn_basis(mouth_study.residuals(train_src, train_base), 8)
    residuals = mouth_study.residuals(sources, np.stack([gop.decoded for gop in gops]))
    boxes = []
    for r in residuals:
        y, x = mouth_study.locate(r, basis)
        boxes.append(box_at(y + mouth_study.BASIS_H / 2, x + mouth_study.BASIS_W / 2))
    return boxes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json-out", type=Path)
    parser.add_argument("--transfer", action="store_true", help="only the cross-person transfer study")
    parser.add_argument("--train-per-source", type=int, default=100, help="train windows for the placing basis")
    args = parser.parse_args()
    torch.set_num_threads(1)
    tools = analyzer()
    windows = FaceClips.load("dev", SIZE).windows(WINDOW, 4)
    if args.transfer:
        result = transfer_study(tools, windows, 6)
        print(json.dumps(result, indent=1))
        if args.json_out:
            args.json_out.write_text(json.dumps(result, indent=1) + "\n")
        return
    studies = [
        ("none", 1, 4, "-", None), ("full", 4, 4, "-", None), ("full", 8, 4, "-", None),
        ("window", 4, 4, "true", None), ("window", 8, 4, "true", None), ("window", 48, 4, "true", None),
        ("strip", 8, 4, "true", None), ("strip", 6, 2, "true", None), ("strip", 8, 2, "true", None),
        ("strip", 6, 2, "learned", None), ("strip", 4, 1, "true", 40), ("strip", 6, 1, "true", 40),
        ("strip", 6, 0, "true", 42), ("strip", 6, 1, "learned", 40),
    ]  # fmt: skip
    points = sorted({q for _, _, q, _, _ in studies})
    gops = [{q: Gop(frames, q) for q in points} for _, _, frames in tqdm(windows, desc="code", file=sys.stderr)]
    sources = np.stack([frames for _, _, frames in windows])
    learned = learned_boxes([g[DEFAULT] for g in gops], sources, args.train_per_source)
    rows = {row_label(*study): [] for study in studies}
    for w, (name, _, frames) in enumerate(tqdm(windows, desc="dev windows", file=sys.stderr)):
        truth = tools.track(frames)
        for kind, k, q, place, strip_crf in studies:
            gop = gops[w][q]
            box = true_box(truth) if place == "true" else learned[w]
            file_bytes = None  # the states of the uncoded rows are not counted
            if kind == "none":
                decoded, file_bytes = gop.decoded, gop.file_bytes
            elif kind == "full":
                decoded = full_states(gop, k)
            elif kind == "window":
                decoded = gop.paste(gop.key, gop.window_states(k, box), box, feather(PH, PW))
            else:
                decoded, file_bytes = strip_states(gop, k, box, strip_crf)
            row = {"window": name, "box": None if kind == "full" else list(box)}
            if file_bytes is not None:
                row["bytes"] = file_bytes + math.log2(k) * WINDOW / 8
                row["kbps"] = 8 * row["bytes"] * FPS / WINDOW / 1000
            track = tools.track(decoded)
            row.update(
                psnr_db=psnr_db(frames, decoded),
                mouth_correlation=correlation(truth.mouth, track.mouth),
                face_found=float(track.found.mean()),
            )
            rows[row_label(kind, k, q, place, strip_crf)].append(row)
    summary = {}
    for name, per_window in rows.items():
        keys = [key for key in per_window[0] if key not in ("window", "box")]
        summary[name] = {key: float(np.nanmean([r[key] for r in per_window])) for key in keys}
        print(name, {k: round(v, 3) for k, v in summary[name].items()})
    if args.json_out:
        args.json_out.write_text(json.dumps({"summary": summary, "per_window": rows}, indent=1) + "\n")


if __name__ == "__main__":
    main()
