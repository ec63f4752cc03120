"""A few hundred seeded mutants of every kind of stream, and of video files: each decodes or
fails with a typed error (findings become regression tests here)."""

import pytest

from bcdcodec import api
from bcdcodec.models.factory import moving_square_video
from bcdcodec.video import Video, write_video

from .conftest import CONFORMANCE
from .fuzzing import fuzz_streams, fuzz_videos
from .make_conformance import conformance_model


@pytest.fixture(scope="module")
def model():
    return conformance_model()


@pytest.fixture(scope="module")
def seed_streams(model):
    frames = moving_square_video(30, 16, 16, seed=2)
    return [
        api.compress(frames[:4], model, fps=25),
        api.compress(frames[:4], model, fps=25, motion_prior=True),
        api.compress(frames, model, fps=25, gop_seconds=10),
        api.compress(frames, model, fps=25, gop_seconds=0.3),
        api.compress(frames, model, fps=25, gop_seconds=0.3, motion_prior=True),
        (CONFORMANCE / "prior_coded_three_clips_32x24.bcd").read_bytes(),  # 1.1
        (CONFORMANCE / "three_clips_partial_32x24_ntsc.bcd").read_bytes(),  # 1.0
    ]


def test_mutated_streams_decode_or_fail_cleanly(seed_streams, model):
    outcomes = fuzz_streams(seed_streams, model, cases=400, seed=1)
    assert sum(outcomes.values()) == 400 and outcomes["refused"] > 300


def test_mutated_videos_read_or_fail_cleanly(tmp_path):
    seeds = {}
    for suffix in (".mp4", ".y4m"):
        path = tmp_path / f"seed{suffix}"
        write_video(Video(moving_square_video(6, 16, 16, seed=3), 25), path)
        seeds[path.name] = path.read_bytes()
    outcomes = fuzz_videos(seeds, cases=150, seed=2)
    assert sum(outcomes.values()) == 150
