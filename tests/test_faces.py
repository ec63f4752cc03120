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
