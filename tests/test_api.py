import subprocess
import sys
import textwrap

import numpy as np
import pytest

from bcdcodec import api
from bcdcodec.errors import ModelLoadError, VideoError
from bcdcodec.video import read_video


def test_compress_decompress_shapes(tiny_model, sample_frames):
    data = api.compress(sample_frames, tiny_model, fps=30)
    video = api.decompress(data, tiny_model)
    assert video.frames.shape == sample_frames.shape and video.frames.dtype == np.uint8
    assert video.fps == 30
    assert api.decompress(data, tiny_model, steps=1).frames.shape == sample_frames.shape


def test_file_round_trip(tmp_path, tiny_model, sample_mp4):
    data = api.compress_file(sample_mp4, tmp_path / "a.bcd", tiny_model)
    assert (tmp_path / "a.bcd").read_bytes() == data
    written = api.decompress_file(tmp_path / "a.bcd", tmp_path / "a.y4m", tiny_model)
    assert (written.frame_count, written.width, written.height) == (10, 32, 24) and not written.lost
    assert read_video(tmp_path / "a.y4m").frames.shape == (10, 24, 32, 3)


def test_bad_frames_and_models(tiny_model, tmp_path):
    with pytest.raises(VideoError):
        api.compress(np.zeros((0, 8, 8, 3), np.uint8), tiny_model)
    with pytest.raises(VideoError):
        api.compress(np.zeros((2, 8, 8), np.uint8), tiny_model)
    with pytest.raises(ModelLoadError):
        api.load_model("no-such-model")
    (tmp_path / "bad.pt").write_bytes(b"garbage")
    with pytest.raises(ModelLoadError):
        api.load_model(tmp_path / "bad.pt")


WORKER = textwrap.dedent("""
    import sys, torch
    torch.set_num_threads(int(sys.argv[3]))
    from bcdcodec import api
    from bcdcodec.models.factory import moving_square_video
    model = api.load_model(sys.argv[1])
    if sys.argv[2] == "encode":
        sys.stdout.write(api.compress(moving_square_video(10, 24, 32, seed=3), model, fps=25).hex())
    else:
        _, clips = api.decode_symbols(bytes.fromhex(sys.stdin.read()), model)
        sys.stdout.write(repr([(c.content.tolist(), c.motion.tolist()) for c in clips]))
""")


def _worker(checkpoint, mode, threads, stdin=None):
    return subprocess.run(
        [sys.executable, "-c", WORKER, str(checkpoint), mode, str(threads)],
        input=stdin,
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    ).stdout


@pytest.mark.slow
def test_identical_bytes_and_symbols_across_processes(tiny_checkpoint, tiny_model):
    first, second = _worker(tiny_checkpoint, "encode", 1), _worker(tiny_checkpoint, "encode", 1)
    assert first == second
    _, clips = api.decode_symbols(bytes.fromhex(first), tiny_model)
    expected = repr([(c.content.tolist(), c.motion.tolist()) for c in clips])
    for threads in (1, 2):
        assert _worker(tiny_checkpoint, "decode", threads, stdin=first) == expected


def test_info_needs_no_model(tiny_model, sample_frames):
    info = api.stream_info(api.compress(sample_frames, tiny_model, fps=25))
    assert info["clip_count"] == 3 and info["frame_count"] == 10 and info["fps"] == "25"
    assert info["file_bytes"] == info["header_bytes"] + info["framing_bytes"] + info["payload_bytes"]
    assert sum(g["clips"] for g in info["gops"]) == 3


def test_outputs_follow_the_umask(tmp_path, tiny_model, sample_frames):
    import os

    old = os.umask(0o027)
    try:
        api.compress_file(_write_sample(tmp_path, sample_frames), tmp_path / "a.bcd", tiny_model)
        api.decompress_file(tmp_path / "a.bcd", tmp_path / "frames", tiny_model)
    finally:
        os.umask(old)
    assert (tmp_path / "a.bcd").stat().st_mode & 0o777 == 0o640
    assert (tmp_path / "frames").stat().st_mode & 0o777 == 0o750


def _write_sample(folder, frames):
    from bcdcodec.video import Video, write_video

    path = folder / "in.y4m"
    write_video(Video(frames, 25), path)
    return path
