"""Reading a stream of any version this decoder knows."""

from __future__ import annotations

from ..errors import NotABcdError
from . import v1, v2
from .header import ParsedStream


def read_stream(data: bytes, conceal: bool = False) -> ParsedStream:
    """Parse and verify a 1.x or 2.x stream; ``conceal`` (2.x) keeps damaged GOPs as damaged units
    instead of failing (see :func:`v2.read_stream`)."""
    data = bytes(data)
    if data[: len(v1.MAGIC)] == v1.MAGIC:
        return v1.read_stream(data)
    if data[: len(v2.MAGIC)] == v2.MAGIC:
        return v2.read_stream(data, conceal)
    raise NotABcdError("not a .bcd stream (bad magic bytes)")
