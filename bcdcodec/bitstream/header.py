"""What a decoder needs besides the model weights, for every stream version, and the parsed form
of a stream (header + GOP units)."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from ..errors import OutputTooLargeError
from ..settings import SamplerSettings

HASH_PREFIX_BYTES = 2
MAX_SIDE = 16384
MAX_OUTPUT_PIXELS = 7680 * 4320  # 8K: the largest output frame this decoder writes
MAX_FRAMES = 1 << 24
MAX_CLIP_LEN = 256
MAX_PACKET_BYTES = 1 << 20
MAX_FPS_TERM = 1 << 20
MAX_GOP_SECONDS = 60.0  # a 2.x GOP holds at most this long, and at least one clip (SPEC §3)
LATEST_VERSION = (2, 1)  # what encoders write; decoders read 1.0-1.1 and 2.0 too (2.0 payloads: coding.gop)


def max_gop_clips(fps: Fraction, clip_len: int) -> int:
    """The most clips a 2.x GOP may hold: ``MAX_GOP_SECONDS`` of frames at ``fps``, whole clips
    rounded up, and at least one clip (at most 60,255 frames at the highest frame rate). It bounds
    what decoding one GOP can cost."""
    frames = Fraction(MAX_GOP_SECONDS) * Fraction(fps)
    return max(1, -(-frames.numerator // (frames.denominator * clip_len)))


@dataclass(frozen=True)
class SequenceHeader:
    """The sequence header. In 2.x streams ``model_size``, ``operating_point`` and
    ``sampler_steps`` may be ``None``: "the model's own" (its resolution, its top operating point,
    its default sampling steps), resolved from the model that the id and weights hash name."""

    model_id: int
    weights_hash: bytes  # first HASH_PREFIX_BYTES of the weights' sha256
    source_width: int
    source_height: int
    fps: Fraction
    frame_count: int
    clip_len: int
    model_size: int | None = None  # square model resolution in pixels
    operating_point: int | None = None  # 1.x: motion rate target in bits/frame; 2.x: operating point index
    sampler_kind: str = "euler"
    sampler_steps: int | None = None
    seed: int = 0  # seeds the decoder's noise
    fit: str = "stretch"
    motion_prior_hash: bytes | None = None  # first 2 bytes of the motion prior's sha256 when prior-coded
    version: tuple[int, int] = LATEST_VERSION

    @property
    def clip_count(self) -> int:
        return -(-self.frame_count // self.clip_len)

    @property
    def max_gop_clips(self) -> int:
        """See :func:`max_gop_clips`."""
        return max_gop_clips(self.fps, self.clip_len)

    def frames_in_clip(self, index: int) -> int:
        return min(self.clip_len, self.frame_count - index * self.clip_len)

    def sampler(self, default_steps: int) -> SamplerSettings:
        """The recorded sampler, with the model's ``default_steps`` where the stream defers to it."""
        return SamplerSettings(self.sampler_kind, self.sampler_steps or default_steps, self.seed)

    @property
    def output_shape(self) -> tuple[int, int, int]:
        """``(H, W, 3)`` of decoded frames: the source size, or the coded square for ``crop``."""
        if self.fit == "crop":
            side = min(self.source_width, self.source_height)
            return side, side, 3
        return self.source_height, self.source_width, 3

    @property
    def seconds(self) -> float:
        return self.frame_count / float(self.fps)


@dataclass
class GopUnit:
    """One independently decodable unit: the content of clips ``first_clip ...`` and the motion of
    ``clip_count`` clips. 1.x streams have one unit per clip (each clip carries its content).
    ``payload`` is ``None`` when the unit is damaged (``damage`` says how; only when parsing
    with concealment)."""

    first_clip: int
    clip_count: int
    payload: bytes | None
    offset: int  # byte offset of the unit in the stream
    size: int  # bytes of the unit, framing included
    damage: str = ""


@dataclass
class ParsedStream:
    header: SequenceHeader
    header_size: int  # bytes of the sequence header
    units: list[GopUnit]
    framing_bytes: int  # bytes of lengths, counts, CRCs and end markers

    @property
    def packets(self) -> list[bytes]:
        """The payloads in order (every unit intact)."""
        return [u.payload for u in self.units]


def check_output_size(header: SequenceHeader) -> tuple[int, int, int]:
    """``header.output_shape``, refused with :class:`OutputTooLargeError` above ``MAX_OUTPUT_PIXELS``."""
    height, width, channels = header.output_shape
    if height * width > MAX_OUTPUT_PIXELS:
        raise OutputTooLargeError(
            f"stream asks for {width}x{height} frames; this decoder writes at most {MAX_OUTPUT_PIXELS} pixels (8K)"
        )
    return height, width, channels
