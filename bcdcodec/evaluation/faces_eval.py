"""``bcdcodec eval faces``: a model on talking heads of people it has never seen.

Windows: consecutive, non-overlapping ``WINDOW``-frame windows of every dev source (at most
``PER_SOURCE`` each), centre-cropped to the model's square size (see ``data.faces``). Each window
is coded as its own file, one GOP, at ``FPS`` (the rate of the issue's held-out protocol), and
measured whole: ``kbps`` counts every byte of the file.

With the optional face tools (:mod:`.face_metrics`) it adds identity distance, landmark error and
the mouth's and head's correlation over time; cross-person motion transfer (the first window of
person A as content, of person B as motion, for every ordered pair); and, when the model has a
motion prior, generation of ``WINDOW`` frames from each person's content.
"""

from __future__ import annotations

import itertools
import sys
import time
from fractions import Fraction

import numpy as np
from tqdm import tqdm

from .. import codec, decoding
from ..data.faces import FaceClips
from ..errors import InvalidArgumentError, RateOutOfRangeError
from ..flowcodec import FlowCodec
from ..generate import generate
from ..ratecontrol import encode_to_rate
from ..transfer import transfer
from .face_metrics import (
    FaceAnalyzer,
    correlation,
    head_correlation,
    identity_distance,
    landmark_error_px,
    paired_identity_distance,
)
from .metrics import ms_ssim, psnr_db, ssim

WINDOW = 48
PER_SOURCE = 4
FPS = Fraction(25)


def _mean(rows: list[dict], key: str) -> float:
    values = [r[key] for r in rows if key in r and np.isfinite(r[key])]
    return float(np.mean(values)) if values else float("nan")


def evaluate_faces(
    model: codec.CodecModel | FlowCodec,
    clips: FaceClips,
    *,
    analyzer: FaceAnalyzer | None = None,
    steps: int | None = None,
    per_source: int = PER_SOURCE,
    point: int | None = None,
    motion_prior: bool = False,
    kbps: float | None = None,
    refine_steps: int = 0,
    progress: bool = False,
) -> dict:
    """Rate, quality and (with ``analyzer``) face measurements of ``model`` on ``clips``, each
    window coded as one file of one GOP at operating ``point`` (default: the model's own), its motion
    under the model's prior with ``motion_prior``. With ``kbps`` each window goes through rate
    control instead (the operating point and GOP length that land the file within 10 % of it, as
    ``encode --kbps``); windows it cannot meet are listed under ``rate_missed``. ``refine_steps``:
    each GOP's content fitted to its frames (``encode --refine``; not with ``kbps``)."""
    if kbps is not None and (point is not None or refine_steps):
        raise InvalidArgumentError(
            "a target bitrate chooses the operating point itself and codes without refinement: give it alone"
        )
    windows = clips.windows(WINDOW, per_source)
    if not windows:
        raise ValueError(f"no dev source has {WINDOW} frames")
    rows, streams, tracks, missed = [], {}, {}, []
    for name, person, frames in tqdm(windows, desc="code", disable=not progress, file=sys.stderr):
        chosen = {}
        if kbps is None:
            data = codec.compress(
                frames,
                model,
                fps=FPS,
                gop_seconds=len(frames) / FPS,
                scene_cut=None,
                point=point,
                motion_prior=motion_prior,
                refine_steps=refine_steps,
            )
        else:
            try:
                choice = encode_to_rate(
                    codec.frames_source(frames, FPS), model, kbps, fit="stretch", motion_prior=motion_prior
                )
            except RateOutOfRangeError as exc:
                missed.append({"window": name, "reason": str(exc)})
                continue
            data = choice.data
            chosen = {"quality": choice.variant.point + 1, "gop_seconds": choice.variant.gop_seconds}
        start = time.perf_counter()
        decoded = decoding.decompress(data, model, steps=steps).frames
        seconds = time.perf_counter() - start
        row = {
            "window": name,
            "bytes": len(data),
            "kbps": 8 * len(data) * float(FPS) / len(frames) / 1000,
            "psnr_db": psnr_db(frames, decoded),
            "ssim": ssim(frames, decoded),
            "ms_ssim": ms_ssim(frames, decoded),
            "decode_fps": len(frames) / seconds,
            **chosen,
        }
        if analyzer is not None:
            ref, dec = analyzer.track(frames), analyzer.track(decoded)
            tracks.setdefault(person, ref)
            row.update(
                face_found=float(dec.found.mean()),
                identity_distance=paired_identity_distance(ref, dec),
                landmark_error_px=landmark_error_px(ref, dec),
                mouth_correlation=correlation(ref.mouth, dec.mouth),
                head_correlation=head_correlation(dec, ref),
            )
        streams.setdefault(person, data)
        rows.append(row)
    if not rows:
        raise RateOutOfRangeError(f"{model.name} cannot code any dev window at {kbps:g} kbit/s within 10 %")
    keys = [k for k in rows[0] if k not in ("window", "quality", "gop_seconds")]
    results = {
        "model": model.name,
        "quality": (model.default_point if point is None else point) + 1 if kbps is None else None,
        "target_kbps": kbps,
        "refine_steps": refine_steps,
        "rate_missed": missed,
        "motion_prior": motion_prior,
        "windows": len(rows),
        "people": len(streams),
        "frames_per_window": WINDOW,
        "fps": str(FPS),
        "summary": {k: _mean(rows, k) for k in keys},
        "per_window": rows,
    }
    if analyzer is not None:
        results["transfer"] = _transfers(model, analyzer, streams, tracks, steps, progress)
        if isinstance(model, codec.CodecModel) and model.prior is not None:
            results["generation"] = _generation(model, analyzer, streams, tracks, steps)
    return _json_ready(results)


