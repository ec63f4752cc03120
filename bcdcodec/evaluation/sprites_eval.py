"""``bcdcodec eval sprites``: the codec on the Sprites test split, judged by the Sprites judge.

For every test sequence: the whole .bcd file (one 8-frame clip), PSNR and SSIM of the decoded
frames, and the judge's reading of the decoded action and attributes. Motion transfer: content
symbols of sequence A + motion symbols of sequence B (another character, another motion class),
decoded and judged: attributes should read as A's, the action as B's. Action confusion matrices
(row: true class, column: the judge's) show which actions the decoder draws as which.
"""

from __future__ import annotations

import sys
import time

import numpy as np
from tqdm import tqdm

from .. import codec, decoding
from ..data.sprites import ATTRIBUTES, SpritesSplit
from ..settings import SamplerSettings
from ..transfer import transfer
from .judge import SpritesJudge
from .metrics import psnr_db, ssim


def action_confusion(true_motion: np.ndarray, pred_motion: np.ndarray, classes: int = 9) -> list[list[int]]:
    """Counts ``[classes][classes]``: row = true action x direction class, column = the judge's."""
    counts = np.zeros((classes, classes), dtype=np.int64)
    np.add.at(counts, (true_motion, pred_motion), 1)
    return counts.tolist()


def accuracy_per_attribute(pred_attr: np.ndarray, attr: np.ndarray) -> dict[str, float]:
    """``pred_attr, attr [S, 4]`` -> the share of sequences read right, for each attribute by name."""
    return {name: float(v) for name, v in zip(ATTRIBUTES, np.mean(pred_attr == attr, axis=0))}


def _accuracy(pred_attr, pred_motion, attr, motion, classes: int) -> dict:
    return {
        "action_accuracy": float(np.mean(pred_motion == motion)),
        "attribute_accuracy": float(np.mean(pred_attr == attr)),
        "attribute_accuracy_per_attribute": accuracy_per_attribute(pred_attr, attr),
        "all_attributes_accuracy": float(np.mean((pred_attr == attr).all(1))),
        "action_confusion": action_confusion(motion, pred_motion, classes),
    }


def evaluate_sprites(
    model: codec.CodecModel,
    judge: SpritesJudge,
    split: SpritesSplit,
    limit: int | None = None,
    transfer_pairs: int | None = None,
    steps: int | None = None,
    seed: int = 0,
    progress: bool = True,
    point: int | None = None,
) -> dict:
    """Code every (or ``limit``) sequence(s) of ``split`` at operating ``point`` (default: the
    model's top one) and measure rate, quality, the judge's reading and motion transfer."""
    n = len(split) if limit is None else min(limit, len(split))
    rng = np.random.default_rng(seed)
    index = np.sort(rng.choice(len(split), size=n, replace=False))
    videos, attributes, motion, character = (
        split.videos[index],
        split.attributes[index],
        split.motion[index],
        split.character[index],
    )
    settings = SamplerSettings(steps=steps or model.cfg.default_steps)
    sizes, psnrs, ssims, decoded, streams, decode_seconds, prior_sizes = [], [], [], [], [], [], []
    for video in tqdm(videos, desc="sprites test", disable=not progress, file=sys.stderr):
        data = codec.compress(video, model, fps=25, sampler=settings, point=point)
        sizes.append(len(data))
        streams.append(data)
        if model.prior is not None:  # the same clip, motion coded under the prior: same symbols, fewer bytes
            prior_data = codec.compress(video, model, fps=25, sampler=settings, motion_prior=True, point=point)
            if decoding.decode_symbols(prior_data, model)[1] != decoding.decode_symbols(data, model)[1]:
                raise RuntimeError("prior-coded stream decoded to other symbols")
            prior_sizes.append(len(prior_data))
        start = time.perf_counter()
        out = decoding.decompress(data, model).frames
        decode_seconds.append(time.perf_counter() - start)
        decoded.append(out)
        psnrs.append(psnr_db(video, out))
        ssims.append(ssim(video, out))
    decoded = np.stack(decoded)
    classes = judge.cfg.motion_classes
    judge_real = _accuracy(*judge.predict(videos), attributes, motion, classes)
    judge_decoded = _accuracy(*judge.predict(decoded), attributes, motion, classes)

    pairs = []
    for a in range(n if transfer_pairs is None else min(transfer_pairs, n)):
        candidates = np.flatnonzero((character != character[a]) & (motion != motion[a]))
        pairs.append((a, int(rng.choice(candidates))))
    transferred = [
        transfer(streams[a], streams[b], model).frames
        for a, b in tqdm(pairs, desc="transfer", disable=not progress, file=sys.stderr)
    ]
    pred_attr, pred_motion = judge.predict(np.stack(transferred))
    a_idx = np.array([a for a, _ in pairs])
    b_idx = np.array([b for _, b in pairs])
    prior_coding = (
        {}
        if not prior_sizes
        else {
            "prior_coded_file_bytes_per_clip_mean": float(np.mean(prior_sizes)),
            "prior_coded_file_bytes_per_clip_max": int(np.max(prior_sizes)),
            "prior_coding_saving_bytes_per_clip": float(np.mean(sizes) - np.mean(prior_sizes)),
        }
    )
    return {
        "sequences": n,
        "model": model.name,
        "quality": (model.cfg.top_point if point is None else point) + 1,
        "decode_steps": settings.steps,
        "file_bytes_per_clip_mean": float(np.mean(sizes)),
        "file_bytes_per_clip_max": int(np.max(sizes)),
        "psnr_rgb_db": float(np.mean(psnrs)),
        "ssim_win7": float(np.mean(ssims)),
        "judge_on_real": judge_real,
        "judge_on_decoded": judge_decoded,
        "transfer_pairs": len(pairs),
        "transfer_attribute_accuracy_vs_content_source": float(np.mean(pred_attr == attributes[a_idx])),
        "transfer_attribute_accuracy_per_attribute": accuracy_per_attribute(pred_attr, attributes[a_idx]),
        "transfer_action_accuracy_vs_motion_source": float(np.mean(pred_motion == motion[b_idx])),
        "transfer_action_confusion": action_confusion(motion[b_idx], pred_motion, classes),
        "decode_seconds_per_clip_mean": float(np.mean(decode_seconds)),
        **prior_coding,
    }
