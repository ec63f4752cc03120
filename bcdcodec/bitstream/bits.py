"""Bit-level writing and bounded reading for the 2.x header: fixed-width fields and Exp-Golomb
codes, most significant bit first."""

from __future__ import annotations

from ..errors import InvalidHeaderError, TruncatedStreamError

MAX_EXP_GOLOMB_BITS = 32  # every Exp-Golomb field is below 2**32 - 1


class BitWriter:
    def __init__(self) -> None:
        self._bits: list[int] = []

    def bits(self, value: int, width: int) -> None:
        """``value`` in ``width`` bits, most significant first."""
        if not 0 <= value < (1 << width):
            raise ValueError(f"{value} does not fit in {width} bits")
        self._bits.extend((value >> (width - 1 - i)) & 1 for i in range(width))

    def flag(self, value: bool) -> None:
        self.bits(int(value), 1)

    def exp_golomb(self, value: int) -> None:
        """Order-0 Exp-Golomb: ``n`` zeros then the ``n + 1`` bits of ``value + 1``."""
        if value < 0:
            raise ValueError("Exp-Golomb values are unsigned")
        width = (value + 1).bit_length()
        if width > 1:
            self.bits(0, width - 1)
        self.bits(value + 1, width)

    def to_bytes(self) -> bytes:
        """The bits, zero-padded to whole bytes."""
        padded = self._bits + [0] * (-len(self._bits) % 8)
        return bytes(sum(bit << (7 - i) for i, bit in enumerate(padded[k : k + 8])) for k in range(0, len(padded), 8))


class BitReader:
    """Reads bits from ``data`` starting at byte ``start``; every read checks what is left."""

    def __init__(self, data: bytes, start: int = 0):
        self.data = data
        self.pos = start * 8

    def bits(self, width: int, what: str) -> int:
        if self.pos + width > len(self.data) * 8:
            raise TruncatedStreamError(f"stream ends inside the {what}")
        value = 0
        for _ in range(width):
            value = (value << 1) | (self.data[self.pos >> 3] >> (7 - (self.pos & 7))) & 1
            self.pos += 1
        return value

    def flag(self, what: str) -> bool:
        return bool(self.bits(1, what))

    def exp_golomb(self, what: str, low: int, high: int) -> int:
        """An Exp-Golomb value, checked against ``low <= value <= high``."""
        zeros = 0
        while not self.bits(1, what):
            zeros += 1
            if zeros >= MAX_EXP_GOLOMB_BITS:
                raise InvalidHeaderError(f"{what} is longer than {MAX_EXP_GOLOMB_BITS} bits")
        value = ((1 << zeros) | self.bits(zeros, what)) - 1
        if not low <= value <= high:
            raise InvalidHeaderError(f"{what} = {value} is outside [{low}, {high}]")
        return value

    def end_of_header(self) -> int:
        """Skip the zero padding to the next byte; returns the byte position after the header."""
        pad = -self.pos % 8
        if pad and self.bits(pad, "header padding"):
            raise InvalidHeaderError("header padding bits are not zero")
        return self.pos // 8
