"""A stream's header and sizes as plain JSON-able data (needs neither torch nor a model)."""

from __future__ import annotations

from .format import read_stream


def stream_info(data: bytes) -> dict:
    """Header fields, per-clip payload sizes and rates (units in every key) of a verified stream."""
    parsed = read_stream(data)
    h = parsed.header
    seconds = h.frame_count / float(h.fps)
    return {
        "version": f"{h.version[0]}.{h.version[1]}",
        "model_id": h.model_id,
        "weights_hash_prefix": h.weights_hash.hex(),
        "source_width_px": h.source_width,
        "source_height_px": h.source_height,
        "fps": str(h.fps),
        "frame_count": h.frame_count,
        "clip_len_frames": h.clip_len,
        "clip_count": h.clip_count,
        "model_size_px": h.model_size,
        "fit": h.fit,
        "motion_coding": "prior" if h.motion_prior_hash else "static",
        "motion_prior_hash_prefix": h.motion_prior_hash.hex() if h.motion_prior_hash else None,
        "operating_point_bits_per_frame": h.operating_point,
        "sampler": {"kind": h.sampler.kind, "steps": h.sampler.steps, "seed": h.sampler.seed},
        "file_bytes": len(data),
        "header_bytes": parsed.header_size,
        "framing_bytes": parsed.packet_overhead,
        "clip_payload_bytes": [len(p) for p in parsed.packets],
        "bits_per_clip": round(len(data) * 8 / h.clip_count, 3),
        "bitrate_kbps": round(len(data) * 8 / seconds / 1000, 4),
        "bits_per_pixel": round(len(data) * 8 / (h.frame_count * h.source_width * h.source_height), 6),
    }
