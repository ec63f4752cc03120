"""Checkpoint files: a plain dict of config values and tensors, loaded with ``weights_only=True``."""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path

import torch

from .config import ModelConfig, migrate
from .errors import ModelLoadError
from .fileio import atomic_path
from .models.bcd import BCDModel

FORMAT = "bcdcodec-checkpoint"
FORMAT_VERSION = 2  # 1: bcdcodec 0.1 (config fields migrated on load, see config.migrate)
READABLE_VERSIONS = (1, 2)


def weights_digest(model: BCDModel) -> bytes:
    """sha256 over the model's tensors (names, dtypes, shapes and little-endian bytes, sorted by
    name). The stream stores a prefix of it so that other weights refuse to decode. A model
    loaded from a file keeps the digest of the tensors the file holds (``model.file_digest``),
    also where loading filled in tensors that an older version did not write."""
    if model.file_digest is not None:
        return model.file_digest
    return state_digest(model.state_dict())


def state_digest(state: dict) -> bytes:
    """sha256 of a state dict, as :func:`weights_digest` describes."""
    digest = hashlib.sha256()
    for name, tensor in sorted(state.items()):
        t = tensor.detach().cpu().contiguous()
        digest.update(f"{name}|{t.dtype}|{tuple(t.shape)}|".encode())
        digest.update(t.numpy().astype(t.numpy().dtype.newbyteorder("<"), copy=False).tobytes())
    return digest.digest()


def save_checkpoint(model: BCDModel, path: str | os.PathLike, extra: dict | None = None, half: bool = False) -> None:
    """Write ``model`` (config + weights + optional plain-data ``extra``) atomically to ``path``.

    ``half`` stores the parameters as float16 (for bundling; buffers keep their dtype); loading restores float32,
    and the weights hash is taken after loading, so it is the same on every load."""
    path = Path(path)
    state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    if half:
        # only the weights shrink; buffers (running statistics such as the content
        # standardisation's, whose clip-to-clip spread is below float16's resolution) stay exact
        weights = {name for name, _ in model.named_parameters()}
        state = {k: v.half() if k in weights else v for k, v in state.items()}
    payload = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "config": model.cfg.to_dict(),
        "state_dict": state,
        "extra": extra or {},
    }
    atomic_torch_save(payload, path)


def atomic_torch_save(payload: dict, path: str | os.PathLike) -> None:
    """``torch.save`` to a temporary name beside ``path``, then rename (no partial files). The
    archive is built in memory, so that its inner folder is always ``archive`` and not the
    temporary name: the same payload gives the same bytes (file sha256s reproduce)."""
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    with atomic_path(path, force=True) as tmp:
        Path(tmp).write_bytes(buffer.getvalue())


def load_checkpoint_payload(path: str | os.PathLike) -> dict:
    """The raw checkpoint dict (plain data and tensors only), validated for format and version."""
    path = Path(path)
    if not path.is_file():
        raise ModelLoadError(f"checkpoint not found: {path}")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise ModelLoadError(f"{path} is not a readable checkpoint ({type(exc).__name__})") from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise ModelLoadError(f"{path} is not a bcdcodec checkpoint")
    if payload.get("format_version") not in READABLE_VERSIONS:
        raise ModelLoadError(
            f"{path} has checkpoint format {payload.get('format_version')}, "
            f"this bcdcodec reads {', '.join(map(str, READABLE_VERSIONS))}"
        )
    return payload


def load_checkpoint(path: str | os.PathLike) -> tuple[BCDModel, dict]:
    """Load a checkpoint written by :func:`save_checkpoint`. Returns ``(model in eval mode, extra)``."""
    payload = load_checkpoint_payload(path)
    values = payload.get("config", {})
    if not isinstance(values, dict):
        raise ModelLoadError(f"{path} has no model config")
    v01 = payload["format_version"] == 1
    _, legacy = migrate(values, v01)
    model = BCDModel(ModelConfig.from_dict(values, v01))
    try:
        state = payload["state_dict"]
        reference = model.state_dict()
        state = {k: v.to(reference[k].dtype) if k in reference else v for k, v in state.items()}
        file_digest = state_digest(state)
        state.update(_legacy_fill(model, legacy))
        model.load_state_dict(state, strict=True)
    except (KeyError, RuntimeError, AttributeError, TypeError) as exc:
        raise ModelLoadError(f"{path}: weights do not match its config ({str(exc).splitlines()[0]})") from None
    model.file_digest = file_digest
    model.eval()
    return model, payload.get("extra", {})


def _legacy_fill(model: BCDModel, legacy) -> dict:
    """Tensors a 0.1 checkpoint without content standardisation or direct conditioning lacks:
    an exact identity standardisation (``(x - 0) / sqrt(1 - eps + eps)`` is ``x`` bit for bit)
    and a direct-conditioning path whose output layer is zero (adds exactly 0)."""
    fill = {}
    if legacy.identity_content_norm:
        norm = model.encoder.content_norm
        fill["encoder.content_norm.running_mean"] = torch.zeros_like(norm.running_mean)
        fill["encoder.content_norm.running_var"] = torch.full_like(norm.running_var, 1 - norm.eps)
        fill["encoder.content_norm.num_batches_tracked"] = torch.zeros_like(norm.num_batches_tracked)
    if legacy.zero_direct_conditioning:
        for name, tensor in model.denoiser.direct_cond.state_dict().items():
            fill[f"denoiser.direct_cond.{name}"] = torch.zeros_like(tensor)
    return fill
