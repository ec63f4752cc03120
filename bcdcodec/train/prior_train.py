"""``bcdcodec train-prior``: fit the autoregressive motion prior to the codes of a trained codec.

The codec's encoder turns every training clip into content symbols and motion indices (exactly
what it would put in a stream); the prior learns ``p(motion_t | content, motion_<t)``. It is
saved by :func:`bcdcodec.prior_file.save_prior`.
"""

from __future__ import annotations

import math
import sys

import numpy as np
import torch
from tqdm import tqdm

from ..coding.integer_prior import IntegerPrior
from ..models.bcd import BCDModel
from ..models.motion_prior import MotionPrior, MotionPriorConfig
from .codes import first_clip_codes


@torch.no_grad()
def collect_codes(
    net: BCDModel, videos: np.ndarray, batch: int = 64, progress: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """``videos [S, T, H, W, 3]`` uint8 -> ``content [S, P, K, Cc]`` and ``motion [S, P, T', N]``
    (every group) int64 symbols of each video's first clip at each of the codec's ``P`` operating
    points (``T' = min(T, clip_len)``, frames stretched to the model size), as the encoder would
    code them. Points coded by one network share its motion."""
    contents, motions = [], []
    for codes in first_clip_codes(net, videos, batch, progress):
        contents.append(torch.stack([net.content_symbols(content, p) for p, (content, _) in enumerate(codes)], 1))
        motions.append(torch.stack([motion for _, motion in codes], 1))
    return torch.cat(contents).numpy(), torch.cat(motions).numpy()


def integer_bits(
    prior: IntegerPrior, content: np.ndarray, motion: np.ndarray, precision: int = 16, point: int | None = None
) -> float:
    """Mean ideal code length in bits per clip under the integer prior at operating ``point``
    (default: the top one) of ``motion [S, T, N]`` (the point's groups), with ``content
    [S, K, Cc]`` at that point."""
    total, groups = 0.0, prior.cfg.groups_at(point)
    for c, m in zip(content, motion):
        m = np.ascontiguousarray(m[:, :groups])
        freq = prior.tables(c, m, precision, point)
        chosen = np.take_along_axis(freq, m[..., None], -1)[..., 0]
        total += float(-np.log2(chosen / (1 << precision)).sum())
    return total / max(1, len(content))


def train_prior(
    cfg: MotionPriorConfig,
    content: np.ndarray,
    motion: np.ndarray,
    *,
    steps: int = 3000,
    batch: int = 256,
    lr: float = 2e-3,
    seed: int = 0,
    progress: bool = True,
    log=print,
) -> MotionPrior:
    """Fit a prior to ``content [S, P, K, Cc]`` and ``motion [S, P, T, N]`` codes at each operating
    point (AdamW, linear warm-up, cosine decay); each sample of a batch is drawn at a random
    operating point."""
    generator = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    prior = MotionPrior(cfg)
    optimizer = torch.optim.AdamW(prior.parameters(), lr=lr, weight_decay=0.01)
    warmup = max(1, steps // 20)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min(1.0, (s + 1) / warmup) * 0.5 * (1 + math.cos(math.pi * min(1.0, s / steps)))
    )
    content_t, motion_t = torch.from_numpy(content).long(), torch.from_numpy(motion).long()
    bar = tqdm(range(steps), disable=not progress, file=sys.stderr, unit="step")
    for step in bar:
        pick = torch.randint(0, len(content_t), (batch,), generator=generator)
        points = None
        if cfg.points > 1:
            points = torch.randint(0, cfg.points, (batch,), generator=generator)
            loss = prior.loss_bits(content_t[pick, points], motion_t[pick, points], points)
        else:
            loss = prior.loss_bits(content_t[pick, 0], motion_t[pick, 0])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(prior.parameters(), 1.0)
        optimizer.step()
        schedule.step()
        if step % 50 == 0:
            bar.set_postfix(bits_per_frame=round(loss.item(), 3))
    return prior.eval()
