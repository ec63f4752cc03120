"""A stream's header, GOPs and sizes as plain JSON-able data (needs neither torch nor a model)."""

from __future__ import annotations

from .header import ParsedStream
from .parse import read_stream


def stream_info(data: bytes) -> dict:
    """Header fields, GOPs, sizes, rates and overhead (units in every key) of a verified stream.
    Fields a 2.x stream leaves to the model read ``"model"``."""
    parsed = read_stream(data)
    h = parsed.header
    payload = sum(len(u.payload) for u in parsed.units)
    info = {
        "version": f"{h.version[0]}.{h.version[1]}",
        "model_id": h.model_id,
        "weights_hash_prefix": h.weights_hash.hex(),
        "source_width_px": h.source_width,
        "source_height_px": h.source_height,
        "fps": str(h.fps),
        "frame_count": h.frame_count,
        "clip_len_frames": h.clip_len,
        "clip_count": h.clip_count,
        "fit": h.fit,
        "motion_coding": "prior" if h.motion_prior_hash else "static",
        "motion_prior_hash_prefix": h.motion_prior_hash.hex() if h.motion_prior_hash else None,
        "file_bytes": len(data),
        "header_bytes": parsed.header_size,
        "framing_bytes": parsed.framing_bytes,
        "bits_per_clip": round(len(data) * 8 / h.clip_count, 3),
        "bitrate_kbps": round(len(data) * 8 / h.seconds / 1000, 4),
        "bits_per_pixel": round(len(data) * 8 / (h.frame_count * h.source_width * h.source_height), 6),
    }
    if h.version[0] == 1:
        info.update(
            model_size_px=h.model_size,
            operating_point_bits_per_frame=h.operating_point,
            sampler={"kind": h.sampler_kind, "steps": h.sampler_steps, "seed": h.seed},
            clip_payload_bytes=[len(u.payload) for u in parsed.units],
        )
        return info
    info.update(
        model_size_px="model",
        operating_point=h.operating_point if h.operating_point is not None else "model",
        sampler={"kind": h.sampler_kind, "steps": h.sampler_steps or "model", "seed": h.seed},
        gops=_gops(parsed),
        payload_bytes=payload,
        overhead_bytes=len(data) - payload,
        overhead_percent=round(100 * (len(data) - payload) / len(data), 2),
    )
    return info


def _gops(parsed: ParsedStream) -> list[dict]:
    h = parsed.header
    out = []
    for unit in parsed.units:
        clips = range(unit.first_clip, unit.first_clip + unit.clip_count)
        out.append(
            {
                "start_s": round(unit.first_clip * h.clip_len / float(h.fps), 4),
                "frames": sum(h.frames_in_clip(c) for c in clips),
                "clips": unit.clip_count,
                "bytes": unit.size,
                "payload_bytes": len(unit.payload),
            }
        )
    return out
