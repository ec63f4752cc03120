"""bcdcodec: a generative video codec with disentangled motion and content (Bitrate-Controlled Diffusion).

The API names below are loaded on first use, so that ``bcdcodec.bitstream`` (parsing, ``info``)
works without importing torch.
"""

from .errors import BcdError

__version__ = "0.2.0"
_API = (
    "CodecModel",
    "compress",
    "compress_file",
    "decode_symbols",
    "decompress",
    "decompress_file",
    "load_model",
    "stream_info",
)
__all__ = ["BcdError", "__version__", *_API]


def __getattr__(name: str):
    if name in _API:
        from . import api

        return getattr(api, name)
    raise AttributeError(f"module 'bcdcodec' has no attribute {name!r}")
