"""Training-time augmentation that makes new-looking characters out of the training ones.

Each clip (and its content partner, identically) gets one of the six orderings of its colour
channels and, with probability one half, a left-right mirror. The colours then no longer identify
one of the few training characters, so the content code has to describe appearance instead of
naming a character it has seen; mirrored clips are still valid motions. On Sprites it made
held-out characters worse, not better (README, *Sprites*), so it is off unless a config asks.
"""

from __future__ import annotations

import itertools

import numpy as np
import torch

CHANNEL_ORDERS = torch.tensor(list(itertools.permutations(range(3))))  # [6, 3]


def augment_clips(clips: torch.Tensor, rng: np.random.Generator, partners: torch.Tensor | None = None):
    """``clips [B, T, 3, S, S]`` (and ``partners`` of the same shape) -> the same shapes and value
    range with one random channel order and mirror per clip, shared with its partner."""
    b = clips.shape[0]
    order = CHANNEL_ORDERS[torch.from_numpy(rng.integers(0, len(CHANNEL_ORDERS), size=b))].to(clips.device)  # [B, 3]
    mirror = torch.from_numpy(rng.random(b) < 0.5).to(clips.device)

    def apply(x: torch.Tensor) -> torch.Tensor:
        index = order.view(b, 1, 3, 1, 1).expand(-1, x.shape[1], -1, x.shape[3], x.shape[4])
        x = torch.gather(x, 2, index)
        return torch.where(mirror.view(b, 1, 1, 1, 1), x.flip(-1), x)

    return apply(clips), (None if partners is None else apply(partners))
