"""Do a Sprites model's motion codes carry the action? A linear probe from codes to action class.

    python benchmarks/motion_code_probe.py bcdcodec/weights/sprites-64.pt

Encodes 3000 train-split and 1000 test-split sequences (seeded picks) exactly as a stream would
carry them, fits a linear classifier (one-hot codes -> 9 action x direction classes) on the train
codes and prints its accuracy on the test codes. A high test accuracy with a low judged action on
decoded clips places the loss of the action in the decoder, not in the motion codes. It also prints
how the test codes use each group: the entropy of its code frequencies (bits per frame) and the
share of frames on its most frequent code; a group on one code for every frame carries nothing.
Last, for the 9 sequences of each of 40 test characters, how many of a clip's code symbols differ
between two action x direction classes of the same character (mean over the characters): two
classes that differ in a handful of symbols are hard for a decoder to tell apart. For walk and
spellcast of each direction it then shows where they differ: for each frame (row) and group
(column), the share of those characters whose two clips carry different symbols there; per frame,
the share whose two clips carry the same symbols in every group, beside the share of pixels in
which the real frames differ (mean |RGB difference| above 30 of 255).
"""

from __future__ import annotations

import sys

import numpy as np
import torch

from bcdcodec.api import load_model
from bcdcodec.data.sprites import ACTIONS, DIRECTIONS, build_split, motion_class
from bcdcodec.paths import cache_dir
from bcdcodec.train.prior_train import collect_codes

TRAIN_CLIPS, TEST_CLIPS, PROBE_STEPS, PAIR_CHARACTERS = 3000, 1000, 500, 40
CLASSES = len(ACTIONS) * len(DIRECTIONS)  # action x direction
CHANGED_PIXEL_LEVELS = 30  # a pixel differs when its mean |RGB difference| is above this (of 255)


def one_hot_codes(motion: np.ndarray, codebook_size: int) -> torch.Tensor:
    """``motion [S, T, N]`` code indices -> ``[S, T*N*codebook_size]`` float one-hot features."""
    return torch.nn.functional.one_hot(torch.from_numpy(motion).long(), codebook_size).flatten(1).float()


def group_usage(motion: np.ndarray, codebook_size: int) -> list[tuple[float, float]]:
    """``motion [S, T, N]`` -> per group: (entropy of its code frequencies in bits, share of the top code)."""
    rows = []
    for group in motion.reshape(-1, motion.shape[-1]).T:
        freq = np.bincount(group, minlength=codebook_size) / len(group)
        used = freq[freq > 0]
        rows.append((float(-(used * np.log2(used)).sum()) + 0.0, float(freq.max())))  # + 0.0: no "-0.00"
    return rows


def codes_by_class(net, split) -> tuple[np.ndarray, np.ndarray]:
    """Motion codes ``[PAIR_CHARACTERS, CLASSES, T, N]`` and videos ``[PAIR_CHARACTERS, CLASSES, T, H, W, 3]``
    of the first ``PAIR_CHARACTERS`` characters of ``split``, one clip per action x direction class."""
    characters = np.unique(split.character)[:PAIR_CHARACTERS]
    picks = np.concatenate([np.flatnonzero(split.character == c) for c in characters])
    motion = collect_codes(net, split.videos[picks])[1][:, -1]  # the top point's codes
    where = (np.searchsorted(characters, split.character[picks]), split.motion[picks])
    codes = np.zeros((len(characters), CLASSES) + motion.shape[1:], dtype=motion.dtype)
    videos = np.zeros((len(characters), CLASSES) + split.videos.shape[1:], dtype=split.videos.dtype)
    codes[where], videos[where] = motion, split.videos[picks]
    return codes, videos


def class_code_differences(by_class: np.ndarray) -> np.ndarray:
    """``[CLASSES, CLASSES]`` mean number of differing motion symbols between two classes of one character."""
    return (by_class[:, :, None] != by_class[:, None, :]).sum((-1, -2)).mean(0)


def main(model_path: str) -> None:
    torch.set_num_threads(2)
    torch.manual_seed(0)
    net = load_model(model_path).net
    rng = np.random.default_rng(0)
    splits, codes = {name: build_split(name, cache_dir=cache_dir("sprites")) for name in ("train", "test")}, {}
    for name, count in (("train", TRAIN_CLIPS), ("test", TEST_CLIPS)):
        split = splits[name]
        picks = rng.choice(len(split), count, replace=False)
        motion = collect_codes(net, split.videos[picks])[1][:, -1]  # the top point's codes
        codes[name] = (one_hot_codes(motion, net.cfg.codebook_size), torch.from_numpy(split.motion[picks]))
        if name == "test":
            usage = group_usage(motion, net.cfg.codebook_size)
            print(
                "test code usage per group (bits, top-code share): "
                + ", ".join(f"{bits:.2f} / {100 * top:.0f} %" for bits, top in usage)
                + f"; sum {sum(bits for bits, _ in usage):.2f} bits per frame"
            )
    (x_train, y_train), (x_test, y_test) = codes["train"], codes["test"]
    probe = torch.nn.Linear(x_train.shape[1], CLASSES)
    optimizer = torch.optim.Adam(probe.parameters(), lr=1e-2)
    for _ in range(PROBE_STEPS):
        loss = torch.nn.functional.cross_entropy(probe(x_train), y_train)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        for name, x, y in (("train", x_train, y_train), ("test", x_test, y_test)):
            accuracy = (probe(x).argmax(1) == y).float().mean().item()
            print(f"{name}: {len(y)} sequences, action class from motion codes {100 * accuracy:.1f} %")
    by_class, videos = codes_by_class(net, splits["test"])
    differences = class_code_differences(by_class)
    print(
        f"differing symbols (of {net.cfg.clip_len * net.cfg.motion_groups}) between two classes of one test character:"
    )
    print("       " + " ".join(f"{c:>5d}" for c in range(CLASSES)))
    for c, row in enumerate(differences):
        print(f"class {c}" + " ".join(f"{v:5.1f}" for v in row))
    for direction in DIRECTIONS:
        walk, spell = motion_class("walk", direction), motion_class("spellcast", direction)
        where = (by_class[:, walk] != by_class[:, spell]).mean(0)
        same_frame = (by_class[:, walk] == by_class[:, spell]).all(-1).mean(0)
        pixel_gap = np.abs(videos[:, walk].astype(np.int16) - videos[:, spell]).mean(-1)
        changed = (pixel_gap > CHANGED_PIXEL_LEVELS).mean((-1, -2)).mean(0)
        print(
            f"walk vs spellcast {direction}: share of characters differing per frame (row) and group (column); "
            f"share with all {by_class.shape[-1]} symbols the same; % of pixels that differ in the real frames"
        )
        for t, row in enumerate(where):
            print(
                f"frame {t} "
                + " ".join(f"{v:4.2f}" for v in row)
                + f" | same {same_frame[t]:4.2f} | pixels {100 * changed[t]:4.1f} %"
            )
        print(
            f"walk vs spellcast {direction}: {100 * same_frame.mean():.0f} % of frames carry the same symbols "
            f"in both clips; the real frames differ in {100 * changed.mean():.1f} % of their pixels "
            "(means over frames and characters)"
        )


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "sprites-64")
