"""SIGINT, SIGTERM and SIGHUP end a command with one line and its exit code, leaving no file."""

import os
import signal
import subprocess
import sys
import time

import pytest

from bcdcodec import api
from bcdcodec.models.factory import moving_square_video


@pytest.mark.slow
@pytest.mark.parametrize("signum,code", [(signal.SIGTERM, 143), (signal.SIGHUP, 129), (signal.SIGINT, 130)])
def test_signals_remove_temporary_outputs(tmp_path, tiny_model, tiny_checkpoint, signum, code):
    stream = tmp_path / "long.bcd"
    stream.write_bytes(api.compress(moving_square_video(400, 16, 16, seed=1), tiny_model, fps=25))
    out = tmp_path / "out"
    out.mkdir()
    command = [sys.executable, "-m", "bcdcodec.cli.main", "decode", str(stream), str(out / "o.mp4"), "--checkpoint",
               str(tiny_checkpoint), "--steps", "64"]  # fmt: skip
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, env={**os.environ, "OMP_NUM_THREADS": "1"})
    deadline = time.time() + 120
    while not any(".tmp" in p.name for p in out.iterdir()) and time.time() < deadline and process.poll() is None:
        time.sleep(0.05)
    assert any(".tmp" in p.name for p in out.iterdir()), "the decoder never started writing"
    process.send_signal(signum)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == code, stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("bcdcodec: error:"), stderr
    assert list(out.iterdir()) == []
