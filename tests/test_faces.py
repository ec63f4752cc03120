"""Talking-head data: sources found (videos and JPEG folders), centre-cropped, cached, sampled
with far-apart partners, augmented alike; dev kept apart."""

import av
import numpy as np
import pytest
import torch

from bcdcodec.data.faces import FaceClips, augment, find_sources
from bcdcodec.errors import BcdError
from bcdcodec.models.factory import moving_square_video
from bcdcodec.train.sources import FaceSource
from bcdcodec.video import Video, write_video


@pytest.fixture
def face_root(tmp_path, monkeypatch):
    train = tmp_path / "talking_heads" / "train"
    (train / "folder").mkdir(parents=True)
    write_video(Video(moving_square_video(120, 40, 64, seed=1), 25), train / "wide.mp4")
    for i, frame in enumerate(moving_square_video(30, 32, 32, seed=2)):
        _write_jpeg(frame, train / "folder" / f"{i:06d}.jpg")
    dev = tmp_path / "talking_heads" / "dev"
    dev.mkdir(parents=True)
    write_video(Video(moving_square_video(20, 32, 32, seed=3), 25), dev / "d.mp4")
    monkeypatch.setenv("BCDCODEC_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("BCDCODEC_DATA", str(tmp_path))
    return tmp_path


def _write_jpeg(rgb, path):
    with av.open(str(path), "w", format="image2") as container:
        stream = container.add_stream("mjpeg", rate=25)
        stream.width, stream.height, stream.pix_fmt = rgb.shape[1], rgb.shape[0], "yuvj420p"
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24").reformat(format="yuvj420p")
        container.mux(stream.encode(frame))
        container.mux(stream.encode(None))


def test_sources_are_found_cropped_and_cached(face_root):
    assert [p.name for p in find_sources(face_root / "talking_heads" / "train")] == ["folder", "wide.mp4"]
    clips = FaceClips.load("train", 16)
    assert clips.names == ["folder", "wide.mp4"]
    assert [v.shape for v in clips.videos] == [(30, 16, 16, 3), (120, 16, 16, 3)]
    assert len(list((face_root / "cache" / "talking_heads").glob("*.npz"))) == 2
    again = FaceClips.load("train", 16)  # from the cache
    assert all(np.array_equal(a, b) for a, b in zip(clips.videos, again.videos))
    with pytest.raises(BcdError):
        FaceClips.load("test", 16)


def test_partners_come_from_the_same_video_far_apart(face_root):
    clips = FaceClips.load("train", 16)
    windows, partners = clips.sample(16, 8, np.random.default_rng(0), partner_gap=50)
    assert windows.shape == partners.shape == (16, 8, 16, 16, 3)
    for window, partner in zip(windows, partners):
        video = next(v for v in clips.videos if any(np.array_equal(window, v[s : s + 8]) for s in range(len(v) - 7)))
        starts = [s for s in range(len(video) - 7) if np.array_equal(video[s : s + 8], window)]
        others = [s for s in range(len(video) - 7) if np.array_equal(video[s : s + 8], partner)]
        if len(video) >= 60:
            assert min(abs(a - b) for a in starts for b in others) >= 50


def test_augmentation_treats_clip_and_partner_alike():
    clips = torch.rand(4, 3, 3, 16, 16, generator=torch.Generator().manual_seed(0)) * 2 - 1
    out, partners = augment(clips, clips.clone(), np.random.default_rng(0))
    assert torch.equal(out, partners) and out.shape == clips.shape and not torch.equal(out, clips)
    assert out.min() >= -1 and out.max() <= 1


def test_face_source_serves_training_and_dev_windows(face_root):
    source = FaceSource(FaceClips.load("train", 16), FaceClips.load("dev", 16), clip_len=4)
    clips, partners = source.train_pairs(3, np.random.default_rng(1))
    assert clips.shape == partners.shape == (3, 4, 3, 16, 16)
    assert source.validation_clips(2).shape == (2, 4, 3, 16, 16)


@pytest.mark.slow
def test_a_tiny_face_model_trains_codes_and_decodes(face_root, tmp_path):
    import dataclasses

    from bcdcodec import api
    from bcdcodec.config import tiny_config
    from bcdcodec.train.loop import train
    from bcdcodec.train.presets import preset

    model_cfg = tiny_config(name="tiny-faces", content_grid=True, content_queries=16, clip_len=4)
    cfg = dataclasses.replace(preset("faces-128"), steps=2, batch_clips=4, checkpoint_every=2, validate_every=2,
                              validation_clips=2, warmup_steps=1, model=model_cfg)  # fmt: skip
    final = train(cfg, tmp_path / "run", progress=False, log=lambda _: None)
    model = api.load_model(final)
    frames = FaceClips.load("dev", 16).videos[0][:12]
    data = api.compress(frames, model, fps=25)
    _, clips = api.decode_symbols(data, model)
    assert [c.content.shape for c in clips] == [(16, 4)] * 3  # one latent per patch of the 4x4 grid
    assert api.decompress(data, model).frames.shape == frames.shape


FACE_WORKER = """
import hashlib, sys, torch
torch.set_num_threads(int(sys.argv[2]))
from bcdcodec import api
from bcdcodec.models.factory import moving_square_video
model = api.load_model(sys.argv[1])
if sys.argv[3] == "encode":
    sys.stdout.write(api.compress(moving_square_video(12, 18, 32, seed=5), model, fps=25, fit="fill").hex())
else:
    frames = api.decompress(bytes.fromhex(sys.stdin.read()), model).frames
    sys.stdout.write(f"{frames.shape} {hashlib.sha256(frames.tobytes()).hexdigest()}")
"""


@pytest.fixture(scope="module")
def grid_checkpoint(tmp_path_factory):
    from bcdcodec.checkpoint import save_checkpoint
    from bcdcodec.config import tiny_config
    from bcdcodec.models.factory import seeded_model

    # 48x48 frames in a 4x4 grid of patches (large enough for MS-SSIM); the shape of faces-128:
    # the content image path and operating points
    cfg = tiny_config(
        name="tiny-faces",
        image_size=48,
        patch_size=12,
        content_grid=True,
        content_queries=16,
        fit="fill",
        content_warp=True,
        warp_channels=4,
        base_loss_weight=4.0,
        rate_points=((2, 1.0), (4, 4.0)),
    )
    path = tmp_path_factory.mktemp("grid") / "grid.pt"
    save_checkpoint(seeded_model(cfg, seed=3, warmup_clips=2), path)
    return path


def _face_worker(checkpoint, threads, mode, stdin=None):
    import subprocess
    import sys

    command = [sys.executable, "-c", FACE_WORKER, str(checkpoint), str(threads), mode]
    return subprocess.run(command, input=stdin, capture_output=True, text=True, check=True, timeout=300).stdout


@pytest.mark.slow
def test_face_streams_decode_identically_across_processes_and_threads(grid_checkpoint):
    """A wide (16:9-like) video through a grid-content model with the fill policy: the same bytes
    from two encoder processes, the same frames from decoders at 1 and 2 threads."""
    stream = _face_worker(grid_checkpoint, 1, "encode")
    assert _face_worker(grid_checkpoint, 2, "encode") == stream
    decoded = {_face_worker(grid_checkpoint, threads, "decode", stdin=stream) for threads in (1, 2, 1)}
    assert len(decoded) == 1 and decoded.pop().startswith("(12, 18, 32, 3)")


def test_eval_faces_codes_each_dev_window_as_a_whole_file(face_root, grid_checkpoint):
    from bcdcodec import api
    from bcdcodec.evaluation.faces_eval import WINDOW, evaluate_faces

    write_video(Video(moving_square_video(2 * WINDOW + 5, 40, 64, seed=4), 25), face_root / "talking_heads/dev/e.mp4")
    model = api.load_model(grid_checkpoint)
    results = evaluate_faces(model, FaceClips.load("dev", model.cfg.image_size), per_source=3)
    assert results["windows"] == 2 and results["people"] == 1  # d.mp4 is shorter than a window
    for row in results["per_window"]:
        assert row["kbps"] == pytest.approx(8 * row["bytes"] * 25 / WINDOW / 1000)
        assert 0 < row["psnr_db"] < 60 and -1 <= row["ssim"] <= 1
    assert "transfer" not in results  # no face tools given
    assert results["quality"] == 2
    low = evaluate_faces(model, FaceClips.load("dev", model.cfg.image_size), per_source=3, point=0)
    assert low["quality"] == 1
    assert all(a["bytes"] < b["bytes"] for a, b in zip(low["per_window"], results["per_window"]))
    # through rate control: each window lands within 10 % of the target, or is listed as missed
    target = results["per_window"][0]["kbps"]
    rated = evaluate_faces(model, FaceClips.load("dev", model.cfg.image_size), per_source=3, kbps=target)
    assert rated["target_kbps"] == target and len(rated["per_window"]) + len(rated["rate_missed"]) == 2
    assert rated["per_window"] and all(abs(r["kbps"] - target) <= 0.1 * target for r in rated["per_window"])
    assert all(1 <= r["quality"] <= 2 and r["gop_seconds"] > 0 for r in rated["per_window"])


def test_face_measures_without_the_face_tools():
    from bcdcodec.evaluation.face_metrics import (
        CHIN,
        FOREHEAD,
        LOWER_LIP,
        UPPER_LIP,
        FaceTrack,
        correlation,
        landmark_error_px,
    )

    t = np.arange(10.0)
    assert correlation(t, 2 * t + 1) == pytest.approx(1.0)
    assert np.isnan(correlation(t, np.ones(10)))  # a frozen mouth correlates with nothing
    landmarks = np.zeros((10, 478, 2))
    landmarks[:, CHIN, 1] = 100.0
    landmarks[:, LOWER_LIP, 1] = t
    track = FaceTrack(np.ones(10, bool), np.zeros((10, 128)), landmarks)
    assert np.allclose(track.mouth, t / 100) and FOREHEAD != UPPER_LIP
    shifted = FaceTrack(track.found, track.descriptors, landmarks + [3.0, 4.0])
    assert landmark_error_px(track, shifted) == pytest.approx(5.0)


def test_missing_face_tools_are_named_with_the_install_line(monkeypatch):
    import sys

    from bcdcodec.evaluation.face_metrics import FaceToolsMissing, analyzer

    monkeypatch.setitem(sys.modules, "dlib", None)
    with pytest.raises(FaceToolsMissing, match=r"bcdcodec\[eval\]"):
        analyzer()


def test_talking_heads_dev_suite_is_windows_of_the_dev_people(face_root):
    from bcdcodec.bench.suites import load_suite

    suite = load_suite("talking-heads-dev", size=16, frames=8, root=face_root)
    assert [s.name for s in suite.sequences] == ["d.mp4@0", "d.mp4@8"]  # 20 frames: two windows of 8
    assert all(s.frames.shape == (8, 16, 16, 3) for s in suite.sequences)


@pytest.mark.slow
def test_motion_prior_trains_on_talking_head_clips(face_root, grid_checkpoint, tmp_path):
    import json

    from .conftest import run_cli

    out = tmp_path / "prior.pt"
    args = ["--data", "talking-heads", "--steps", "5", "--batch", "8", "--dim", "16", "--layers", "1"]
    result = run_cli("train-prior", "--out", out, "--checkpoint", grid_checkpoint, *args)
    assert result.returncode == 0, result.stderr[-800:]
    report = json.loads(result.stdout)
    assert report["data"] == "talking-heads" and report["test_clips"] == 5  # d.mp4: 20 frames, 5 clips of 4
    assert out.stat().st_size > 0


def test_the_content_image_starts_unwarped_carries_the_base_and_learns_a_flow():
    from bcdcodec.config import tiny_config
    from bcdcodec.models.bcd import BCDModel
    from bcdcodec.models.layers import patchify

    cfg = tiny_config(
        image_size=48, patch_size=12, content_grid=True, content_queries=16, content_warp=True, base_loss_weight=4.0
    )
    net = BCDModel(cfg).train()
    warp = net.denoiser.warp
    content, motion = torch.randn(2, 16, cfg.content_channels), torch.randn(2, 4, cfg.motion_dim)
    image = warp.still(content)
    assert image.shape == (2, 3 + cfg.warp_channels, 48, 48)
    base, tokens = warp(content, motion)
    assert torch.allclose(base, image[:, None, :3].expand(-1, 4, -1, -1, -1), atol=1e-5)  # zero flow: the image
    assert torch.allclose(tokens, warp.tokens(patchify(image, 12)).repeat_interleave(4, dim=0), atol=1e-5)
    # the diffusion draws the residual over the base: with the output layer still at zero, an input
    # equal to the base is denoised to the base itself
    d = net.eval().denoised(base.detach(), torch.full((2,), cfg.sigma_max), content, motion)
    assert torch.allclose(d, base, atol=1e-3)
    out = net.train()(torch.rand(4, 4, 3, 48, 48) * 2 - 1, generator=torch.Generator().manual_seed(0))
    out.loss.backward()
    assert warp.flow[4].weight.grad.abs().sum() > 0
    assert warp.image[0].weight.grad.abs().sum() > 0


def test_refinement_fits_the_gop_content_to_its_frames(grid_checkpoint, tiny_model):
    from bcdcodec import api, codec, decoding
    from bcdcodec.errors import InvalidArgumentError
    from bcdcodec.refine import ContentRefiner
    from bcdcodec.video.fit import fit_frames

    model = api.load_model(grid_checkpoint)
    net, top, length = model.net, model.cfg.top_point, model.cfg.clip_len
    frames = moving_square_video(4 * length, 48, 48, seed=5)
    clips = [fit_frames(torch.from_numpy(frames[i : i + length]), 48) for i in range(0, len(frames), length)]
    symbols = [net.encode_symbols(clip) for clip in clips]
    refiner = ContentRefiner(net, top, steps=20)
    refined = refiner(symbols[0].content, clips, [s.motion for s in symbols])
    assert refined.shape == symbols[0].content.shape and refined.dtype == np.int32

    def error(content):
        latent = net.quantizer(top).from_symbols(torch.from_numpy(content).long()[None])
        with torch.no_grad():
            motion = net.motion_from_symbols(np.concatenate([s.motion for s in symbols]))
            return float(refiner._error(latent, torch.cat(clips), motion))

    assert error(refined) < error(symbols[0].content)
    assert all(p.grad is None for p in net.parameters())  # the model is left as it was
    # through the encoder: only the GOP's content changes, and the stream decodes
    plain = codec.compress(frames, model, fps=25, scene_cut=None)
    fitted = codec.compress(frames, model, fps=25, scene_cut=None, refine_steps=20)
    (_, a), (_, b) = decoding.decode_symbols(plain, model), decoding.decode_symbols(fitted, model)
    assert all(np.array_equal(x.motion, y.motion) for x, y in zip(a, b))
    assert not np.array_equal(a[0].content, b[0].content)
    assert decoding.decompress(fitted, model).frames.shape == frames.shape
    with pytest.raises(InvalidArgumentError, match="content image"):
        ContentRefiner(tiny_model.net, 0, 20)  # a model without the content image path


def test_refine_is_refused_with_a_target_bitrate(tmp_path):
    from .conftest import run_cli

    src = tmp_path / "in.mp4"
    write_video(Video(moving_square_video(8, 64, 64, seed=1), 25), src)
    result = run_cli("encode", str(src), str(tmp_path / "o.bcd"), "--kbps", "2", "--refine", "5")
    assert result.returncode == 2 and "--refine" in result.stderr
    assert not (tmp_path / "o.bcd").exists()
