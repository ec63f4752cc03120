"""Typed exceptions raised by the library. The CLI maps them to one-line messages and exit codes."""


class BcdError(Exception):
    """Base class of every error bcdcodec raises on purpose."""


class StreamError(BcdError):
    """A .bcd stream cannot be decoded."""


class NotABcdError(StreamError):
    """The data does not start with the .bcd magic bytes."""


class UnsupportedVersionError(StreamError):
    """The stream's major version (or a reserved field) is newer than this decoder."""


class InvalidHeaderError(StreamError):
    """A header field is out of its allowed range."""


class TruncatedStreamError(StreamError):
    """The stream ends before its last GOP (or, in 1.x, its end marker)."""


class CorruptPacketError(StreamError):
    """A GOP (1.x: a packet) failed its check, or its payload does not decode."""


class ModelMismatchError(BcdError):
    """The stream was made with another model than the one given to decode it."""


class ModelLoadError(BcdError):
    """A model name is unknown or a checkpoint file is missing, damaged or not a bcdcodec model."""


class VideoError(BcdError):
    """A video cannot be read or written, or it has no frames / an absurd size."""


class OutputError(BcdError):
    """An output file or folder cannot be created where it was asked for."""


class OutputTooLargeError(StreamError):
    """A stream asks for output frames larger than this decoder writes (see bitstream.header.MAX_OUTPUT_PIXELS)."""


class InvalidArgumentError(BcdError):
    """An option value is out of range (rate, steps, seed, ...)."""


class RateOutOfRangeError(InvalidArgumentError):
    """The requested bitrate is outside what the model reaches on this video."""
