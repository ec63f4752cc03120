"""Does the model fit the video? The quality its file decodes to, measured on the first clip
while encoding (decoding in the loop, like x265's ``--psnr``), so that a sprite model handed a
face, or a face model handed a cartoon, does not pass silently."""

from __future__ import annotations

import torch

from .bitstream import ParsedStream, SequenceHeader, read_stream
from .codec import CodecModel, stream_point
from .decoding import decode_clips
from .diffusion import clip_noise
from .evaluation.metrics import psnr_db
from .flowcodec import FlowCodec, iter_model_clips
from .settings import SamplerSettings
from .symbols import ClipSymbols
from .video.fit import to_uint8

# below this PSNR at the model's resolution, the model draws something else than the video shows
# (sprites-64 on talking heads: about 6-8 dB; on its own test split: 29 dB)
MISFIT_PSNR_DB = 15.0
# above this multiple of the training clips' 99th-percentile typicality score, the content is unlike
# anything the model was trained on (faces-128: new people 0.5-1.1x, natural video 0.9-1.1x,
# Sprites 3.9-5.9x; docs/faces.md)
MISFIT_TYPICALITY = 2.0


class FirstClipCheck:
    """A ``probe`` for :func:`codec.encode_source`: keeps the first clip as the model sees it;
    :meth:`psnr` decodes that clip from the finished stream (with the content its GOP codes,
    chosen only when the GOP closes, and the stream's operating point and sampler; the key-frame
    codec: its GOP's picture and flow) and compares, at the model's resolution (no second read of
    the source). ``sampler``: ``None`` for the key-frame codec."""

    def __init__(self, model: CodecModel | FlowCodec, sampler: SamplerSettings | None):
        self.model, self.sampler = model, sampler
        self.frames: torch.Tensor | None = None

    def __call__(self, frames: torch.Tensor, symbols: dict[int, ClipSymbols]) -> None:
        self.frames = frames

    def psnr(self, stream: bytes) -> float:
        """PSNR (dB) of the first clip ``[T, 3, S, S]`` of ``stream`` against the encoder's input."""
        return self._psnr(read_stream(stream))

    def _psnr(self, parsed: ParsedStream) -> float:
        if isinstance(self.model, FlowCodec):
            (_, decoded), *_ = iter_model_clips(parsed, self.model, range(1), conceal=False)
        else:
            size = self.model.cfg.image_size
            symbols = decode_clips(parsed, self.model, range(1))[0]
            decoded = self.model.net.render_symbols(
                symbols, self.sampler, clip_noise((3, size, size), self.sampler.seed), stream_point(parsed.header)
            )
        return psnr_db(to_uint8(self.frames).numpy(), to_uint8(decoded).numpy())

    @torch.no_grad()
    def typicality(self) -> float | None:
        """The first clip's content typicality score over the training clips' 99th percentile
        (``None`` for a model stored without the statistics)."""
        stats = self.model.typicality
        if stats is None:
            return None
        content, _ = self.model.net.encoder(self.frames[None])
        return float(stats.score(content)[0]) / stats.train_high

    def _moves(self, header: SequenceHeader) -> bool:
        """Whether the stream's operating point sends motion (a still point draws every frame from
        the content alone: its PSNR says little about fit; sprites-64's reads 15.8 dB on Sprites)."""
        if isinstance(self.model, FlowCodec):
            return True
        point = stream_point(header)
        return self.model.cfg.operating_points[self.model.cfg.top_point if point is None else point][0] > 0

    def misfit(self, stream: bytes) -> tuple[float, str | None]:
        """``(PSNR of the first clip of stream, why the model does not fit this video or None)``."""
        parsed = read_stream(stream)
        psnr = self._psnr(parsed)
        if psnr < MISFIT_PSNR_DB and self._moves(parsed.header):
            return psnr, f"{psnr:.1f} dB on its first clip"
        ratio = self.typicality()
        if ratio is not None and ratio > MISFIT_TYPICALITY:
            return psnr, f"its content is {ratio:.1f}x as far from the training clips as their farthest 1 %"
        return psnr, None
