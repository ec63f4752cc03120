"""The motion prior run in int64 fixed point: the entropy model of prior-coded streams.

Every operation is integer (matmuls, floor shifts and divisions, an integer square root, and an
exp lookup table stored in the prior's file), so the coding tables it derives are bit-identical
on every machine, thread count and numpy build. Integer weights are ``round(w * 2**12)`` of the
float32 weights (exact IEEE arithmetic, no reductions).

Activations carry 12 fractional bits. Softmax weights come from ``EXP_LUT[i] = round(2**16 *
exp(-i / 16))``, indexed by the logit gap in 1/16 steps and capped at ``LUT_SIZE - 1``.
"""

from __future__ import annotations

import math

import numpy as np

FRAC = 12
ONE = 1 << FRAC
LUT_STEP_SHIFT = FRAC - 4  # gap >> 8 = gap in 1/16 units
LUT_SIZE = 256
RMS_EPS = 168  # round(1e-5 * ONE**2)


def exp_lut() -> np.ndarray:
    """``[LUT_SIZE]`` int64; built once at export time and then stored with the prior."""
    return np.array([round(65536 * math.exp(-i / 16)) for i in range(LUT_SIZE)], dtype=np.int64)


def _fixed(values) -> np.ndarray:
    return np.round(np.asarray(values, dtype=np.float64) * ONE).astype(np.int64)


def _isqrt(n: np.ndarray) -> np.ndarray:
    r = np.floor(np.sqrt(n.astype(np.float64))).astype(np.int64)
    r -= (r * r > n).astype(np.int64)
    r += ((r + 1) * (r + 1) <= n).astype(np.int64)
    return r


