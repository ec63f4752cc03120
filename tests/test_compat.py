"""Checkpoints and streams of bcdcodec 0.1 keep working: the config migration, the conformance
fixtures' encoder, and the bundled sprites-64 producing what it produced before the 0.2 refactor."""

import json

import numpy as np
import pytest

from bcdcodec import api
from bcdcodec.config import ModelConfig, migrate, tiny_config
from bcdcodec.data.procedural import procedural_split
from bcdcodec.errors import ModelLoadError
from bcdcodec.models.factory import moving_square_video

from .conftest import CONFORMANCE, REPO
from .make_conformance import CASES, PRIOR_CASE

REFERENCE = REPO / "tests" / "data" / "sprites64_reference"


def test_retired_options_migrate_or_are_refused():
    old = {
        **tiny_config().to_dict(),
        "vq_gumbel": True,
        "moving_pixel_weight": 3.0,
        "adaln_gate_init": 0.0,
        "grid_positions": False,
        "codebook_init_std": 1.0,
        "vq_confidence_weight": 0.0,
        "sigma_data": 0.5,
        "sigma_min": 0.002,
        "content_norm": False,
        "direct_conditioning": True,
    }
    values, legacy = migrate(old)
    assert ModelConfig(**values) == tiny_config()
    assert legacy.identity_content_norm and not legacy.zero_direct_conditioning
    for name, value in (("vq_confidence_weight", 0.1), ("sigma_data", 1.0)):
        with pytest.raises(ModelLoadError, match=name):
            ModelConfig.from_dict({**tiny_config().to_dict(), name: value})


def test_the_v01_conformance_fixture_still_encodes_its_streams():
    model = api.attach_prior(api.load_model(CONFORMANCE / "conformance-tiny.pt"), CONFORMANCE / "conformance-prior.pt")
    for index, (name, frames, height, width, fps, fit, sampler) in enumerate([*CASES, PRIOR_CASE]):
        video = moving_square_video(frames, height, width, seed=index)
        data = api.compress(video, model, fps=fps, fit=fit, sampler=sampler, motion_prior=name.startswith("prior"))
        assert data == (CONFORMANCE / f"{name}.bcd").read_bytes(), name


@pytest.mark.slow
def test_bundled_sprites_model_codes_and_decodes_as_before():
    reference = json.loads(REFERENCE.with_suffix(".json").read_text())
    frames = np.load(REFERENCE.with_suffix(".npz"))["frames"]
    model = api.with_bundled_prior(api.load_model("sprites-64"))
    for i, video in enumerate(procedural_split(3, seed=5).videos):
        data = api.compress(video, model, fps=25)
        assert data.hex() == reference["streams"][i]
        assert api.compress(video, model, fps=25, motion_prior=True).hex() == reference["prior_streams"][i]
        decoded = api.decompress(data, model).frames.astype(int)
        assert np.abs(decoded - frames[i]).max() <= 1
