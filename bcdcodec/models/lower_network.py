"""The network of the points below the top, stored as a 4-bit difference from the top one.

A model with ``lower_delta_group = g`` codes its top operating point with its own encoder, motion
quantizer and denoiser, and the points below with a second network of the same shape. That second
network is stored as its difference from the first: every tensor of at least ``MIN_QUANTIZED``
values (a multiple of ``g``) as 4-bit integers in [-7, 7] (two per byte) with one float16 scale
per ``g`` consecutive values, every other floating-point tensor (biases, norms, running
statistics) whole. Rebuilding it is integer times float16 in float32: the same on every machine.
"""

from __future__ import annotations

import copy

import torch
import torch.nn as nn

from .denoiser import Denoiser
from .encoder import MotionContentEncoder
from .quantizer import GroupVQ

CORE = ("encoder", "motion_vq", "denoiser")  # the parts of a BCDModel that the lower points replace
MIN_QUANTIZED = 4096  # smaller tensors are stored whole
LEVELS = 7  # codes -7..7


class LowerNetwork(nn.Module):
    """Encoder, motion quantizer and denoiser of the points below the top (inference only)."""

    def __init__(self, encoder: MotionContentEncoder, motion_vq: GroupVQ, denoiser: Denoiser):
        super().__init__()
        self.encoder, self.motion_vq, self.denoiser = encoder, motion_vq, denoiser


def core_state(model: nn.Module) -> dict[str, torch.Tensor]:
    """The floating-point tensors of ``model``'s encoder, motion quantizer and denoiser, by name."""
    return {
        name: tensor
        for name, tensor in model.state_dict().items()
        if name.split(".", 1)[0] in CORE and tensor.is_floating_point()
    }


def _key(name: str) -> str:
    return name.replace(".", "__")  # module and buffer names may not hold dots


class QuantizedDelta(nn.Module):
    """``lower = top + delta`` for every tensor of :func:`core_state`. Buffers only (a float16 file
    keeps them as they are): per quantized tensor ``codes`` (uint8, two 4-bit codes + 8 per
    byte, low nibble first) and ``scales`` (float16, one per ``group`` values); per other tensor
    the whole difference. Zero at construction: the lower network starts as the top one."""

    def __init__(self, template: dict[str, torch.Tensor], group: int):
        super().__init__()
        self.group, self.names = group, sorted(template)
        self.codes, self.scales, self.whole = nn.Module(), nn.Module(), nn.Module()
        for name in self.names:
            t, key = template[name], _key(name)
            if self.quantized(t):
                self.codes.register_buffer(key, torch.full(((t.numel() + 1) // 2,), 0x88, dtype=torch.uint8))
                self.scales.register_buffer(key, torch.zeros(t.numel() // group, dtype=torch.float16))
            else:
                self.whole.register_buffer(key, torch.zeros_like(t))

    def quantized(self, tensor: torch.Tensor) -> bool:
        return tensor.numel() >= MIN_QUANTIZED and tensor.numel() % self.group == 0

    def delta(self, name: str, shape: torch.Size) -> torch.Tensor:
        """The difference of tensor ``name`` (float32, ``shape``)."""
        key = _key(name)
        if not hasattr(self.codes, key):
            return getattr(self.whole, key).float()
        packed = getattr(self.codes, key)
        codes = torch.stack([packed & 0x0F, packed >> 4], 1).flatten()[: shape.numel()].float() - 8
        scales = getattr(self.scales, key).float()
        return (codes.view(-1, self.group) * scales[:, None]).reshape(shape)

    @torch.no_grad()
    def fit_difference(self, top: dict[str, torch.Tensor], lower: dict[str, torch.Tensor]) -> dict[str, float]:
        """Set the delta to ``lower - top`` (quantized where stored so). Returns, for each
        quantized tensor, the share of the difference's energy the stored one keeps
        (1 - error energy / difference energy)."""
        kept = {}
        for name in self.names:
            diff, key = (lower[name].float() - top[name].float()), _key(name)
            if not hasattr(self.codes, key):
                getattr(self.whole, key).copy_(diff)
                continue
            groups = diff.reshape(-1, self.group)
            scales = (groups.abs().amax(1) / LEVELS).half()
            safe = torch.where(scales > 0, scales.float(), torch.ones_like(scales, dtype=torch.float32))
            codes = (groups / safe[:, None]).round().clamp(-LEVELS, LEVELS).to(torch.int64).flatten() + 8
            if codes.numel() % 2:
                codes = torch.cat([codes, codes.new_full((1,), 8)])
            getattr(self.codes, key).copy_((codes[0::2] | (codes[1::2] << 4)).to(torch.uint8))
            getattr(self.scales, key).copy_(scales)
            error = (self.delta(name, diff.shape) - diff).square().sum()
            kept[name] = float(1 - error / diff.square().sum().clamp_min(1e-30))
        return kept

    @torch.no_grad()
    def build(self, top: nn.Module) -> LowerNetwork:
        """The lower network: copies of ``top``'s encoder, motion quantizer and denoiser with the
        difference added, in eval mode, without gradients."""
        net = LowerNetwork(*(copy.deepcopy(getattr(top, part)) for part in CORE))
        state = net.state_dict()
        for name in self.names:
            state[name] = state[name] + self.delta(name, state[name].shape).to(state[name].dtype)
        net.load_state_dict(state)
        return net.eval().requires_grad_(False)
