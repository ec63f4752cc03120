"""GOPs through the codec: content once per GOP, scene cuts, random access, concealment."""

import numpy as np
import pytest

from bcdcodec import api, decoding
from bcdcodec.bitstream import read_stream
from bcdcodec.errors import InvalidArgumentError, StreamError
from bcdcodec.models.factory import moving_square_video


@pytest.fixture(scope="module")
def long_frames():
    return moving_square_video(44, 24, 32, seed=5)  # 11 clips of 4 frames at 25 fps: 1.76 s


def _gop_clips(data):
    return [u.clip_count for u in read_stream(data).units]


def test_gops_every_n_seconds_and_content_once_per_gop(tiny_model, long_frames):
    data = api.compress(long_frames, tiny_model, fps=25, gop_seconds=0.5, scene_cut=None)
    assert _gop_clips(data) == [3, 3, 3, 2]  # 0.5 s at 25 fps = 12 frames = 3 clips
    _, clips = api.decode_symbols(data, tiny_model)
    for first, count in ((0, 3), (3, 3), (6, 3), (9, 2)):
        assert all(np.array_equal(c.content, clips[first].content) for c in clips[first : first + count])
    one_gop = api.compress(long_frames, tiny_model, fps=25, gop_seconds=10, scene_cut=None)
    assert _gop_clips(one_gop) == [11] and len(one_gop) < len(data)


def test_scene_cuts_start_gops(tiny_model, long_frames):
    every_clip = api.compress(long_frames, tiny_model, fps=25, gop_seconds=10, scene_cut=0.0)
    never = api.compress(long_frames, tiny_model, fps=25, gop_seconds=10, scene_cut=None)
    assert len(_gop_clips(never)) == 1
    assert len(_gop_clips(every_clip)) > 1  # any content change is a cut at threshold 0
    with pytest.raises(InvalidArgumentError):
        api.compress(long_frames, tiny_model, fps=25, gop_seconds=0)


def test_random_access_decodes_the_same_frames_as_a_full_decode(tiny_model, long_frames):
    data = api.compress(long_frames, tiny_model, fps=25, gop_seconds=0.5, scene_cut=None)
    full = decoding.decode_stream(data, tiny_model).video.frames
    for start, duration in ((0.0, 0.2), (0.52, 0.4), (1.0, None), (1.7, 5.0)):
        part = decoding.decode_stream(data, tiny_model, start=start, duration=duration).video.frames
        first = round(start * 25)
        assert np.array_equal(part, full[first : first + len(part)])
        assert len(part) == (round(duration * 25) if duration and first + round(duration * 25) <= 44 else 44 - first)
    with pytest.raises(InvalidArgumentError):
        decoding.decode_stream(data, tiny_model, start=2.0)


def test_concealment_loses_only_the_damaged_gop(tiny_model, long_frames):
    data = bytearray(api.compress(long_frames, tiny_model, fps=25, gop_seconds=0.5, scene_cut=None))
    full = decoding.decode_stream(bytes(data), tiny_model).video.frames
    unit = read_stream(bytes(data)).units[1]
    data[unit.offset + unit.size - 4] ^= 0x01  # the second GOP's payload
    with pytest.raises(StreamError):
        decoding.decode_stream(bytes(data), tiny_model)
    decoded = decoding.decode_stream(bytes(data), tiny_model, conceal=True)
    frames = decoded.video.frames
    assert frames.shape == full.shape and decoded.lost == [(0.48, 0.96)]
    assert np.array_equal(frames[:12], full[:12]) and np.array_equal(frames[24:], full[24:])
    assert all(np.array_equal(f, full[11]) for f in frames[12:24])  # the last good frame, repeated


def test_mutated_multi_gop_streams_fail_cleanly_or_conceal_to_full_length(tiny_model, long_frames):
    data = api.compress(long_frames, tiny_model, fps=25, gop_seconds=0.5, scene_cut=None)
    rng = np.random.default_rng(0)
    for _ in range(60):
        mutated = bytearray(data)
        for position in rng.integers(0, len(data), size=rng.integers(1, 4)):
            mutated[position] ^= 1 << int(rng.integers(0, 8))
        if mutated == data:  # the same bit flipped twice
            continue
        try:
            decoded = decoding.decode_stream(bytes(mutated), tiny_model, conceal=True)
        except StreamError:
            continue
        assert decoded.video.frames.shape == (44, 24, 32, 3) and decoded.lost
    for cut in range(0, len(data), 7):
        with pytest.raises(StreamError):
            decoding.decode_stream(data[:cut], tiny_model)


def test_a_gop_codes_its_most_representative_content():
    from bcdcodec.packing import representative

    base = np.zeros((4, 2), dtype=np.int32)
    contents = [base + 3, base + 1, base + 2, base, base + 4]  # the third is nearest all the others
    assert representative(contents, [8] * 5) == 2
    # two clips are equally far from each other: the one read nearest the GOP's middle frame
    assert representative([base, base + 1], [8, 8]) == 1
    assert representative([base, base + 1, base + 2, base + 9], [8, 8, 8, 8]) == 2  # squared: pulled to the outlier
    assert representative([base], [3]) == 0
