"""The autoregressive motion prior: integer twin, prior-coded streams, training and generation."""

import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch

from bcdcodec import api
from bcdcodec.bitstream import read_stream
from bcdcodec.coding.integer_prior import exp_lut
from bcdcodec.errors import CorruptPacketError, InvalidArgumentError, ModelMismatchError
from bcdcodec.generate import sample_motion
from bcdcodec.models.factory import moving_square_video
from bcdcodec.models.motion_prior import MotionPrior, MotionPriorConfig
from bcdcodec.prior_file import save_prior
from bcdcodec.train.prior_train import collect_codes, integer_bits, train_prior

from .conftest import run_cli


def _random_prior(codec_cfg, seed: int) -> MotionPrior:
    torch.manual_seed(seed)
    prior = MotionPrior(MotionPriorConfig.for_codec(codec_cfg, dim=32, layers=2, mlp_dim=64))
    with torch.no_grad():  # spread the weights so the tables are far from uniform
        for p in prior.parameters():
            p.add_(torch.randn_like(p) * 0.3)
    return prior.eval()


@pytest.fixture(scope="module")
def prior_path(tmp_path_factory, tiny_model):
    path = tmp_path_factory.mktemp("prior") / "prior.pt"
    save_prior(_random_prior(tiny_model.cfg, 0), path, tiny_model.net)
    return path


@pytest.fixture(scope="module")
def prior_model(tiny_model, prior_path):
    return api.attach_prior(tiny_model, prior_path)


def test_integer_twin_matches_float_and_is_causal():
    cfg = MotionPriorConfig(
        motion_groups=4,
        codebook_size=8,
        content_queries=2,
        content_channels=4,
        content_symbol_range=32,
        max_frames=6,
        dim=32,
        heads=4,
        mlp_dim=64,
    )
    torch.manual_seed(1)
    prior = MotionPrior(cfg).eval()
    with torch.no_grad():
        for p in prior.parameters():
            p.add_(torch.randn_like(p) * 0.3)
    twin = prior.integer_twin(exp_lut())
    rng = np.random.default_rng(0)
    content, motion = rng.integers(0, 32, (2, 4)), rng.integers(0, 8, (6, 4))
    reference = prior(torch.from_numpy(content)[None], torch.from_numpy(motion)[None])[0].detach().numpy()
    integer = twin.logits(content, motion)
    assert integer.dtype == np.int64
    assert np.abs(integer / 4096 - reference).max() < 0.1 * max(1.0, np.abs(reference).max())
    changed = motion.copy()
    changed[3:] = (changed[3:] + 1) % 8
    assert np.array_equal(twin.logits(content, changed)[:4], integer[:4])  # frame t sees frames < t only
    tables = twin.tables(content, motion, 16)
    assert (tables >= 1).all() and (tables.sum(-1) == 1 << 16).all()


def test_prior_coded_round_trip_and_header(prior_model, tiny_model):
    frames = moving_square_video(10, 24, 32, seed=3)
    static = api.compress(frames, tiny_model)
    coded = api.compress(frames, prior_model, motion_prior=True)
    header = read_stream(coded).header
    assert header.version == (2, 1) and header.motion_prior_hash == prior_model.prior.digest[:2]
    assert read_stream(static).header.motion_prior_hash is None
    assert api.stream_info(coded)["motion_coding"] == "prior"
    _, symbols_static = api.decode_symbols(static, tiny_model)
    _, symbols_prior = api.decode_symbols(coded, prior_model)
    assert symbols_static == symbols_prior
    assert np.array_equal(api.decompress(coded, prior_model).frames, api.decompress(static, tiny_model).frames)
    with pytest.raises(ModelMismatchError):
        api.decode_symbols(coded, tiny_model)  # prior-coded, and no prior loaded
    with pytest.raises(InvalidArgumentError):
        api.compress(frames, tiny_model, motion_prior=True)


def test_wrong_prior_and_damaged_payload(prior_model, tiny_model, tmp_path):
    frames = moving_square_video(10, 24, 32, seed=3)
    coded = api.compress(frames, prior_model, motion_prior=True)
    other = tmp_path / "other.pt"
    save_prior(_random_prior(tiny_model.cfg, 5), other, tiny_model.net)
    with pytest.raises(ModelMismatchError):
        api.decode_symbols(coded, api.attach_prior(tiny_model, other))
    parsed = read_stream(coded)
    from bcdcodec.coding.ans import decode_clip_with_prior

    rows = lambda c, m: prior_model.prior.integer.tables(c, m, 16)[-1]  # noqa: E731
    with pytest.raises(CorruptPacketError):
        decode_clip_with_prior(parsed.packets[0] + b"\x01\x02\x03\x04", tiny_model.tables, 2, 4, rows)


