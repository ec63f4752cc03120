"""The key-frame codec (faces-flow-128): key picture and flow coding, streams, rate control."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import torch

from bcdcodec import api
from bcdcodec.bitstream import read_stream
from bcdcodec.codec import frames_source
from bcdcodec.coding import flow_gop
from bcdcodec.coding.keypicture import decode_picture, encode_picture
from bcdcodec.errors import CorruptPacketError, InvalidArgumentError, ModelMismatchError
from bcdcodec.evaluation.metrics import psnr_db
from bcdcodec.flowcodec import FACES_FLOW, FlowCodec, FlowPoint
from bcdcodec.keyflow import fit_flow, warp
from bcdcodec.ratecontrol import flow_encode_to_rate, kbps

TINY = FlowCodec(
    name="tiny-flow",
    model_id=0,
    image_size=32,
    grid=2,
    clip_len=4,
    points=(FlowPoint(63, 80, 2), FlowPoint(45, 40, 1), FlowPoint(20, 20, 1)),
    default_point=1,
)


def panning_video(frames: int = 12, height: int = 40, width: int = 48) -> np.ndarray:
    """A smooth pattern sliding right by one pixel a frame: ``[T, H, W, 3]`` uint8."""
    y, x = np.mgrid[:height, : width + frames].astype(np.float64)
    base = np.stack([128 + 90 * np.sin(x / 5), 128 + 90 * np.cos(y / 6), 128 + 60 * np.sin((x + y) / 9)], -1)
    return np.stack([base[:, t : t + width] for t in range(frames)]).round().clip(0, 255).astype(np.uint8)


def test_key_picture_round_trip_is_small_and_close():
    picture = panning_video(1, 32, 32)[0]
    data = encode_picture(picture, 30)
    decoded = decode_picture(data, 32)
    assert decoded.shape == (32, 32, 3) and decoded.dtype == np.uint8
    assert psnr_db(picture, decoded) > 25
    assert len(encode_picture(picture, 63)) < len(data)
    with pytest.raises(CorruptPacketError):
        decode_picture(data, 64)  # another size than the stream's
    with pytest.raises(CorruptPacketError):
        decode_picture(b"\x00" * 12, 32)
    with pytest.raises(InvalidArgumentError):
        encode_picture(picture, 64)


def test_flow_tables_are_valid_integer_rows():
    assert flow_gop.TABLES.shape == (flow_gop.SCALES, 2 * flow_gop.DELTA_LIMIT + 1)
    assert (flow_gop.TABLES >= 1).all() and (flow_gop.TABLES.sum(1) == 1 << flow_gop.PRECISION).all()
    assert np.array_equal(flow_gop.TABLES[5], flow_gop.delta_table(5))
    assert (flow_gop.TABLES[:, flow_gop.DELTA_LIMIT] >= flow_gop.TABLES.max(1)).all()  # peaked at 0


@pytest.mark.parametrize("spread", [0, 1, 6, 63])
def test_flow_gop_round_trips_every_symbol(spread):
    rng = np.random.default_rng(spread)
    flow = rng.integers(-spread, spread + 1, (9, 2, 3, 3)).astype(np.int32)
    payload = flow_gop.encode_flow_gop(b"picture", flow)
    picture, decoded = flow_gop.decode_flow_gop(payload, 9, 3)
    assert picture == b"picture" and np.array_equal(decoded, flow)


def test_flow_gop_rejects_damage():
    payload = flow_gop.encode_flow_gop(b"pic", np.zeros((4, 2, 2, 2), np.int32))
    for bad in (payload[:2], b"\xff\xff" + payload[2:], b"\x00\x00" + payload[2:]):
        with pytest.raises(CorruptPacketError):
            flow_gop.decode_flow_gop(bad, 4, 2)
    with pytest.raises(ValueError):
        flow_gop.encode_flow_gop(b"pic", np.full((1, 2, 2, 2), 64, np.int32))


def test_fitted_flow_follows_a_pan():
    video = torch.from_numpy(panning_video(6, 32, 32)).permute(0, 3, 1, 2).float() / 127.5 - 1
    still = ((video[:1] - video) ** 2).mean()
    flow = fit_flow(video[:1], video, 2)
    moved = ((warp(video[:1], flow) - video) ** 2).mean()
    assert moved < 0.5 * still
    assert float(flow[-1, 0].mean()) > 0.1  # x moves the right way: 5 px of 32 is 0.31 units


def test_stream_round_trip_and_operating_points():
    frames = panning_video()
    sizes = []
    for point in range(TINY.top_point + 1):
        data = api.compress(frames, TINY, fps=25, point=point, fit="stretch")
        header = read_stream(data).header
        assert header.model_id == 0 and header.clip_len == 4 and header.frame_count == 12
        assert header.operating_point == (None if point == TINY.default_point else point)
        video = api.decompress(data, TINY)
        assert video.frames.shape == frames.shape and video.fps == 25
        sizes.append((len(data), psnr_db(frames, video.frames)))
    assert [s for s, _ in sizes] == sorted(s for s, _ in sizes) and len({s for s, _ in sizes}) == 3
    assert sizes[-1][1] > sizes[0][1] and sizes[-1][1] > 24


def test_stream_needs_its_own_codec_and_conceals_damage(tiny_model):
    frames = panning_video()
    data = api.compress(frames, TINY, fps=25, gop_seconds=0.16)  # one clip per GOP
    assert len(read_stream(data).units) == 3
    with pytest.raises(ModelMismatchError):
        api.decompress(data, tiny_model)
    with pytest.raises(ModelMismatchError):
        api.decompress(data, FACES_FLOW)
    damaged = bytearray(data)
    damaged[-3] ^= 0xFF  # inside the last GOP
    with pytest.raises(CorruptPacketError):
        api.decompress(bytes(damaged), TINY)
    decoded = api.decode_stream(bytes(damaged), TINY, conceal=True)
    assert decoded.lost == [(0.32, 0.48)]
    assert (decoded.video.frames[8:] == decoded.video.frames[7]).all()


def test_decoding_is_the_same_in_another_process_and_thread_count(tmp_path):
    data = api.compress(panning_video(), FACES_FLOW, fps=25, fit="stretch")
    (tmp_path / "a.bcd").write_bytes(data)
    here = api.decompress(data).frames
    script = (
        "import sys, torch, numpy as np; torch.set_num_threads(1); from bcdcodec import api;"
        "np.save(sys.argv[2], api.decompress(open(sys.argv[1], 'rb').read()).frames)"
    )
    subprocess.run([sys.executable, "-c", script, tmp_path / "a.bcd", tmp_path / "b.npy"], check=True)
    assert np.array_equal(np.load(tmp_path / "b.npy"), here)


def test_rate_control_is_a_ceiling():
    frames = panning_video(16)
    middle = api.compress(frames, TINY, fps=25, point=1, fit="stretch")
    target = kbps(len(middle), 16, 25)
    choice = flow_encode_to_rate(frames_source(frames, 25), TINY, target, fit="stretch")
    assert 0.9 * target <= choice.kbps <= target  # a ceiling
    assert choice.kbps == kbps(len(choice.data), 16, 25)
    top = flow_encode_to_rate(frames_source(frames, 25), TINY, 1000.0, fit="stretch")
    assert top.kbps <= 1000.0 and top.variant.point == TINY.top_point  # the closest below, far off
    low = flow_encode_to_rate(frames_source(frames, 25), TINY, 0.001, fit="stretch")
    assert low.kbps > 0.001 and low.variant.point == 0  # none below: the lowest rate


def test_partial_decode_and_transfer():
    frames = panning_video(16)
    data = api.compress(frames, TINY, fps=25, gop_seconds=0.32, fit="stretch")  # two GOPs of two clips
    whole = api.decompress(data, TINY).frames
    part = api.decode_stream(data, TINY, start=0.2, duration=0.24).video.frames  # frames 5 .. 10
    assert np.array_equal(part, whole[5:11])
    still = api.compress(frames[:1].repeat(8, axis=0), TINY, fps=25, fit="stretch")
    moved = api.transfer(still, data, TINY)
    assert moved.frames.shape == frames.shape and moved.fps == 25
    assert not np.array_equal(moved.frames[0], moved.frames[-1])  # the still picture moves


def test_an_oversized_key_picture_is_refused_before_decoding():
    big = encode_picture(np.full((64, 64, 3), 90, np.uint8), 50)
    with pytest.raises(CorruptPacketError, match="does not decode"):
        decode_picture(big, 32)


def test_damaged_streams_fail_with_a_stream_error_only():
    from bcdcodec.errors import StreamError

    data = api.compress(panning_video(8), TINY, fps=25, fit="stretch")
    rng = np.random.default_rng(0)
    outcomes = set()
    for _ in range(150):
        damaged = bytearray(data)
        for at in rng.integers(0, len(data), rng.integers(1, 4)):
            damaged[at] = rng.integers(0, 256)
        cut = bytes(damaged[: rng.integers(1, len(data) + 1)]) if rng.random() < 0.3 else bytes(damaged)
        try:
            api.decompress(cut, TINY)
            outcomes.add("decoded")
        except StreamError as exc:
            outcomes.add(type(exc).__name__)
        except ModelMismatchError:
            outcomes.add("ModelMismatchError")  # the header's id or hash was hit
    assert "CorruptPacketError" in outcomes


def test_rate_control_lands_between_operating_points():
    frames = panning_video(16)
    rates = [kbps(len(api.compress(frames, TINY, fps=25, point=p, fit="stretch")), 16, 25) for p in (0, 1)]
    target = (rates[0] * rates[1]) ** 0.5  # between quality 1 and 2, farther than 10 % from both
    assert rates[0] < 0.9 * target and rates[1] > 1.1 * target
    choice = flow_encode_to_rate(frames_source(frames, 25), TINY, target, fit="stretch")
    assert abs(choice.kbps - target) <= 0.1 * target and choice.variant.point == 0
    assert api.decompress(choice.data, TINY).frames.shape == frames.shape  # the stream needs no crf
