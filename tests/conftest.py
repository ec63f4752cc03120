"""Shared fixtures: tiny random-init models (seconds to build), synthetic videos, no external data."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from bcdcodec import api
from bcdcodec.checkpoint import save_checkpoint
from bcdcodec.config import tiny_config
from bcdcodec.models.factory import moving_square_video, seeded_model
from bcdcodec.video import Video, write_video

torch.set_num_threads(min(2, os.cpu_count() or 1))

REPO = Path(__file__).resolve().parent.parent
CONFORMANCE = REPO / "bitstreams" / "conformance"


@pytest.fixture(scope="session")
def tiny_net():
    return seeded_model(tiny_config(), seed=7, warmup_clips=2)


@pytest.fixture(scope="session")
def tiny_model(tiny_net):
    return api.CodecModel.from_network(tiny_net)


@pytest.fixture(scope="session")
def tiny_checkpoint(tmp_path_factory, tiny_net):
    path = tmp_path_factory.mktemp("ckpt") / "tiny.pt"
    save_checkpoint(tiny_net, path)
    return path


@pytest.fixture(scope="session")
def other_checkpoint(tmp_path_factory):
    path = tmp_path_factory.mktemp("ckpt2") / "other.pt"
    save_checkpoint(seeded_model(tiny_config(), seed=8), path)
    return path


@pytest.fixture(scope="session")
def sample_frames():
    return moving_square_video(10, 24, 32, seed=3)


@pytest.fixture(scope="session")
def sample_mp4(tmp_path_factory, sample_frames):
    path = tmp_path_factory.mktemp("video") / "sample.mp4"
    write_video(Video(sample_frames, 25), path)
    return path


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run the installed console entry point in a fresh process."""
    return subprocess.run(
        [sys.executable, "-m", "bcdcodec.cli.main", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
