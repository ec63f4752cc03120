"""The encoder's codes of the first clip of each of many videos, in batches: what the priors of a
trained model are fitted to (``refit``, ``prior_train``)."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import numpy as np
import torch
from tqdm import tqdm

from ..models.bcd import BCDModel
from ..video.fit import fit_frames


@torch.no_grad()
def first_clip_codes(
    net: BCDModel, videos: np.ndarray, batch: int = 64, progress: bool = False, desc: str = "codes"
) -> Iterator[list[tuple[torch.Tensor, torch.Tensor]]]:
    """``videos [S, T, H, W, 3]`` uint8 -> per batch of ``batch`` videos, :meth:`BCDModel.encode_batch`
    of their first clips (``min(T, clip_len)`` frames stretched to the model size) at every
    operating point: ``[(content [B, K, Cc] float, motion [B, T', N] int64), ...]``, lowest point
    first. The network is put in eval mode (running statistics)."""
    net.eval()
    cfg = net.cfg
    for start in tqdm(range(0, len(videos), batch), desc=desc, disable=not progress, file=sys.stderr):
        clips = torch.stack(
            [fit_frames(torch.from_numpy(v[: cfg.clip_len]), cfg.image_size) for v in videos[start : start + batch]]
        )
        yield net.encode_batch(clips)
