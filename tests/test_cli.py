"""The console commands, each run in a fresh process."""

import dataclasses
import json

import numpy as np
import pytest

from bcdcodec.bitstream import read_stream, write_stream

from .conftest import run_cli


def _assert_one_line_error(result, code=None):
    assert result.returncode != 0
    if code is not None:
        assert result.returncode == code, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("bcdcodec: error:"), result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.slow
def test_round_trip_and_info(tmp_path, sample_mp4, tiny_checkpoint):
    bcd, out = tmp_path / "a.bcd", tmp_path / "a.mp4"
    enc = run_cli("encode", sample_mp4, bcd, "--checkpoint", tiny_checkpoint, "--steps", "3", "--seed", "9")
    assert enc.returncode == 0, enc.stderr
    assert "10 frames in 3 clips" in enc.stdout
    assert "first clip decodes at" in enc.stdout  # the quality check decodes in the loop
    assert "does not fit this video" in enc.stderr  # an untrained model draws no square
    info = json.loads(run_cli("info", bcd, "--json").stdout)
    assert info["sampler"] == {"kind": "euler", "steps": 3, "seed": 9}
    assert info["file_bytes"] == bcd.stat().st_size
    dec = run_cli("decode", bcd, out, "--checkpoint", tiny_checkpoint)
    assert dec.returncode == 0, dec.stderr
    assert "10 frames of 32x24" in dec.stdout
    png = run_cli("decode", bcd, tmp_path / "frames", "--checkpoint", tiny_checkpoint)
    assert png.returncode == 0 and len(list((tmp_path / "frames").glob("*.png"))) == 10


@pytest.mark.slow
def test_no_overwrite_without_force(tmp_path, sample_mp4, tiny_checkpoint):
    bcd = tmp_path / "a.bcd"
    bcd.write_bytes(b"keep me")
    result = run_cli("encode", sample_mp4, bcd, "--checkpoint", tiny_checkpoint)
    _assert_one_line_error(result, 2)
    assert bcd.read_bytes() == b"keep me"
    assert run_cli("encode", sample_mp4, bcd, "--checkpoint", tiny_checkpoint, "-f").returncode == 0
    assert bcd.read_bytes()[:2] == b"BC"


