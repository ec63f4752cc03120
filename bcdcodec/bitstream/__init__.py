"""The .bcd container: header, packets with CRC32, end marker (see bitstreams/SPEC.md)."""

from .format import ParsedStream, SequenceHeader, read_stream, write_stream
from .info import stream_info

__all__ = ["ParsedStream", "SequenceHeader", "read_stream", "stream_info", "write_stream"]