class IntegerPrior:
    """Integer twin of the float motion prior (``models.motion_prior.MotionPrior.integer_twin``
    builds it). ``cfg``: the prior's config (dim, heads, layers, max_frames, content_queries,
    content_symbol_range, motion_groups, codebook_size); ``state``: its weights as float64
    arrays by parameter name; ``content_scale``: content symbols enter as ``(s - R/2) / scale``."""

    def __init__(self, cfg, state: dict[str, np.ndarray], lut: np.ndarray, content_scale: int):
        self.cfg = cfg
        self.content_step = ONE // int(content_scale)
        self.lut = np.asarray(lut, dtype=np.int64)
        if self.lut.shape != (LUT_SIZE,) or self.lut[0] != 65536 or (np.diff(self.lut) > 0).any():
            raise ValueError("the prior's exp table is malformed")
        sd = state
        self.content_w, self.content_b = _fixed(sd["content_in.weight"]), _fixed(sd["content_in.bias"])
        self.content_pos = _fixed(sd["content_pos"])
        self.code_embed = _fixed(sd["code_embed"])
        self.start, self.frame_pos = _fixed(sd["start"]), _fixed(sd["frame_pos"])
        self.point_embed = _fixed(sd["point_embed"]) if "point_embed" in sd else None
        head_dim = cfg.dim // cfg.heads
        q_scale = np.ones(3 * cfg.dim)
        q_scale[: cfg.dim] = 1.0 / math.sqrt(head_dim)  # fold the attention scale into the query
        self.blocks = []
        for i in range(cfg.layers):
            p = f"blocks.{i}."
            self.blocks.append(
                {
                    "norm1": _fixed(sd[p + "norm1.weight"]),
                    "norm2": _fixed(sd[p + "norm2.weight"]),
                    "qkv_w": _fixed(sd[p + "qkv.weight"] * q_scale[:, None]),
                    "qkv_b": _fixed(sd[p + "qkv.bias"] * q_scale),
                    "proj_w": _fixed(sd[p + "proj.weight"]),
                    "proj_b": _fixed(sd[p + "proj.bias"]),
                    "fc1_w": _fixed(sd[p + "fc1.weight"]),
                    "fc1_b": _fixed(sd[p + "fc1.bias"]),
                    "fc2_w": _fixed(sd[p + "fc2.weight"]),
                    "fc2_b": _fixed(sd[p + "fc2.bias"]),
                }
            )
        self.norm = _fixed(sd["norm.weight"])
        self.head_w, self.head_b = _fixed(sd["head.weight"]), _fixed(sd["head.bias"])

    @staticmethod
    def _linear(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
        return ((x @ w.T) >> FRAC) + b

    @staticmethod
    def _rmsnorm(x: np.ndarray, g: np.ndarray) -> np.ndarray:
        rms = _isqrt((x * x).sum(-1) // x.shape[-1] + RMS_EPS)
        return (x * g) // rms[:, None]

    def _attention(self, x: np.ndarray, block: dict) -> np.ndarray:
        n, d = x.shape
        heads, hd = self.cfg.heads, d // self.cfg.heads
        qkv = self._linear(x, block["qkv_w"], block["qkv_b"])
        causal = np.tril(np.ones((n, n), dtype=bool))
        out = np.empty((n, d), dtype=np.int64)
        for h in range(heads):
            q, k, v = (qkv[:, j * d + h * hd : j * d + (h + 1) * hd] for j in range(3))
            scores = (q @ k.T) >> FRAC
            top = np.where(causal, scores, np.iinfo(np.int64).min).max(-1, keepdims=True)
            weights = np.where(causal, self.lut[np.clip((top - scores) >> LUT_STEP_SHIFT, 0, LUT_SIZE - 1)], 0)
            out[:, h * hd : (h + 1) * hd] = (weights @ v) // weights.sum(-1, keepdims=True)
        return self._linear(out, block["proj_w"], block["proj_b"])

    def logits(self, content: np.ndarray, motion: np.ndarray, point: int | None = None) -> np.ndarray:
        """``content [K, Cc]`` int, ``motion [T, n]`` int, the ``n`` groups operating ``point``
        sends (default: the top point; only frames ``< T - 1`` are read) -> ``[T, n, S]`` int64
        logits with 12 fractional bits."""
        cfg = self.cfg
        t, sent = motion.shape
        if t > cfg.max_frames or t < 1:
            raise ValueError(f"the prior codes 1 to {cfg.max_frames} frames, got {t}")
        if (point is not None and not 0 <= point < cfg.points) or sent != cfg.groups_at(point):
            raise ValueError(f"operating point {point} of this prior codes {cfg.groups_at(point)} groups, got {sent}")
        values = (np.asarray(content, dtype=np.int64) - cfg.content_symbol_range // 2) * self.content_step
        ctx = self._linear(values, self.content_w, self.content_b) + self.content_pos
        groups = np.arange(sent)
        codes = self.code_embed[groups[None, :], np.asarray(motion, dtype=np.int64)].sum(1)  # [T, d]
        frames = np.concatenate([self.start[None], codes[:-1]], 0) + self.frame_pos[:t]
        x = np.concatenate([ctx, frames], 0)
        if self.point_embed is not None:
            x = x + self.point_embed[cfg.points - 1 if point is None else point]
        for block in self.blocks:
            x = x + self._attention(self._rmsnorm(x, block["norm1"]), block)
            hidden = np.maximum(self._linear(self._rmsnorm(x, block["norm2"]), block["fc1_w"], block["fc1_b"]), 0)
            x = x + self._linear(hidden, block["fc2_w"], block["fc2_b"])
        out = self._linear(self._rmsnorm(x[cfg.content_queries :], self.norm), self.head_w, self.head_b)
        return out.reshape(t, cfg.motion_groups, cfg.codebook_size)[:, :sent]

    def frequencies(self, logits: np.ndarray, precision: int) -> np.ndarray:
        """Integer logits ``[..., S]`` -> frequency tables ``[..., S]`` int64, each entry >= 1,
        rows summing to ``2**precision``; integer arithmetic only."""
        top = logits.max(-1, keepdims=True)
        weights = self.lut[np.minimum((top - logits) >> LUT_STEP_SHIFT, LUT_SIZE - 1)]
        size = logits.shape[-1]
        total = 1 << precision
        freq = 1 + (weights * (total - size)) // weights.sum(-1, keepdims=True)
        remainder = total - freq.sum(-1)
        np.put_along_axis(
            freq,
            weights.argmax(-1)[..., None],
            np.take_along_axis(freq, weights.argmax(-1)[..., None], -1) + remainder[..., None],
            -1,
        )
        return freq

    def tables(self, content: np.ndarray, motion: np.ndarray, precision: int, point: int | None = None) -> np.ndarray:
        """Coding tables ``[T, n, S]`` for every motion symbol of a clip at operating ``point``
        (frame ``t``'s rows read only frames ``< t``, so a decoder rebuilds them frame by frame)."""
        return self.frequencies(self.logits(content, motion, point), precision)
