"""The .bcd container (see bitstreams/SPEC.md): 2.x streams (written) and 1.x streams (read)."""

from . import v1, v2
from .header import HASH_PREFIX_BYTES, MAX_FRAMES, GopUnit, ParsedStream, SequenceHeader
from .info import stream_info
from .parse import read_stream

write_stream = v2.write_stream

__all__ = [
    "HASH_PREFIX_BYTES",
    "MAX_FRAMES",
    "GopUnit",
    "ParsedStream",
    "SequenceHeader",
    "read_stream",
    "stream_info",
    "v1",
    "v2",
    "write_stream",
]  # fmt: skip
