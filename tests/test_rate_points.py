"""Operating points of one model: each round-trips, rate rises with the point, the stream records
it, training draws them, and rate control lands on a target or says what the model reaches."""

import dataclasses

import numpy as np
import pytest
import torch

from bcdcodec import api, codec, decoding
from bcdcodec.bitstream import read_stream
from bcdcodec.config import tiny_config
from bcdcodec.errors import InvalidArgumentError, ModelMismatchError
from bcdcodec.models.bcd import BCDModel
from bcdcodec.models.factory import moving_square_video, seeded_model
from bcdcodec.ratecontrol import encode_to_rate, kbps, quality_point
from bcdcodec.video import Video, VideoSource

POINTS = ((1, 0.5), (2, 1.0), (3, 2.0), (4, 4.0))


@pytest.fixture(scope="module")
def scalable():
    cfg = tiny_config(name="tiny-scalable", image_size=48, patch_size=12, rate_points=POINTS, content_gain=4.0)
    return api.CodecModel.from_network(seeded_model(cfg, seed=4, warmup_clips=2))


@pytest.fixture(scope="module")
def frames():
    return moving_square_video(24, 40, 48, seed=6)


def _source(frames, fps=25):
    video = Video(frames, fps)
    return VideoSource(video.width, video.height, video.fps, iter(video.frames), len(video.frames))


def test_every_point_round_trips_and_rate_rises_with_it(scalable, frames):
    sizes = []
    for point in range(len(POINTS)):
        data = codec.encode_source(_source(frames), scalable, "stretch", None, False, scene_cut=None, point=point)
        header, clips = decoding.decode_symbols(data, scalable)
        assert codec.stream_point(header) == (None if point == len(POINTS) - 1 else point)
        from bcdcodec.packing import representative
        from bcdcodec.video.fit import fit_frames

        own = [
            scalable.net.encode_symbols(fit_frames(torch.from_numpy(frames[i : i + 4]), 48, "stretch"), point).content
            for i in range(0, len(frames), 4)
        ]
        expected = own[representative(own, [4] * len(own))]  # one GOP: the content it codes
        assert all(np.array_equal(clip.content, expected) for clip in clips)
        assert clips[0].motion.shape == (4, POINTS[point][0])  # only the point's groups are sent
        decoded = decoding.decompress(data, scalable).frames
        assert decoded.shape == frames.shape
        sizes.append(len(data))
    assert sizes == sorted(sizes) and len(set(sizes)) == len(sizes), sizes


def test_a_stream_names_its_point_and_a_one_point_model_refuses_it(scalable, frames, tiny_model):
    data = codec.encode_source(_source(frames), scalable, "stretch", None, False, point=1)
    assert read_stream(data).header.operating_point == 1
    lone = dataclasses.replace(scalable, net=BCDModel(dataclasses.replace(scalable.cfg, rate_points=())))
    with pytest.raises(ModelMismatchError, match="operating point 1"):
        codec.check_model(read_stream(data).header, lone)
    with pytest.raises(InvalidArgumentError, match=r"qualities 1\.\.1"):
        quality_point(tiny_model, 2)
    assert quality_point(scalable, 4) == 3


def test_training_draws_points_and_reaches_every_prior(scalable):
    net = BCDModel(scalable.cfg)
    net.train()
    clips = torch.rand(32, 4, 3, 48, 48, generator=torch.Generator().manual_seed(1)) * 2 - 1
    out = net(clips, generator=torch.Generator().manual_seed(0))
    out.loss.backward()
    assert torch.isfinite(out.loss)
    for quantizer in net.point_quantizers:  # each lower point's prior took part
        grads = [p.grad for p in quantizer.parameters() if p.grad is not None]
        assert grads and any(g.abs().sum() > 0 for g in grads)


def test_rate_control_is_a_ceiling(scalable, frames):
    reach = []
    for point in range(len(POINTS)):
        data = codec.encode_source(_source(frames), scalable, "stretch", None, False, point=point, gop_seconds=8.0)
        reach.append(kbps(len(data), len(frames), 25))
    for target in reach:  # every point's own rate is a target it meets
        choice = encode_to_rate(_source(frames), scalable, target, fit="stretch")
        assert 0.9 * target <= choice.kbps <= target  # a ceiling
        assert choice.kbps == pytest.approx(kbps(len(choice.data), len(frames), 25))
        assert decoding.decompress(choice.data, scalable).frames.shape == frames.shape
    lowest = encode_to_rate(_source(frames), scalable, reach[0] / 10, fit="stretch")
    assert lowest.kbps > reach[0] / 10 and lowest.kbps <= min(reach)  # none below: the lowest file


def test_rate_control_prefers_the_shortest_gop_then_the_highest_point(scalable, frames):
    from bcdcodec.codec import Variant
    from bcdcodec.ratecontrol import GOP_CANDIDATES

    variants = [Variant(p, g) for p in range(len(POINTS)) for g in GOP_CANDIDATES]
    streams = codec.encode_variants(_source(frames), scalable, "stretch", None, False, variants, False, None, None)
    rates = {v: kbps(len(d), len(frames), 25) for v, d in zip(variants, streams)}
    shortest = min(GOP_CANDIDATES)
    target = rates[Variant(0, shortest)]
    choice = encode_to_rate(_source(frames), scalable, target, fit="stretch")
    assert choice.variant.gop_seconds == shortest
    higher = [p for p in range(len(POINTS)) if abs(rates[Variant(p, shortest)] - target) <= 0.1 * target]
    assert choice.variant.point == max(higher)
    # a longer GOP at a higher point lands on the target too, and is passed over
    assert any(abs(r - target) <= 0.1 * target and v.point > choice.variant.point for v, r in rates.items())


