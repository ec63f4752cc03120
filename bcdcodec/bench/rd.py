"""Rate-distortion comparisons: Pareto fronts, Bjontegaard delta rate, bytes at equal quality.

A curve is a list of ``(rate, quality)`` points with rate > 0 (any unit, the same on both sides)
and quality increasing with rate (PSNR in dB, SSIM, accuracy...).
"""

from __future__ import annotations

import numpy as np
from scipy.integrate import quad
from scipy.interpolate import PchipInterpolator


def pareto_front(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Points no other point beats on both rate (lower) and quality (higher), by increasing rate."""
    front: list[tuple[float, float]] = []
    for rate, quality in sorted(points, key=lambda p: (p[0], -p[1])):
        if not front or quality > front[-1][1]:
            front.append((rate, quality))
    return front


def _log_rate_of_quality(curve: list[tuple[float, float]]) -> PchipInterpolator:
    front = pareto_front(curve)
    return PchipInterpolator([q for _, q in front], [np.log10(r) for r, _ in front])


def bd_rate_percent(anchor: list[tuple[float, float]], test: list[tuple[float, float]]) -> float | None:
    """Bjontegaard delta rate of ``test`` against ``anchor`` in percent (negative: ``test`` needs
    fewer bits for the same quality), with monotone piecewise-cubic (PCHIP) interpolation of
    log10 rate over the overlapping quality range. ``None`` where the fronts have fewer than two
    points each or do not overlap."""
    a, t = pareto_front(anchor), pareto_front(test)
    if len(a) < 2 or len(t) < 2:
        return None
    low = max(a[0][1], t[0][1])
    high = min(a[-1][1], t[-1][1])
    if not high > low:
        return None
    fa, ft = _log_rate_of_quality(a), _log_rate_of_quality(t)
    diff = quad(lambda q: float(ft(q) - fa(q)), low, high, limit=200)[0] / (high - low)
    return float((10**diff - 1) * 100)


def rate_at_quality(curve: list[tuple[float, float]], quality: float) -> tuple[float | None, str]:
    """The rate ``curve`` needs to reach ``quality``: interpolated (``"interpolated"``) inside its
    range, its cheapest point when even that is better (``"floor"``: the codec cannot go lower), or
    ``None`` (``"unreachable"``) above its best point."""
    front = pareto_front(curve)
    if quality <= front[0][1]:
        return front[0][0], "floor"
    if quality > front[-1][1]:
        return None, "unreachable"
    if len(front) == 1:
        return front[0][0], "interpolated"
    return float(10 ** _log_rate_of_quality(front)(quality)), "interpolated"


def bytes_ratio_at_equal_quality(anchor: list[tuple[float, float]], test: list[tuple[float, float]]) -> list[dict]:
    """For each point of ``test``'s front: how many times its rate ``anchor`` needs for at least
    the same quality (see :func:`rate_at_quality`)."""
    rows = []
    for rate, quality in pareto_front(test):
        anchor_rate, how = rate_at_quality(anchor, quality)
        rows.append(
            {
                "rate": rate,
                "quality": quality,
                "anchor_rate": anchor_rate,
                "anchor_rate_is": how,
                "anchor_over_test": None if anchor_rate is None else anchor_rate / rate,
            }
        )
    return rows
