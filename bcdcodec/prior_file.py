"""Motion prior files: the float weights, the exp table of the integer twin, and the sha256 of
the codec whose codes the prior models. Loaded with ``weights_only=True``."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import torch

from .checkpoint import atomic_torch_save, weights_digest
from .coding.integer_prior import IntegerPrior, exp_lut
from .errors import ModelLoadError
from .models.bcd import BCDModel
from .models.motion_prior import MotionPrior, MotionPriorConfig

PRIOR_FORMAT = "bcdcodec-motion-prior"


@dataclass
class LoadedPrior:
    net: MotionPrior  # float model: training and generation
    integer: IntegerPrior  # integer twin: the entropy model
    digest: bytes  # sha256 of the file; streams carry its first 2 bytes
    codec_sha256: str  # the codec it was trained on


def save_prior(prior: MotionPrior, path: str | os.PathLike, codec: BCDModel, extra: dict | None = None) -> None:
    path = Path(path)
    payload = {
        "format": PRIOR_FORMAT,
        "format_version": 1,
        "config": prior.cfg.to_dict(),
        "state_dict": {k: v.detach().cpu() for k, v in prior.state_dict().items()},
        "exp_lut": torch.from_numpy(exp_lut()),
        "codec_sha256": weights_digest(codec).hex(),
        "extra": extra or {},
    }
    atomic_torch_save(payload, path)


def load_prior(path: str | os.PathLike) -> LoadedPrior:
    """Load and check a prior file; raises :class:`ModelLoadError` on a bad file."""
    path = Path(path)
    if not path.is_file():
        raise ModelLoadError(f"motion prior not found: {path}")
    try:
        raw = path.read_bytes()
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise ModelLoadError(f"{path} is not a readable motion prior ({type(exc).__name__})") from None
    if not isinstance(payload, dict) or payload.get("format") != PRIOR_FORMAT:
        raise ModelLoadError(f"{path} is not a bcdcodec motion prior")
    try:
        prior = MotionPrior(MotionPriorConfig.from_dict(payload["config"]))
        prior.load_state_dict(payload["state_dict"], strict=True)
        twin = prior.integer_twin(payload["exp_lut"].numpy())
    except (KeyError, RuntimeError, ValueError) as exc:
        raise ModelLoadError(f"{path}: prior weights do not match its config ({str(exc).splitlines()[0]})") from None
    return LoadedPrior(prior.eval(), twin, hashlib.sha256(raw).digest(), str(payload.get("codec_sha256", "")))
