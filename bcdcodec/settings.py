"""Coding choices recorded in the stream header: sampler and fit policy (plain data, no torch)."""

from __future__ import annotations

from dataclasses import dataclass

from .errors import InvalidArgumentError

SAMPLERS = ("euler", "heun")  # index = code in the stream header
FIT_POLICIES = ("stretch", "crop", "pad", "fill")  # index = 2-bit code in the stream header (see video.fit)
MAX_STEPS = 64


@dataclass(frozen=True)
class SamplerSettings:
    """How frames are sampled; recorded in the stream header so decoding is reproducible."""

    kind: str = "euler"
    steps: int = 8
    seed: int = 0

    def __post_init__(self) -> None:
        if self.kind not in SAMPLERS:
            raise InvalidArgumentError(f"unknown sampler {self.kind!r}; choose from {', '.join(SAMPLERS)}")
        if not 1 <= self.steps <= MAX_STEPS:
            raise InvalidArgumentError(f"sampling steps must be in [1, {MAX_STEPS}], got {self.steps}")
        if not 0 <= self.seed < 2**32:
            raise InvalidArgumentError(f"seed must be in [0, 2**32), got {self.seed}")