@pytest.mark.slow
def test_bad_inputs_get_one_line_errors_and_leave_nothing(tmp_path, sample_mp4, tiny_checkpoint, other_checkpoint):
    good = tmp_path / "good.bcd"
    assert run_cli("encode", sample_mp4, good, "--checkpoint", tiny_checkpoint).returncode == 0
    data = good.read_bytes()
    (tmp_path / "trunc.bcd").write_bytes(data[:-5])
    flipped = bytearray(data)
    flipped[len(data) // 2] ^= 0x10
    (tmp_path / "flip.bcd").write_bytes(bytes(flipped))
    (tmp_path / "junk.bcd").write_bytes(np.random.default_rng(0).bytes(64))
    (tmp_path / "junk.mp4").write_bytes(b"\x00" * 100)
    parsed = read_stream(data)  # the same GOPs under a header that asks for 16384x16384 frames
    huge = dataclasses.replace(parsed.header, source_width=16384, source_height=16384)
    (tmp_path / "huge.bcd").write_bytes(write_stream(huge, [(u.clip_count, u.payload) for u in parsed.units]))
    before = set(tmp_path.iterdir())
    cases = [
        (("decode", tmp_path / "trunc.bcd", tmp_path / "o1.mp4", "--checkpoint", tiny_checkpoint), 3),
        (("decode", tmp_path / "flip.bcd", tmp_path / "o2.mp4", "--checkpoint", tiny_checkpoint), 3),
        (("decode", tmp_path / "junk.bcd", tmp_path / "o3.mp4", "--checkpoint", tiny_checkpoint), 3),
        (("decode", good, tmp_path / "o4.mp4", "--checkpoint", other_checkpoint), 4),
        (("decode", good, tmp_path / "o5.mp4"), 4),  # model id 0 is not bundled
        (
            ("decode", good, tmp_path / "o6.avi", "--checkpoint", tiny_checkpoint),
            2,
        ),  # an unknown output extension: a usage error
        (("encode", tmp_path / "junk.mp4", tmp_path / "o7.bcd", "--checkpoint", tiny_checkpoint), 5),
        (("encode", tmp_path / "missing.mp4", tmp_path / "o8.bcd", "--checkpoint", tiny_checkpoint), 5),
        (("encode", sample_mp4, tmp_path / "o9.bcd", "--checkpoint", tmp_path / "junk.bcd"), 4),
        (("encode", sample_mp4, tmp_path / "o10.bcd", "--checkpoint", tiny_checkpoint, "--quality", "2"), 2),
        (("info", tmp_path / "trunc.bcd"), 3),
        (("decode", tmp_path / "huge.bcd", tmp_path / "o11.mp4", "--checkpoint", tiny_checkpoint), 3),
        (("decode", good, tmp_path / "o12.mp4", "--checkpoint", tiny_checkpoint, "--start", "9"), 2),
        (("encode", sample_mp4, "/proc/o13.bcd", "--checkpoint", tiny_checkpoint), 5),
        (("encode", sample_mp4, tmp_path / "no" / "o14.bcd", "--checkpoint", tiny_checkpoint), 5),
        (("encode", tmp_path, tmp_path / "o15.bcd"), 2),  # a folder as input: a usage error
        (("encode", sample_mp4, tmp_path / "o16.bcd", "--steps", "0"), 2),
        (("generate", "--content", good, "--frames", "-5", tmp_path / "o17.mp4"), 2),
        (("decode",), 2),
        (("no-such-command",), 2),
    ]
    for args, code in cases:
        _assert_one_line_error(run_cli(*args), code)
    assert set(tmp_path.iterdir()) == before
    assert not [p for p in tmp_path.iterdir() if ".tmp" in p.name]


def test_models_and_help():
    assert run_cli("models").returncode == 0
    result = run_cli("--help")
    assert result.returncode == 0 and "encode" in result.stdout


@pytest.mark.slow
def test_transfer_from_streams_and_videos(tmp_path, sample_mp4, tiny_checkpoint):
    a, b = tmp_path / "a.bcd", tmp_path / "b.bcd"
    assert run_cli("encode", sample_mp4, a, "--checkpoint", tiny_checkpoint).returncode == 0
    assert (
        run_cli("encode", sample_mp4, b, "--checkpoint", tiny_checkpoint, "--max-frames", "6", "--fps", "10").returncode
        == 0
    )
    result = run_cli("transfer", "--content", a, "--motion", b, tmp_path / "t.y4m", "--checkpoint", tiny_checkpoint)
    assert result.returncode == 0, result.stderr
    assert "6 frames of 32x24 at 10 fps" in result.stdout
    mixed = run_cli(
        "transfer", "--content", sample_mp4, "--motion", b, tmp_path / "m.mp4", "--checkpoint", tiny_checkpoint
    )
    assert mixed.returncode == 0, mixed.stderr


@pytest.mark.slow
def test_demo_runs_the_whole_codec(tmp_path, tiny_checkpoint):
    result = run_cli("demo", "--model", tiny_checkpoint, "--source", "procedural", "--out", tmp_path / "d")
    assert result.returncode == 0, result.stderr
    assert "PSNR" in result.stdout and "bits" in result.stdout
    assert {p.name for p in (tmp_path / "d").iterdir()} == {"sample.mp4", "sample.bcd", "decoded.mp4"}
    again = run_cli("demo", "--model", tiny_checkpoint, "--source", "procedural", "--out", tmp_path / "d")
    assert again.returncode == 2  # existing outputs need -f


def test_the_default_codec_for_video_is_the_key_frame_codec(tmp_path, sample_mp4):
    bcd, out = tmp_path / "a.bcd", tmp_path / "a.mp4"
    enc = run_cli("encode", sample_mp4, bcd, "--quality", "3")
    assert enc.returncode == 0, enc.stderr
    assert "10 frames in 1 GOP" in enc.stdout and "quality 3 of 7" in enc.stdout
    assert "first clip decodes at" in enc.stdout
    info = run_cli("info", bcd)
    assert "model id 4" in info.stdout and "key picture" in info.stdout, info.stderr
    dec = run_cli("decode", bcd, out)
    assert dec.returncode == 0 and "10 frames of 32x24" in dec.stdout, dec.stderr
    _assert_one_line_error(run_cli("decode", bcd, tmp_path / "s.mp4", "--steps", "2"), 2)
    assert not (tmp_path / "s.mp4").exists()
    _assert_one_line_error(run_cli("encode", sample_mp4, tmp_path / "b.bcd", "--steps", "3"), 2)
    _assert_one_line_error(run_cli("generate", "--content", bcd, "--frames", "8", tmp_path / "g.mp4"), 4)
    _assert_one_line_error(run_cli("eval", "sprites", "--model", "faces-flow-128", "--limit", "1"), 4)
    _assert_one_line_error(run_cli("train-prior", "--model", "faces-flow-128", "--out", tmp_path / "p.pt"), 4)
    assert not (tmp_path / "b.bcd").exists() and not (tmp_path / "g.mp4").exists()


def test_transfer_with_the_key_frame_codec_from_streams_and_videos(tmp_path, sample_mp4):
    a = tmp_path / "a.bcd"
    assert run_cli("encode", sample_mp4, a, "--max-frames", "6", "--fps", "10").returncode == 0
    from_streams = run_cli("transfer", "--content", a, "--motion", a, tmp_path / "t.y4m")
    assert from_streams.returncode == 0, from_streams.stderr
    assert "6 frames of 32x24 at 10 fps" in from_streams.stdout
    from_videos = run_cli("transfer", "--content", sample_mp4, "--motion", sample_mp4, tmp_path / "v.mp4")
    assert from_videos.returncode == 0 and "10 frames of 32x24" in from_videos.stdout, from_videos.stderr
    _assert_one_line_error(run_cli("transfer", "--content", a, "--motion", a, tmp_path / "s.mp4", "--steps", "2"), 2)
