"""Rate-distortion benchmark: classical codecs through PyAV, RD math, and the smoke suite."""

import json

import numpy as np
import pytest

from bcdcodec import api
from bcdcodec.bench import classical
from bcdcodec.bench.rd import bd_rate_percent, bytes_ratio_at_equal_quality, pareto_front, rate_at_quality
from bcdcodec.bench.report import run_benchmark
from bcdcodec.bench.suites import load_suite
from bcdcodec.checkpoint import save_checkpoint
from bcdcodec.config import tiny_config
from bcdcodec.evaluation.metrics import ms_ssim, ms_ssim_window, psnr_db, psnr_y_db
from bcdcodec.models.factory import moving_square_video, seeded_model

from .conftest import run_cli


@pytest.fixture(scope="module")
def model64():
    net = seeded_model(tiny_config(image_size=64, patch_size=16, clip_len=8), seed=5)
    net.export_tables()
    return api.CodecModel.from_network(net)


def _nal_types(annexb: bytes) -> set[int]:
    starts = [i + 3 for i in range(len(annexb) - 3) if annexb[i : i + 3] == b"\x00\x00\x01"]
    return {annexb[s] & 0x1F for s in starts if s < len(annexb)}


@pytest.mark.parametrize("name", sorted(classical.CODECS))
def test_each_classical_codec_round_trips(name):
    frames = moving_square_video(8, 64, 64, seed=1)
    spec = classical.CODECS[name]
    low = classical.encode(frames, spec, spec.quality_values[0])
    high = classical.encode(frames, spec, spec.quality_values[-1])
    decoded = classical.decode(high, spec)
    assert decoded.shape == frames.shape and decoded.dtype == np.uint8
    assert sum(map(len, low)) < sum(map(len, high))
    assert psnr_db(frames, decoded) > psnr_db(frames, classical.decode(low, spec))


def test_x264_sei_is_stripped_and_still_decodes():
    frames = moving_square_video(8, 64, 64, seed=2)
    spec = classical.CODECS["x264-420"]
    unfiltered = classical.ClassicalCodec(**{**spec.__dict__, "bitstream_filter": None})
    raw = b"".join(classical.encode(frames, unfiltered, 40))
    packets = classical.encode(frames, spec, 40)
    stripped = b"".join(packets)
    assert 6 in _nal_types(raw) and 6 not in _nal_types(stripped)
    assert len(raw) - len(stripped) > 300  # x264's version/settings SEI
    assert classical.decode(packets, spec).shape == frames.shape


def test_pareto_bd_rate_and_equal_quality():
    anchor = [(100, 30.0), (200, 34.0), (400, 38.0), (300, 33.0)]
    assert pareto_front(anchor) == [(100, 30.0), (200, 34.0), (400, 38.0)]
    assert bd_rate_percent(anchor, anchor) == pytest.approx(0, abs=1e-9)
    half = [(r / 2, q) for r, q in anchor]
    assert bd_rate_percent(anchor, half) == pytest.approx(-50, abs=1e-6)
    assert bd_rate_percent(anchor, [(10, 10.0), (20, 12.0)]) is None  # no overlap
    assert rate_at_quality(anchor, 20.0) == (100, "floor")
    assert rate_at_quality(anchor, 40.0) == (None, "unreachable")
    rate, how = rate_at_quality(anchor, 34.0)
    assert how == "interpolated" and rate == pytest.approx(200)
    rows = bytes_ratio_at_equal_quality(anchor, [(25, 29.0)])
    assert rows[0]["anchor_over_test"] == pytest.approx(4.0) and rows[0]["anchor_rate_is"] == "floor"


def test_metrics_at_64px():
    frames = moving_square_video(4, 64, 64, seed=4)
    assert ms_ssim_window(64, 64) == 3 and ms_ssim_window(480, 640) == 11
    assert ms_ssim(frames, frames) == pytest.approx(1.0)
    noisy = np.clip(frames.astype(int) + np.random.default_rng(0).integers(-20, 21, frames.shape), 0, 255).astype(
        np.uint8
    )
    assert 0 < ms_ssim(frames, noisy) < 1
    assert 10 < psnr_y_db(frames, noisy) < 40
    with pytest.raises(ValueError):
        ms_ssim_window(32, 32)


