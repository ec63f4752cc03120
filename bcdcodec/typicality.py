"""How typical a clip's content is of the clips a model was trained on.

Each clip is summarised by the mean and spread of every content channel over the content's
``K`` positions (``2 * Cc`` values: what kinds of texture and colour it holds, wherever they are;
the full ``K * Cc`` latent told new people from cartoons no better than chance, see
docs/faces.md). A probabilistic PCA of those summaries is fitted on the training clips by
``bcdcodec refit-priors``, which stores it in the checkpoint. A clip's score is its squared
Mahalanobis distance per value under that Gaussian. Content unlike the training data (a face
model handed a cartoon) scores well above the training clips' own range: the encoder warns
(``fitcheck``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import torch

from .errors import ModelLoadError

EXTRA_KEY = "content_typicality"  # where a checkpoint's ``extra`` keeps it


@dataclass(frozen=True)
class ContentTypicality:
    mean: torch.Tensor  # [D] float32 (D = 2 Cc)
    basis: torch.Tensor  # [D, k] float32, orthonormal columns: the main directions of the content
    variances: torch.Tensor  # [k] float32, the content's variance along each of them
    noise: float  # the variance left in every other direction (per value)
    train_high: float  # the 99th percentile of the training clips' scores

    @staticmethod
    def summary(content: torch.Tensor) -> torch.Tensor:
        """``content [B, K, Cc]`` -> ``[B, 2 Cc]``: each channel's mean and standard deviation over
        the K positions."""
        return torch.cat([content.mean(1), content.std(1)], dim=1)

    @classmethod
    def fit(cls, content: torch.Tensor, components: int = 8) -> ContentTypicality:
        """``content [S, K, Cc]``: the encoder's content of S training clips (S > components)."""
        x = cls.summary(content.float()).double()
        samples, dims = x.shape
        k = min(components, samples - 1, dims - 1)
        mean = x.mean(0)
        _, s, vh = torch.linalg.svd(x - mean, full_matrices=False)
        eig = s**2 / (samples - 1)  # [min(S, D)]
        noise = float(eig[k:].sum() / (dims - k))
        fitted = cls(mean.float(), vh[:k].T.contiguous().float(), eig[:k].float(), max(noise, 1e-8), 0.0)
        return dataclasses.replace(fitted, train_high=float(torch.quantile(fitted.score(content), 0.99)))

    def score(self, content: torch.Tensor) -> torch.Tensor:
        """``content [B, K, Cc]`` -> ``[B]``: squared Mahalanobis distance per value (float32)."""
        x = self.summary(content.float()) - self.mean
        along = x @ self.basis  # [B, k]
        rest = (x * x).sum(1) - (along * along).sum(1)
        return ((along * along / self.variances).sum(1) + rest.clamp_min(0) / self.noise) / x.shape[1]

    def to_extra(self) -> dict:
        return {
            "mean": self.mean,
            "basis": self.basis,
            "variances": self.variances,
            "noise": self.noise,
            "train_high": self.train_high,
        }

    @classmethod
    def from_extra(cls, extra: dict) -> ContentTypicality | None:
        """The statistics a checkpoint's ``extra`` holds, or ``None`` (models fitted before them)."""
        values = extra.get(EXTRA_KEY)
        if not values:
            return None
        try:
            stats = cls(
                values["mean"].float(),
                values["basis"].float(),
                values["variances"].float(),
                float(values["noise"]),
                float(values["train_high"]),
            )
            ok = stats.basis.shape == (*stats.mean.shape, *stats.variances.shape) and stats.train_high > 0
        except (KeyError, TypeError, AttributeError, ValueError):
            ok = False
        if not ok:
            raise ModelLoadError("the checkpoint's content typicality statistics are malformed")
        return stats
