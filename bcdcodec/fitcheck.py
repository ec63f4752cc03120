"""Does the model fit the video? The quality its file decodes to, measured on the first clip
while encoding (decoding in the loop, like x265's ``--psnr``), so that a sprite model handed a
face, or a face model handed a cartoon, does not pass silently."""

from __future__ import annotations

import torch

from .bitstream import read_stream
from .codec import CodecModel
from .decoding import decode_clips
from .diffusion import clip_noise
from .evaluation.metrics import psnr_db
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
    """A ``probe`` for :func:`codec.encode_source`: keeps the first clip as the model sees it and
    its symbols; :meth:`psnr` decodes them with the stream's sampler and compares, at the model's
    resolution (the same frames and symbols the stream holds: no second read of the source)."""

    def __init__(self, model: CodecModel, sampler: SamplerSettings):
        self.model, self.sampler = model, sampler
        self.frames: torch.Tensor | None = None
        self.symbols: dict[int, ClipSymbols] = {}  # by operating point

    def __call__(self, frames: torch.Tensor, symbols: dict[int, ClipSymbols]) -> None:
        self.frames, self.symbols = frames, symbols

    def psnr(self, point: int | None = None, stream: bytes | None = None) -> float:
        """PSNR (dB) of the first clip, ``[T, 3, S, S]`` decoded at operating ``point`` (default:
        the top one) against the encoder's input. With the finished ``stream`` the clip is decoded
        from it, with the content its GOP codes (the GOP's most representative clip's, which is
        only chosen when the GOP closes); without it, with the clip's own content."""
        size = self.model.cfg.image_size
        point = self.model.cfg.top_point if point is None else point
        symbols = self.symbols[point] if stream is None else decode_clips(read_stream(stream), self.model, range(1))[0]
        decoded = self.model.net.render_symbols(
            symbols, self.sampler, clip_noise((3, size, size), self.sampler.seed), point
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

    def misfit(self, point: int | None = None, stream: bytes | None = None) -> tuple[float, str | None]:
        """``(PSNR of the first clip, why the model does not fit this video or None)``; ``point``
        and ``stream`` as in :meth:`psnr`."""
        psnr = self.psnr(point, stream)
        if psnr < MISFIT_PSNR_DB:
            return psnr, f"{psnr:.1f} dB on its first clip"
        ratio = self.typicality()
        if ratio is not None and ratio > MISFIT_TYPICALITY:
            return psnr, f"its content is {ratio:.1f}x as far from the training clips as their farthest 1 %"
        return psnr, None