def test_a_one_point_model_is_fine_tuned_into_points(tmp_path, tiny_checkpoint):
    """init_from a one-point checkpoint: its weights carry over; only the new points' priors start
    fresh. An architecture mismatch is still refused."""
    from bcdcodec.checkpoint import load_checkpoint
    from bcdcodec.train import state

    source, _ = load_checkpoint(tiny_checkpoint)
    cfg = dataclasses.replace(source.cfg, rate_points=((1, 1.0), (source.cfg.motion_groups, 2.0)))
    model, ema = BCDModel(cfg), BCDModel(cfg)
    state.init_weights(model, ema, tiny_checkpoint)
    assert torch.equal(model.denoiser.patch_out.weight, source.denoiser.patch_out.weight)
    other = BCDModel(dataclasses.replace(cfg, dit_dim=64))
    with pytest.raises(InvalidArgumentError, match="does not match"):
        state.init_weights(other, BCDModel(other.cfg), tiny_checkpoint)


def test_a_point_aware_prior_codes_every_point(scalable, frames, tmp_path):
    """The motion prior learns one embedding per operating point and reads only the groups a
    point sends: its integer twin matches the float model at every point, and prior-coded
    streams round-trip at every point and under rate control."""
    from bcdcodec.coding.integer_prior import exp_lut
    from bcdcodec.models.motion_prior import MotionPrior, MotionPriorConfig
    from bcdcodec.prior_file import save_prior

    cfg = MotionPriorConfig.for_codec(scalable.cfg, dim=32, layers=1, mlp_dim=32)
    assert cfg.point_groups == tuple(n for n, _ in POINTS)
    torch.manual_seed(0)
    prior = MotionPrior(cfg).eval()
    with torch.no_grad():
        for p in prior.parameters():
            p.add_(torch.randn_like(p) * 0.3)
    twin = prior.integer_twin(exp_lut())
    rng = np.random.default_rng(0)
    content, motion = rng.integers(0, 32, (2, 4)), rng.integers(0, 8, (4, 4))
    for point, (groups, _) in enumerate(POINTS):
        full = prior(torch.from_numpy(content)[None], torch.from_numpy(motion)[None], torch.tensor([point]))
        integer = twin.logits(content, motion[:, :groups], point)
        assert integer.shape == (4, groups, 8)
        reference = full[0, :, :groups].detach().numpy()
        assert np.abs(integer / 4096 - reference).max() < 0.1 * max(1.0, np.abs(reference).max())
    path = tmp_path / "prior.pt"
    save_prior(prior, path, scalable.net)
    model = api.attach_prior(scalable, path)
    for point in range(len(POINTS)):
        data = codec.encode_source(_source(frames), model, "stretch", None, False, motion_prior=True, point=point)
        _, clips = decoding.decode_symbols(data, model)
        static = codec.encode_source(_source(frames), model, "stretch", None, False, point=point)
        assert [c.motion.tolist() for c in clips] == [
            c.motion.tolist() for c in decoding.decode_symbols(static, model)[1]
        ]


def test_bench_measures_every_operating_point(scalable, frames):
    from bcdcodec.bench.runner import run_bcdcodec
    from bcdcodec.bench.suites import Sequence, Suite

    suite = Suite("s", "", [Sequence("a", frames[:8], 25)])
    rows = [run_bcdcodec(suite, scalable, progress=False, operating_point=p).summary() for p in range(len(POINTS))]
    assert [r["setting"].split()[1] for r in rows] == ["quality=1/4", "quality=2/4", "quality=3/4", "quality=4/4"]
    sizes = [r["file_bytes_per_sequence_mean"] for r in rows]
    assert sizes[0] < sizes[-1]


def test_top_point_fraction_sends_that_share_of_clips_to_the_top(scalable):
    cfg = dataclasses.replace(scalable.cfg, top_point_fraction=1.0)
    net = BCDModel(cfg).train()
    seen = []
    original = net._at_point
    net._at_point = lambda content, points: (seen.append(points.clone()), original(content, points))[1]
    net(torch.rand(8, 4, 3, 48, 48) * 2 - 1, generator=torch.Generator().manual_seed(0))
    assert torch.cat(seen).eq(cfg.top_point).all()
    with pytest.raises(ValueError, match="top_point_fraction"):
        dataclasses.replace(cfg, top_point_fraction=1.5)


def test_refitting_the_content_priors_lowers_the_rate_and_keeps_the_pictures(scalable, frames):
    import copy

    from bcdcodec.train.refit import collect_content, refit_content_priors

    net = copy.deepcopy(scalable.net)
    videos = np.stack([moving_square_video(4, 48, 48, seed=s) for s in range(32)])
    report = refit_content_priors(net, collect_content(net, videos), steps=60, lr=5e-2)
    assert report[0]["bits_per_clip_after"] < report[0]["bits_per_clip_before"]
    refit = api.CodecModel.from_network(net)
    before = codec.compress(frames, scalable, fps=25, point=0)
    after = codec.compress(frames, refit, fps=25, point=0)
    assert np.array_equal(decoding.decompress(before, scalable).frames, decoding.decompress(after, refit).frames)
