"""bcdcodec: a generative video codec with disentangled motion and content (Bitrate-Controlled Diffusion)."""

from .api import CodecModel, compress, compress_file, decode_symbols, decompress, decompress_file, load_model, stream_info
from .errors import BcdError

__version__ = "0.1.0"
__all__ = [
    "BcdError", "CodecModel", "compress", "compress_file", "decode_symbols", "decompress", "decompress_file",
    "load_model", "stream_info", "__version__",
]