@pytest.mark.slow
def test_smoke_benchmark_counts_every_byte(tmp_path, model64):
    suite = load_suite("procedural", count=2)
    results = run_benchmark(suite, [model64], tmp_path, points_per_codec=2, progress=False, log=lambda _: None)
    on_disk = json.loads((tmp_path / "results.json").read_text())
    assert on_disk["points"] == json.loads(json.dumps(results["points"]))
    codecs = {p["codec"] for p in results["points"]}
    assert codecs == {"bcdcodec", *classical.CODECS}
    assert len(results["points"]) == 1 + 2 * len(classical.CODECS)
    for point in results["points"]:
        assert point["sequences"] == 2
        assert all(k.endswith(("_mean", "_max")) or k in ("codec", "setting", "sequences") for k in point)
    # bytes reported are the bytes of the files / packets
    bcd_sizes = [len(api.compress(s.frames, model64, fps=s.fps)) for s in suite.sequences]
    ours = next(p for p in results["points"] if p["codec"] == "bcdcodec")
    assert ours["file_bytes_per_sequence_mean"] == pytest.approx(np.mean(bcd_sizes))
    spec = classical.CODECS["x265-420"]
    x265_sizes = [sum(map(len, classical.encode(s.frames, spec, spec.quality_values[0]))) for s in suite.sequences]
    x265 = next(p for p in results["points"] if p["codec"] == "x265-420" and p["setting"] == "crf=51")
    assert x265["file_bytes_per_sequence_mean"] == pytest.approx(np.mean(x265_sizes))
    assert x265["bits_per_pixel_mean"] == pytest.approx(np.mean(x265_sizes) * 8 / (8 * 64 * 64))
    for png in ("rd_psnr_rgb_db.png", "rd_ssim_win7.png", "rd_ms_ssim.png", "rd_psnr_y_db.png"):
        assert (tmp_path / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "x264-420" in results["bcdcodec_vs_classical"]["psnr_rgb_db"]
    assert results["environment"]["ffmpeg_via_pyav"]["libavcodec"]


@pytest.mark.slow
def test_bench_cli(tmp_path, model64):
    checkpoint = tmp_path / "m.pt"
    save_checkpoint(model64.net, checkpoint)
    out = tmp_path / "rd"
    result = run_cli(
        "bench",
        "procedural",
        "--out",
        out,
        "--model",
        checkpoint,
        "--sequences",
        "1",
        "--points",
        "1",
        "--codec",
        "x264-420",
        "--codec",
        "svtav1-420",
    )
    assert result.returncode == 0, result.stderr
    points = json.loads((out / "results.json").read_text())["points"]
    assert [p["codec"] for p in points] == ["bcdcodec", "x264-420", "svtav1-420"]
    bad = run_cli("bench", "procedural", "--out", tmp_path / "other", "--model", checkpoint, "--codec", "mpeg1")
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "mpeg1" in bad.stderr
    missing = run_cli("bench", tmp_path / "nowhere", "--out", tmp_path / "other", "--model", checkpoint)
    assert missing.returncode == 2 and "unknown suite" in missing.stderr
    again = run_cli(
        "bench",
        "procedural",
        "--out",
        out,
        "--model",
        checkpoint,
        "--sequences",
        "1",
        "--points",
        "1",
        "--codec",
        "x264-420",
    )
    assert again.returncode == 2 and "-f" in again.stderr  # results already there
    forced = run_cli(
        "bench",
        "procedural",
        "--out",
        out,
        "--model",
        checkpoint,
        "--sequences",
        "1",
        "--points",
        "1",
        "--codec",
        "x264-420",
        "-f",
    )
    assert forced.returncode == 0, forced.stderr


def test_gop_length_is_a_rate_point(model64):
    """Shorter GOPs send the content more often: more bytes for the same frames."""
    from bcdcodec.bench.runner import run_bcdcodec
    from bcdcodec.bench.suites import Sequence, Suite

    frames = moving_square_video(16, 64, 64, seed=2)  # two clips of 8
    suite = Suite("s", "", [Sequence("a", frames, 25)])
    short, long = (run_bcdcodec(suite, model64, progress=False, gop_seconds=g).summary() for g in (0.32, 10))
    assert short["setting"].startswith("tiny gop=0.32s") and long["setting"].startswith("tiny gop=10s")
    assert short["file_bytes_per_sequence_mean"] > long["file_bytes_per_sequence_mean"]


def test_judged_points_are_compared_on_the_judge_too():
    from bcdcodec.bench.runner import JUDGE_KEYS, QUALITY_KEYS, compare_all

    def point(codec, rate, quality, judged=True):
        p = {"codec": codec, "file_bytes_per_sequence_mean": rate, **{k + "_mean": quality for k in QUALITY_KEYS}}
        return {**p, **({k: quality / 40 for k in JUDGE_KEYS} if judged else {})}

    points = [point("bcdcodec", 10, 20), point("bcdcodec", 20, 30), point("x264", 100, 20), point("x264", 300, 30)]
    out = compare_all(points)
    assert set(out) == set(QUALITY_KEYS + JUDGE_KEYS)
    assert out["judge_action_accuracy"]["x264"]["bd_rate_percent_of_bcdcodec"] < -80
    assert set(compare_all([*points[:3], point("x264", 300, 30, judged=False)])) == set(QUALITY_KEYS)
