"""A model whose top point keeps a network of its own: assembled from a one-point model and a
multi-point one, its top point codes exactly as the one-point model, its lower points as the
other model's network stored as a 4-bit difference; a still point sends no motion."""

import dataclasses

import numpy as np
import pytest
import torch

from bcdcodec import api, codec, decoding
from bcdcodec.checkpoint import save_checkpoint
from bcdcodec.config import tiny_config
from bcdcodec.models.factory import moving_square_video, seeded_model
from bcdcodec.models.lower_network import core_state
from bcdcodec.train.assemble import with_lower_points

POINTS = ((1, 1.0), (2, 2.0), (4, 4.0))


@pytest.fixture(scope="module")
def parts():
    top = seeded_model(tiny_config(name="tiny-top", content_gain=4.0), seed=1, warmup_clips=2)
    lower = seeded_model(tiny_config(name="tiny-lower", rate_points=POINTS, content_gain=4.0), seed=2, warmup_clips=2)
    return top, lower


@pytest.fixture(scope="module")
def assembled(parts):
    net, kept = with_lower_points(*parts, group=16, still_point=True)
    net.export_tables()
    return api.CodecModel.from_network(net), kept


@pytest.fixture(scope="module")
def frames():
    return moving_square_video(8, 16, 16, seed=3)


def test_points_are_the_still_point_the_lower_points_and_the_top(assembled):
    model, kept = assembled
    assert model.cfg.operating_points == ((0, 1.0), (1, 1.0), (2, 2.0), (4, 4.0))
    assert kept and all(0 <= share <= 1 for share in kept.values())  # zero-initialised layers: 0
    assert 0.9 < min(kept.values())  # 4-bit codes keep most of each difference


def test_the_top_point_codes_exactly_as_the_one_point_model(parts, assembled, frames):
    top, _ = parts
    model, _ = assembled
    alone = api.CodecModel.from_network(top)
    ours = decoding.decode_symbols(api.compress(frames, model), model)[1]
    theirs = decoding.decode_symbols(api.compress(frames, alone), alone)[1]
    assert ours == theirs
    assert np.array_equal(api.decompress(api.compress(frames, model), model).frames, api.decompress(
        api.compress(frames, alone), alone).frames)  # fmt: skip


def test_the_lower_network_is_the_other_model_to_half_a_step(parts):
    top, lower = parts
    net, kept = with_lower_points(top, lower, group=16, still_point=False)
    delta = net.lower_delta
    rebuilt, source, base = core_state(net.network(0)), core_state(lower), core_state(top)
    assert kept and set(kept) < set(source)  # some tensors quantized, the small ones whole
    for name, tensor in source.items():
        if name not in kept:
            assert torch.allclose(rebuilt[name], tensor, atol=1e-6), name
            continue
        steps = getattr(delta.scales, name.replace(".", "__")).float().repeat_interleave(16)
        error = (rebuilt[name] - tensor).flatten().abs()
        assert (error <= steps / 2 + 1e-3 * steps + 1e-6).all(), name  # rounding, float16 scales
        assert error.norm() <= 0.1 * (base[name] - tensor).norm()  # zero-initialised layers: both 0


def test_every_point_round_trips_and_the_still_point_sends_no_motion(assembled, frames):
    model, _ = assembled
    for point, (groups, _) in enumerate(model.cfg.operating_points):
        data = api.compress(frames, model, point=point)
        _, clips = decoding.decode_symbols(data, model)
        assert all(c.motion.shape == (4, groups) for c in clips)
        assert decoding.decompress(data, model).frames.shape == frames.shape
    assert model.tables_at(0).motion.shape[0] == 0


def test_the_assembled_file_loads_to_the_same_weights_and_decodes_its_streams(assembled, frames, tmp_path):
    model, _ = assembled
    path = tmp_path / "assembled.pt"
    save_checkpoint(model.net, path)
    loaded = api.load_model(path)
    assert loaded.digest == codec.load_model(path).digest
    for point in (1, model.cfg.top_point):
        data = api.compress(frames, model, point=point)
        again = api.compress(frames, loaded, point=point)
        assert data[:2] == again[:2] and len(data) == len(again)
        assert np.array_equal(decoding.decompress(again, loaded).frames, decoding.decompress(data, model).frames)


def test_it_is_assembled_not_trained_and_the_parts_must_match(parts, assembled):
    top, lower = parts
    model, _ = assembled
    clips = torch.zeros(2, 4, 3, 16, 16)
    with pytest.raises(ValueError, match="assembled"):
        model.net(clips)
    with pytest.raises(ValueError, match="one operating point"):
        with_lower_points(lower, lower)
    wider = seeded_model(dataclasses.replace(lower.cfg, dit_dim=16), seed=0)
    with pytest.raises(ValueError, match="architecture"):
        with_lower_points(top, wider)


def test_a_motion_prior_learns_every_point_and_codes_the_still_point(assembled, frames):
    from bcdcodec.coding.integer_prior import exp_lut
    from bcdcodec.data.procedural import procedural_split
    from bcdcodec.models.motion_prior import MotionPriorConfig
    from bcdcodec.prior_file import LoadedPrior
    from bcdcodec.train.prior_train import collect_codes, train_prior

    model, _ = assembled
    content, motion = collect_codes(model.net, procedural_split(24, seed=0).videos)
    assert content.shape[:2] == (24, 4) and motion.shape[:2] == (24, 4)
    assert np.array_equal(motion[:, 0], motion[:, 1]) and not np.array_equal(motion[:, 1], motion[:, 3])
    cfg = MotionPriorConfig.for_codec(model.cfg, dim=16, layers=1, mlp_dim=16)
    prior = train_prior(cfg, content, motion, steps=5, batch=8, progress=False)
    with_prior = dataclasses.replace(
        model, prior=LoadedPrior(prior, prior.integer_twin(exp_lut()), b"\x12" * 32, model.digest.hex())
    )
    for point in (0, 3):
        data = api.compress(frames, with_prior, motion_prior=True, point=point)
        assert decoding.decompress(data, with_prior).frames.shape == frames.shape


def test_a_still_point_is_not_called_a_misfit_for_its_psnr(assembled, frames):
    from bcdcodec.fitcheck import FirstClipCheck
    from bcdcodec.settings import SamplerSettings

    model, _ = assembled
    settings = SamplerSettings("euler", model.cfg.default_steps, 0)
    for point, expect_reason in ((0, False), (1, True)):  # a random-init model reads far below 15 dB
        check = FirstClipCheck(model, settings)
        video = codec.as_video(frames, 25)
        source = codec.VideoSource(video.width, video.height, video.fps, iter(video.frames), len(video.frames))
        data = codec.encode_source(source, model, "stretch", settings, False, scene_cut=None, probe=check, point=point)
        psnr, reason = check.misfit(data)
        assert psnr < 15 and (reason is not None) == expect_reason