def _json_ready(value):
    """NaN (nothing measured: no face found) -> None, so that the results are valid JSON."""
    if isinstance(value, dict):
        return {k: _json_ready(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_ready(v) for v in value]
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


def _transfers(model, analyzer, streams: dict, tracks: dict, steps, progress) -> dict:
    """Content of person A, motion of person B, for every ordered pair A != B."""
    rows = []
    for a, b in tqdm(list(itertools.permutations(streams, 2)), desc="transfer", disable=not progress, file=sys.stderr):
        out = analyzer.track(transfer(streams[a], streams[b], model, steps=steps).frames)
        rows.append(
            {
                "content_person": a,
                "motion_person": b,
                "face_found": float(out.found.mean()),
                "identity_distance_to_content": identity_distance(out, tracks[a].mean_descriptor),
                "identity_distance_to_motion": identity_distance(out, tracks[b].mean_descriptor),
                "mouth_correlation_with_motion": correlation(out.mouth, tracks[b].mouth),
                "head_correlation_with_motion": head_correlation(out, tracks[b]),
            }
        )
    keys = [k for k in rows[0] if not k.endswith("_person")] if rows else []
    return {"pairs": len(rows), "summary": {k: _mean(rows, k) for k in keys}, "per_pair": rows}


def _generation(model, analyzer, streams: dict, tracks: dict, steps) -> dict:
    """``WINDOW`` frames drawn by the motion prior from each person's content."""
    rows = []
    for person, data in streams.items():
        out = analyzer.track(generate(data, model, WINDOW, steps=steps, seed=person).frames)
        rows.append(
            {
                "person": person,
                "face_found": float(out.found.mean()),
                "identity_distance": identity_distance(out, tracks[person].mean_descriptor),
                # the mouth moves as much as the person's own: 1 = as much, 0 = frozen
                "mouth_motion_ratio": float(np.nanstd(out.mouth) / max(np.nanstd(tracks[person].mouth), 1e-9)),
            }
        )
    keys = [k for k in rows[0] if k != "person"]
    return {"clips": len(rows), "summary": {k: _mean(rows, k) for k in keys}, "per_clip": rows}
