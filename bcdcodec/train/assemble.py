"""Assemble one model file from two trained models: one for the top operating point, one for the rest.

A model trained with several operating points shares its decoder between them, and its top point
pays for that (docs/rates.md). :func:`with_lower_points` keeps a one-point model whole as the top
point and adds the points below the top of a multi-point model of the same architecture, coded
by that model's network stored as a 4-bit difference (``models.lower_network``).
"""

from __future__ import annotations

import dataclasses

from ..config import ModelConfig
from ..models.bcd import BCDModel
from ..models.lower_network import core_state

# what may differ between the two models: identity and how each was trained or coded
_OWN_FIELDS = {"name", "model_id", "rate_points", "top_point_fraction", "lower_delta_group", "default_steps", "fit"}


def _architecture(cfg: ModelConfig) -> dict:
    return {k: v for k, v in cfg.to_dict().items() if k not in _OWN_FIELDS}


def with_lower_points(
    top: BCDModel, lower: BCDModel, group: int = 64, still_point: bool = False
) -> tuple[BCDModel, dict]:
    """``top``: a one-point model; ``lower``: a model with operating points, the same architecture
    and content gain. Returns the assembled model (tables not yet exported: run the export step)
    and, per quantized tensor of the difference, the share of its energy the 4-bit codes keep
    (one float16 scale per ``group`` values).

    Its points, lowest first: with ``still_point``, one that sends no motion (content at the
    lowest point's gain: a still picture); ``lower``'s points below its top; ``top``'s one point.
    The still point's content prior starts as the lowest point's (refit it with the others)."""
    if top.cfg.top_point or top.cfg.lower_delta_group:
        raise ValueError("the top model must have one operating point")
    if not lower.cfg.top_point or lower.cfg.lower_delta_group:
        raise ValueError("the lower model must have operating points below its top and one network")
    if _architecture(top.cfg) != _architecture(lower.cfg):
        raise ValueError("the two models differ in architecture or content gain")
    points = lower.cfg.operating_points[:-1]
    if still_point:
        points = ((0, points[0][1]), *points)
    cfg = dataclasses.replace(
        top.cfg,
        rate_points=(*points, top.cfg.operating_points[-1]),
        lower_delta_group=group,
        top_point_fraction=0.0,
        model_id=0,
    )
    model = BCDModel(cfg)
    state = dict(top.state_dict())
    lower_state = lower.state_dict()
    # each point below the top takes the lower model's point (the still point copies its lowest)
    sources = [max(0, point - still_point) for point in range(cfg.top_point)]
    for point, source in enumerate(sources):
        prefix = f"point_quantizers.{source}."
        state.update(
            {f"point_quantizers.{point}.{k[len(prefix) :]}": v for k, v in lower_state.items() if k.startswith(prefix)}
        )
    state["point_content_table"] = lower_state["point_content_table"][sources]
    state["lower_motion_table"] = lower_state["motion_table"]
    kept = model.lower_delta.fit_difference(core_state(top), core_state(lower))
    state.update({f"lower_delta.{k}": v for k, v in model.lower_delta.state_dict().items()})
    model.load_state_dict(state, strict=True)
    return model.eval(), kept
