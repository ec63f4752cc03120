"""Encoder-side content refinement: a GOP's content fitted to the GOP's frames.

The encoder's content is one network's guess from one clip; the decoder then draws every frame
of the GOP from it through the content image and the motion's warp. Refinement asks the frozen
decoder path directly: starting from the GOP's content symbols, a few Adam steps on the content
(straight-through rounding) lower the error of the warped content image (the *base*) against all
the GOP's frames, and the best rounded content seen is kept. Only the encoder changes: the
stream and the decoder are the same. Models without the content image path cannot be refined.

Measured on the dev talking heads with faces-128 (docs/faces.md): 20 steps raise one-GOP
windows at quality 4 from 20.1 to 21.1 dB for 2 % more bytes.
"""

from __future__ import annotations

import numpy as np
import torch

from .errors import InvalidArgumentError
from .models.bcd import BCDModel

DEFAULT_LR = 0.2  # in content steps (one step = one quantization bin)
RATE_BOOST = 8.0  # measured on the dev talking heads against 1 and 32 (docs/faces.md)


class ContentRefiner:
    """``refiner(content [K, Cc] int symbols, frames [[T_i, 3, S, S] in [-1, 1]], motion
    [[T_i, n] int]) -> refined content [K, Cc] int symbols`` at operating ``point``; ``n`` is the
    number of motion groups the point sends."""

    def __init__(self, net: BCDModel, point: int, steps: int, lr: float = DEFAULT_LR):
        if not net.cfg.content_warp:
            raise InvalidArgumentError(f"{net.cfg.name} has no content image to refine its content against")
        if steps < 1:
            raise InvalidArgumentError("content refinement needs at least one step")
        self.net, self.point, self.steps, self.lr = net, point, steps, lr
        self.quantizer = net.quantizer(point)
        self.scale = net._content_scale(point)

    def _error(self, content: torch.Tensor, frames: torch.Tensor, motion: torch.Tensor) -> torch.Tensor:
        """Mean squared error of the base over every frame of the GOP: ``content [1, K, Cc]`` at
        the point's scale, ``frames [T, 3, S, S]``, ``motion [1, T, N*g]`` (the content image is
        drawn once and warped to every frame)."""
        base, _ = self.net._content_image(content / self.scale, motion, self.net.network(self.point))
        return ((base[0] - frames) ** 2).mean()

    def _bits(self, content: torch.Tensor) -> torch.Tensor:
        """The content's bits under the point's learned prior (differentiable); ``[1, K, Cc]``."""
        prior = self.quantizer.prior
        values = content[0].T.unsqueeze(1)  # [Cc, 1, K], as the prior lays them out
        likelihood, _, _ = prior._likelihood(values)
        return -torch.log2(prior.likelihood_lower_bound(likelihood)).sum()

    def __call__(self, symbols: np.ndarray, frames: list[torch.Tensor], motion: list[np.ndarray]) -> np.ndarray:
        frames = torch.cat(frames)
        motions = self.net.motion_from_symbols(np.concatenate(motion), self.point)
        cfg = self.net.cfg
        # the rate-distortion trade the model was trained with (base MSE per clip against content
        # bits per clip, spread over the GOP's frames), RATE_BOOST times, and divided by the
        # point's content scale: a bin of a coarse point moves the content 1/scale as far, and
        # without it refinement buys bins there at any price (docs/faces.md)
        per_bit = RATE_BOOST * cfg.content_rate_weight * cfg.clip_len / (cfg.base_loss_weight * len(frames))
        per_bit /= self.scale
        start = self.quantizer.from_symbols(torch.from_numpy(symbols).long()[None])
        best, best_error = start, float("inf")
        content = start.clone().requires_grad_(True)
        optimizer = torch.optim.Adam([content], lr=self.lr)
        was_training = self.net.training
        self.net.eval()
        try:
            for step in range(self.steps + 1):
                rounded = content + (torch.round(content) - content).detach()  # straight through
                error = self._error(rounded, frames, motions) + per_bit * self._bits(rounded)
                if error.item() < best_error:
                    best, best_error = rounded.detach().clone(), error.item()
                if step == self.steps:
                    break
                # the gradient of the content alone: the model's own weights keep no .grad
                (content.grad,) = torch.autograd.grad(error, [content])
                optimizer.step()
        finally:
            self.net.train(was_training)
        return self.quantizer.to_symbols(best)[0].numpy().astype(np.int32)