PRIOR_WORKER = textwrap.dedent("""
    import sys, torch
    torch.set_num_threads(int(sys.argv[3]))
    from bcdcodec import api
    from bcdcodec.models.factory import moving_square_video
    model = api.attach_prior(api.load_model(sys.argv[1]), sys.argv[2])
    if sys.argv[4] == "encode":
        sys.stdout.write(api.compress(moving_square_video(12, 16, 16, seed=4), model, motion_prior=True).hex())
    else:
        _, clips = api.decode_symbols(bytes.fromhex(sys.stdin.read()), model)
        sys.stdout.write(repr([(c.content.tolist(), c.motion.tolist()) for c in clips]))
""")


@pytest.mark.slow
def test_prior_coded_files_decode_identically_across_processes_and_threads(tiny_checkpoint, prior_path, tiny_model):
    def worker(threads, mode, stdin=None):
        return subprocess.run(
            [sys.executable, "-c", PRIOR_WORKER, str(tiny_checkpoint), str(prior_path), str(threads), mode],
            input=stdin,
            capture_output=True,
            text=True,
            check=True,
            timeout=300,
        ).stdout

    first, second = worker(1, "encode"), worker(2, "encode")
    assert first == second
    _, expected = api.decode_symbols(api.compress(moving_square_video(12, 16, 16, seed=4), tiny_model), tiny_model)
    reference = repr([(c.content.tolist(), c.motion.tolist()) for c in expected])
    assert worker(1, "decode", first) == reference
    assert worker(2, "decode", first) == reference


def test_training_lowers_bits(tiny_model):
    from bcdcodec.data.procedural import procedural_split

    content, motion = collect_codes(tiny_model.net, procedural_split(48, seed=0).videos)
    assert content.shape == (48, 1, 2, 4) and motion.shape == (48, 1, 4, 4)  # one operating point
    motion = motion[:, 0]
    cfg = MotionPriorConfig.for_codec(tiny_model.cfg, dim=32, layers=1, mlp_dim=32)
    untrained = MotionPrior(cfg).eval().integer_twin(exp_lut())
    trained = train_prior(cfg, content, motion[:, None], steps=150, batch=32, progress=False).integer_twin(exp_lut())
    assert integer_bits(trained, content[:, 0], motion) < 0.8 * integer_bits(untrained, content[:, 0], motion)


def test_sample_motion_is_seeded_and_respects_top_k(prior_model):
    content = np.full((2, 4), 16)
    a = sample_motion(prior_model, content, 9, seed=3)
    assert a.shape == (9, 4) and a.dtype == np.int32
    assert np.array_equal(a, sample_motion(prior_model, content, 9, seed=3))
    greedy = sample_motion(prior_model, content, 5, top_k=1, seed=0)
    assert np.array_equal(greedy, sample_motion(prior_model, content, 5, top_k=1, seed=99))
    prefix = a[:3]
    continued = sample_motion(prior_model, content, 4, prefix=prefix, seed=1)
    assert continued.shape == (7, 4) and np.array_equal(continued[:3], prefix)
    with pytest.raises(InvalidArgumentError):
        sample_motion(prior_model, content, 0)


@pytest.mark.slow
def test_cli_prior_commands(tmp_path, sample_mp4, tiny_checkpoint, prior_path):
    bcd = tmp_path / "p.bcd"
    enc = run_cli("encode", sample_mp4, bcd, "--checkpoint", tiny_checkpoint, "--motion-prior", "--prior", prior_path)
    assert enc.returncode == 0, enc.stderr
    assert json.loads(run_cli("info", bcd, "--json").stdout)["motion_coding"] == "prior"
    missing = run_cli("decode", bcd, tmp_path / "x.mp4", "--checkpoint", tiny_checkpoint)
    assert missing.returncode != 0 and "prior" in missing.stderr and not (tmp_path / "x.mp4").exists()
    dec = run_cli("decode", bcd, tmp_path / "p.mp4", "--checkpoint", tiny_checkpoint, "--prior", prior_path)
    assert dec.returncode == 0, dec.stderr
    gen = run_cli(
        "generate",
        "--content",
        bcd,
        "--frames",
        "11",
        tmp_path / "g.y4m",
        "--checkpoint",
        tiny_checkpoint,
        "--prior",
        prior_path,
        "--fps",
        "12",
        "--seed",
        "4",
    )
    assert gen.returncode == 0, gen.stderr
    assert "11 frames of 32x24 at 12 fps" in gen.stdout
    cont = run_cli(
        "generate",
        "--content",
        bcd,
        "--frames",
        "3",
        tmp_path / "c.y4m",
        "--checkpoint",
        tiny_checkpoint,
        "--prior",
        prior_path,
        "--continue",
    )
    assert cont.returncode == 0 and "7 frames" in cont.stdout  # the first clip's 4 frames + 3 new
    trained = run_cli(
        "train-prior",
        "--out",
        tmp_path / "new.pt",
        "--checkpoint",
        tiny_checkpoint,
        "--data",
        "procedural",
        "--steps",
        "20",
        "--batch",
        "16",
        "--dim",
        "16",
        "--layers",
        "1",
    )
    assert trained.returncode == 0, trained.stderr
    report = json.loads(trained.stdout)
    assert report["test_motion_bits_per_clip_prior_integer"] > 0
