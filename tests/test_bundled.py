"""The bundled weights: registered sha256, stable ids, and they code a clip."""

import hashlib

import numpy as np
import pytest

from bcdcodec import api, registry
from bcdcodec.evaluation.judge import load_judge
from bcdcodec.flowcodec import FlowCodec


def test_registry_ids_are_unique_and_files_match_their_sha256():
    ids = [e.model_id for e in registry.REGISTRY]
    assert len(ids) == len(set(ids)) and 0 not in ids
    for entry in registry.REGISTRY:
        if entry.kind == registry.FLOW_KIND:  # a codec with no weights
            assert not entry.filename and not entry.sha256
            continue
        assert hashlib.sha256(entry.path.read_bytes()).hexdigest() == entry.sha256
        assert entry.path.stat().st_size <= 20 * 1024 * 1024


@pytest.mark.skipif(not registry.REGISTRY, reason="no bundled model")
def test_default_model_codes_a_procedural_clip():
    from bcdcodec.data.procedural import procedural_split

    model = api.load_model(registry.DEFAULT_MODEL)
    model_id = model.model_id if isinstance(model, FlowCodec) else model.cfg.model_id
    assert model_id == registry.find(registry.DEFAULT_MODEL).model_id
    frames = procedural_split(1, seed=0).videos[0]
    data = api.compress(frames, model, fps=25)
    assert data[:2] == b"BC"
    assert api.decompress(data).frames.shape == frames.shape  # model found from the stream's id


def test_bundled_judge_loads():
    judge = load_judge(registry.verified_judge_path())
    assert judge.cfg.motion_classes == 9


@pytest.mark.skipif(not any(e.prior_filename for e in registry.REGISTRY), reason="no bundled motion prior")
def test_bundled_prior_coded_stream_decodes_to_the_same_symbols():
    from bcdcodec.data.procedural import procedural_split

    entry = next(e for e in registry.REGISTRY if e.prior_filename)
    assert hashlib.sha256(registry.verified_prior_path(entry).read_bytes()).hexdigest() == entry.prior_sha256
    model = api.attach_prior(api.load_model(entry.name), registry.verified_prior_path(entry))
    frames = procedural_split(1, seed=0).videos[0]
    static, prior_coded = api.compress(frames, model), api.compress(frames, model, motion_prior=True)
    assert api.decode_symbols(static, model)[1] == api.decode_symbols(prior_coded, api.load_model(entry.name))[1]


def test_the_top_point_of_sprites_64_decodes_as_sprites_64_fixed():
    from bcdcodec.data.procedural import procedural_split

    frames = procedural_split(1, seed=3).videos[0]
    points, fixed = api.load_model("sprites-64"), api.load_model("sprites-64-fixed")
    ours, theirs = api.compress(frames, points), api.compress(frames, fixed)
    assert [c.motion.tolist() for c in api.decode_symbols(ours, points)[1]] == [
        c.motion.tolist() for c in api.decode_symbols(theirs, fixed)[1]
    ]
    assert np.array_equal(api.decompress(ours).frames, api.decompress(theirs).frames)
