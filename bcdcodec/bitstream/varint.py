"""Unsigned LEB128 varints with a hard size limit."""

from __future__ import annotations

from ..errors import InvalidHeaderError, TruncatedStreamError

MAX_VARINT_BYTES = 5  # values < 2**35; every field has a tighter bound of its own


def encode_varint(value: int) -> bytes:
    if value < 0:
        raise ValueError("varints are unsigned")
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


class Reader:
    """Bounded cursor over stream bytes; every read checks what is left first."""

    def __init__(self, data: bytes):
        self.data = data
        self.pos = 0

    @property
    def remaining(self) -> int:
        return len(self.data) - self.pos

    def take(self, n: int, what: str) -> bytes:
        if n > self.remaining:
            raise TruncatedStreamError(f"stream ends inside the {what} (needs {n} bytes, {self.remaining} left)")
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk

    def u8(self, what: str) -> int:
        return self.take(1, what)[0]

    def varint(self, what: str, low: int, high: int) -> int:
        """Read a varint and check ``low <= value <= high``."""
        value, shift = 0, 0
        for i in range(MAX_VARINT_BYTES):
            byte = self.u8(what)
            value |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                if i and byte == 0:
                    raise InvalidHeaderError(f"{what} is not minimally encoded")
                break
        else:
            raise InvalidHeaderError(f"{what} is longer than {MAX_VARINT_BYTES} bytes")
        if not low <= value <= high:
            raise InvalidHeaderError(f"{what} = {value} is outside [{low}, {high}]")
        return value
