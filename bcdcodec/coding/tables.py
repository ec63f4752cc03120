"""Integer frequency tables: built once at export time, frozen in the checkpoint, and the only
thing that feeds the entropy coder (no float probabilities are computed at decode time)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def quantize_pmf(pmf: np.ndarray, precision: int) -> np.ndarray:
    """Turn a float pmf ``[n]`` into integer frequencies ``[n]`` int64, each >= 1, summing to
    exactly ``2**precision``. Deterministic: ties are broken by index."""
    total = 1 << precision
    p = np.nan_to_num(np.asarray(pmf, dtype=np.float64), nan=0.0, posinf=0.0, neginf=0.0).clip(min=0.0)
    n = p.shape[0]
    if n == 0 or n > total:
        raise ValueError(f"cannot build a table of {n} symbols at precision {precision}")
    p = p / p.sum() if p.sum() > 0 else np.full(n, 1.0 / n)
    scaled = p * (total - n)
    freq = 1 + np.floor(scaled).astype(np.int64)
    remainder = int(total - freq.sum())
    if remainder:
        order = np.lexsort((np.arange(n), -(scaled - np.floor(scaled))))
        freq[order[:remainder]] += 1
    return freq


def quantize_pmf_rows(pmfs: np.ndarray, precision: int) -> np.ndarray:
    """Row-wise :func:`quantize_pmf` of a ``[rows, n]`` array."""
    return np.stack([quantize_pmf(row, precision) for row in pmfs])


@dataclass(frozen=True)
class CodingTables:
    """The integer tables of one model.

    ``motion``: ``[N, S]`` int64, one row per motion group; ``content``: ``[Cc, R]`` int64, one
    row per content channel. Every row sums to ``2**precision``.
    """

    motion: np.ndarray
    content: np.ndarray
    precision: int

    def __post_init__(self) -> None:
        for name, rows in (("motion", self.motion), ("content", self.content)):
            if rows.ndim != 2 or (rows < 1).any() or (rows.sum(1) != (1 << self.precision)).any():
                raise ValueError(f"{name} table rows must be >= 1 and sum to 2**{self.precision}")

    def ideal_bits(self, content: np.ndarray, motion: np.ndarray) -> float:
        """Ideal code length in bits of one clip's symbols (``content [K, Cc]``, ``motion [T, N]``)."""
        return self.content_bits(content) + self.motion_bits(motion)

    def content_bits(self, content: np.ndarray) -> float:
        """Ideal code length in bits of ``content [K, Cc]`` under the content tables."""
        return self._bits(self.content[np.arange(self.content.shape[0])[None, :], content])

    def motion_bits(self, motion: np.ndarray, rows: np.ndarray | None = None) -> float:
        """Ideal code length in bits of ``motion [T, N]``: under the static motion tables, or under
        per-symbol frequency ``rows [T, N, S]`` (the motion prior's)."""
        if rows is None:
            return self._bits(self.motion[np.arange(self.motion.shape[0])[None, :], motion])
        return self._bits(np.take_along_axis(rows, np.asarray(motion, dtype=np.int64)[..., None], -1))

    def _bits(self, frequencies: np.ndarray) -> float:
        return float(np.log2(float(1 << self.precision) / frequencies).sum())  # 0.0, not -0.0, for no symbols
