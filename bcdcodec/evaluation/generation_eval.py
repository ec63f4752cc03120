"""``bcdcodec eval generate``: motion invented by the prior for held-out Sprites characters, judged.

For each test sequence A: its content symbols (as its .bcd carries them), 8 frames of motion
sampled from the prior, rendered by the decoder. The judge must read A's attributes, and a valid
action: its top action-class probability at least ``valid_threshold``. The same criterion on the
real test sequences is reported beside it.
"""

from __future__ import annotations

import sys

import numpy as np
from tqdm import tqdm

from .. import codec
from ..data.sprites import SpritesSplit
from ..generate import generate
from .judge import SpritesJudge
from .sprites_eval import accuracy_per_attribute


def evaluate_generation(
    model: codec.CodecModel,
    judge: SpritesJudge,
    split: SpritesSplit,
    *,
    limit: int | None = None,
    temperature: float = 1.0,
    top_k: int = 0,
    seed: int = 0,
    valid_threshold: float = 0.5,
    progress: bool = True,
) -> dict:
    n = len(split) if limit is None else min(limit, len(split))
    rng = np.random.default_rng(seed)
    index = np.sort(rng.choice(len(split), size=n, replace=False))
    generated = np.stack(
        [
            generate(
                codec.compress(split.videos[j], model, fps=25),
                model,
                model.cfg.clip_len,
                temperature=temperature,
                top_k=top_k,
                seed=seed * 1_000_003 + i,
            ).frames
            for i, j in enumerate(tqdm(index, desc="generate", disable=not progress, file=sys.stderr))
        ]
    )
    pred_attr, pred_motion = judge.predict(generated)
    confidence = judge.motion_confidence(generated)
    real_confidence = judge.motion_confidence(split.videos[index])
    return {
        "sequences": n,
        "model": model.name,
        "temperature": temperature,
        "top_k": top_k,
        "seed": seed,
        "valid_action_threshold": valid_threshold,
        "generated_valid_action_rate": float(np.mean(confidence >= valid_threshold)),
        "generated_action_confidence_mean": float(np.mean(confidence)),
        "real_valid_action_rate": float(np.mean(real_confidence >= valid_threshold)),
        "generated_attribute_accuracy": float(np.mean(pred_attr == split.attributes[index])),
        "generated_attribute_accuracy_per_attribute": accuracy_per_attribute(pred_attr, split.attributes[index]),
        "generated_all_attributes_accuracy": float(np.mean((pred_attr == split.attributes[index]).all(1))),
        "generated_action_histogram": np.bincount(pred_motion, minlength=9).tolist(),
    }
