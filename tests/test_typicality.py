"""Content typicality: fitted on training content, it tells content like it from content unlike it,
travels inside the checkpoint, and feeds the encoder's fit check."""

import pytest
import torch

from bcdcodec import codec, decoding
from bcdcodec.checkpoint import save_checkpoint
from bcdcodec.errors import ModelLoadError
from bcdcodec.fitcheck import MISFIT_TYPICALITY, FirstClipCheck
from bcdcodec.models.factory import moving_square_video
from bcdcodec.settings import SamplerSettings
from bcdcodec.typicality import EXTRA_KEY, ContentTypicality
from bcdcodec.video.fit import fit_frames


def _content(n, seed, scale=1.0, offset=0.0):
    g = torch.Generator().manual_seed(seed)
    colours = torch.randn(n, 1, 4, generator=g)  # a clip-wide colour per channel
    return (colours + 0.5 * torch.randn(n, 16, 4, generator=g)) * scale + offset


def test_typical_content_scores_low_and_unlike_content_high():
    stats = ContentTypicality.fit(_content(400, 0))
    assert stats.basis.shape == (8, 7) and stats.train_high > 0
    alike = stats.score(_content(200, 1)) / stats.train_high
    flat = stats.score(_content(50, 2, scale=0.05)) / stats.train_high  # flat colours: no texture
    shifted = stats.score(_content(50, 3, offset=6.0)) / stats.train_high
    assert (alike < MISFIT_TYPICALITY).float().mean() > 0.97
    assert (flat > MISFIT_TYPICALITY).all() and (shifted > MISFIT_TYPICALITY).all()


def test_typicality_travels_in_the_checkpoint(tiny_model, tmp_path):
    stats = ContentTypicality.fit(_content(100, 0))
    path = tmp_path / "m.pt"
    save_checkpoint(tiny_model.net, path, extra={EXTRA_KEY: stats.to_extra()})
    loaded = codec.load_model(path).typicality
    assert torch.equal(loaded.basis, stats.basis) and loaded.train_high == stats.train_high
    save_checkpoint(tiny_model.net, path, extra={})
    assert codec.load_model(path).typicality is None  # models refitted before the statistics existed
    save_checkpoint(tiny_model.net, path, extra={EXTRA_KEY: {"mean": torch.zeros(3)}})
    with pytest.raises(ModelLoadError, match="typicality"):
        codec.load_model(path)


def test_fit_check_scores_the_first_clip_against_the_training_content(tiny_model):
    cfg = tiny_model.cfg
    videos = [moving_square_video(cfg.clip_len, cfg.image_size, cfg.image_size, seed=s) for s in range(40)]
    clips = torch.stack([fit_frames(torch.from_numpy(v), cfg.image_size) for v in videos])
    with torch.no_grad():
        content, _ = tiny_model.net.eval().encoder(clips)
    model = codec.CodecModel(**{**tiny_model.__dict__, "typicality": ContentTypicality.fit(content, 4)})
    check = FirstClipCheck(model, SamplerSettings("euler", 2, 0))
    check(clips[0], {})
    assert check.typicality() < MISFIT_TYPICALITY  # a clip of the training content
    far = model.typicality
    model.typicality = ContentTypicality(far.mean + 50, far.basis, far.variances, far.noise, far.train_high)
    assert check.typicality() > MISFIT_TYPICALITY
    model.typicality = None
    assert check.typicality() is None


def test_refit_priors_stores_the_training_content_statistics(tiny_checkpoint, tmp_path):
    from .conftest import run_cli

    out = tmp_path / "refit.pt"
    result = run_cli("refit-priors", str(tiny_checkpoint), str(out), "--data", "procedural", "--steps", "3")
    assert result.returncode == 0, result.stderr
    stats = codec.load_model(out).typicality
    assert (
        stats is not None
        and stats.train_high > 0
        and stats.mean.shape == (2 * codec.load_model(out).cfg.content_channels,)
    )


def test_fit_check_decodes_the_first_clip_as_the_stream_holds_it(tiny_model):
    from bcdcodec.evaluation.metrics import psnr_db

    cfg = tiny_model.cfg
    frames = moving_square_video(4 * cfg.clip_len, cfg.image_size, cfg.image_size, seed=3)
    settings = SamplerSettings("euler", cfg.default_steps, 0)
    check = FirstClipCheck(tiny_model, settings)
    video = codec.as_video(frames, 25)
    source = codec.VideoSource(video.width, video.height, video.fps, iter(video.frames), len(video.frames))
    data = codec.encode_source(source, tiny_model, "stretch", settings, False, scene_cut=None, probe=check)
    decoded = decoding.decompress(data, tiny_model).frames[: cfg.clip_len]
    # the GOP codes its most representative clip's content, not necessarily the first clip's
    assert check.psnr(stream=data) == pytest.approx(psnr_db(frames[: cfg.clip_len], decoded), abs=1e-6)
