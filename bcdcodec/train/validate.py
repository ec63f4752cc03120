"""Validation during training: real .bcd bytes per clip and PSNR of the decoded frames."""

from __future__ import annotations

import numpy as np
import torch

from .. import codec, decoding
from ..evaluation.metrics import psnr_db
from ..models.bcd import BCDModel
from ..video.fit import to_uint8


@torch.no_grad()
def validate(net: BCDModel, clips: torch.Tensor) -> dict:
    """``clips [N, T, 3, S, S]`` in ``[-1, 1]``: code each clip as its own .bcd file, decode it."""
    was_training = net.training
    device = next(net.parameters()).device
    net.cpu().eval()
    model = codec.CodecModel.from_network(net)
    sizes, psnrs = [], []
    for clip in clips:
        frames = to_uint8(clip).numpy()
        data = codec.compress(frames, model, fps=25)
        sizes.append(len(data))
        psnrs.append(psnr_db(frames, decoding.decompress(data, model).frames))
    net.to(device).train(was_training)
    return {"val_file_bytes_per_clip": round(float(np.mean(sizes)), 2), "val_psnr_db": round(float(np.mean(psnrs)), 3)}
