"""The discrete representation of a clip: what the encoder emits and the entropy coder codes."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class ClipSymbols:
    """The discrete representation of one clip.

    ``content``: ``[K, Cc]`` int32, each column in ``[0, R)``; ``motion``: ``[T, N]`` int32 in ``[0, S)``.
    """

    content: np.ndarray
    motion: np.ndarray

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, ClipSymbols)
            and np.array_equal(self.content, other.content)
            and np.array_equal(self.motion, other.motion)
        )
