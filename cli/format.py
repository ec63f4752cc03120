"""Human-friendly units for terminal output."""

from __future__ import annotations


def human_bytes(n: int) -> str:
    if n < 1024:
        return f"{n} B"
    for unit in ("KiB", "MiB", "GiB", "TiB"):
        n /= 1024
        if n < 1024 or unit == "TiB":
            return f"{n:.1f} {unit}"
    raise AssertionError


def human_count(n: int, noun: str) -> str:
    """``n`` and ``noun``, plural unless ``n`` is 1: "1 clip", "3 clips"."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def human_rate(bits: float, seconds: float) -> str:
    bps = bits / seconds if seconds > 0 else 0.0
    if bps < 1000:
        return f"{bps:.0f} bit/s"
    if bps < 1e6:
        return f"{bps / 1e3:.2f} kbit/s"
    return f"{bps / 1e6:.2f} Mbit/s"
