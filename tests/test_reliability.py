"""Regression tests for losing a user's file, memory that follows the output, and the rate
ceiling: each case as a user meets it through the CLI or the library."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from bcdcodec.errors import BcdError
from bcdcodec.fileio import check_writable
from bcdcodec.video import fit

from .conftest import run_cli


def _one_line(result, code: int) -> None:
    assert result.returncode == code, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_force_never_replaces_a_folder_the_input_or_the_current_folder(tmp_path):
    keep = tmp_path / "keep.txt"
    keep.write_text("mine")
    video = tmp_path / "x.mkv"
    video.write_bytes(b"video")
    with pytest.raises(BcdError, match="input"):
        check_writable(video, True, inputs=[video])
    with pytest.raises(BcdError):
        check_writable(tmp_path, True, is_dir=True)  # a folder holding other files
    folder = tmp_path / "d.mkv"
    folder.mkdir()
    (folder / "f").write_text("x")
    with pytest.raises(BcdError):
        check_writable(folder, True)  # a file output named like an existing folder
    assert keep.read_text() == "mine" and video.read_bytes() == b"video" and (folder / "f").exists()


def test_force_replaces_an_old_frame_folder(tmp_path):
    frames = tmp_path / "frames"
    frames.mkdir()
    (frames / "000001.png").write_bytes(b"png")
    check_writable(frames, True, is_dir=True)
    (frames / "notes.txt").write_text("mine")
    with pytest.raises(BcdError):
        check_writable(frames, True, is_dir=True)


def test_decode_dash_f_to_the_current_folder_deletes_nothing(tmp_path, sample_mp4, tiny_checkpoint):
    good = tmp_path / "good.bcd"
    assert run_cli("encode", sample_mp4, good, "--checkpoint", tiny_checkpoint).returncode == 0
    (tmp_path / "other.txt").write_text("mine")
    result = run_cli("decode", "-f", good, ".", "--checkpoint", tiny_checkpoint, cwd=tmp_path)
    assert result.returncode != 0
    assert (tmp_path / "other.txt").read_text() == "mine"


def test_encode_dash_f_onto_its_own_input_is_refused(tmp_path, sample_mp4, tiny_checkpoint):
    video = tmp_path / "x.mp4"
    video.write_bytes(sample_mp4.read_bytes())
    _one_line(run_cli("encode", "-f", video, video, "--checkpoint", tiny_checkpoint), 2)
    assert video.read_bytes() == sample_mp4.read_bytes()


def test_a_rate_target_is_a_ceiling(tmp_path, sample_mp4, tiny_checkpoint):
    out = tmp_path / "low.bcd"
    result = run_cli("encode", sample_mp4, out, "--checkpoint", tiny_checkpoint, "--kbps", "0.001")
    assert result.returncode == 0, result.stderr
    assert "landed at" in result.stdout and "above" in result.stdout  # the lowest rate, said so
    high = run_cli("encode", sample_mp4, tmp_path / "high.bcd", "--checkpoint", tiny_checkpoint, "--kbps", "1000")
    assert high.returncode == 0 and "at or below" in high.stdout


def test_a_non_regular_file_is_named_as_such(tmp_path):
    result = run_cli("encode", "/dev/zero", tmp_path / "o.bcd")
    _one_line(result, 5)
    assert "not a regular file" in result.stderr


def test_pad_unfit_holds_no_square_of_the_long_side():
    frames = torch.zeros(1, 3, 16, 16)
    out = fit.unfit_frames(frames, 16384, 1, "pad")  # a 16384 x 16384 step would take 805 MB
    assert out.shape == (1, 1, 16384, 3)
    rng = torch.Generator().manual_seed(0)
    x = torch.rand(2, 3, 32, 32, generator=rng) * 2 - 1
    u = fit.to_uint8(x).permute(0, 3, 1, 2)
    whole = fit.resize(u, 64, 64)[..., 14:50, :]  # the letterboxed square, cropped at once
    assert (fit._unpad(u, 64, 36).int() - whole.int()).abs().max() <= 1


def test_unfit_chunks_follow_the_output_frame():
    frames = torch.zeros(5, 3, 16, 16)
    chunks = list(fit.iter_unfit(frames, 4096, 4096, "stretch"))  # 16.8 Mpixel: one frame a chunk
    assert [len(c) for c in chunks] == [1, 1, 1, 1, 1]
    repeated = list(fit.iter_repeat(np.zeros((4096, 4096, 3), np.uint8), 3))
    assert [len(c) for c in repeated] == [1, 1, 1]
    assert sum(len(c) for c in fit.iter_unfit(frames, 32, 24, "fill")) == 5


def test_out_of_memory_is_exit_1():
    from cli.errors import is_out_of_memory

    assert is_out_of_memory(MemoryError())
    assert is_out_of_memory(RuntimeError("DefaultCPUAllocator: can't allocate memory: you tried to allocate 9 bytes"))
    assert not is_out_of_memory(RuntimeError("shape mismatch"))
