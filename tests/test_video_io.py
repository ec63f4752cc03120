from fractions import Fraction

import numpy as np
import pytest
import torch

from bcdcodec.errors import InvalidArgumentError, VideoError
from bcdcodec.video import Video, fit_frames, read_video, unfit_frames, write_video


@pytest.mark.parametrize("suffix,tolerance", [(".mp4", 8.0), (".mkv", 8.0), (".y4m", 2.0)])
def test_write_then_read(tmp_path, sample_frames, suffix, tolerance):
    path = tmp_path / f"v{suffix}"
    write_video(Video(sample_frames, Fraction(30000, 1001)), path)
    back = read_video(path)
    assert back.frames.shape == sample_frames.shape
    assert back.fps == Fraction(30000, 1001)
    assert np.abs(back.frames.astype(int) - sample_frames).mean() < tolerance


def test_png_folder_and_odd_sizes(tmp_path):
    frames = np.random.default_rng(0).integers(0, 256, (3, 9, 11, 3), dtype=np.uint8)
    write_video(Video(frames, 10), tmp_path / "frames")
    assert sorted(p.name for p in (tmp_path / "frames").iterdir()) == ["000000.png", "000001.png", "000002.png"]
    write_video(Video(frames, 10), tmp_path / "odd.mp4")
    assert read_video(tmp_path / "odd.mp4").frames.shape == frames.shape


def test_raw_i420_and_elementary_streams(tmp_path, sample_frames):
    yuv = tmp_path / "clip_32x24_10fps.yuv"
    y = np.full((5, 24, 32), 100, np.uint8)
    uv = np.full((5, 12, 32), 128, np.uint8)
    np.concatenate([y, uv], axis=1).tofile(yuv)
    video = read_video(yuv)
    assert video.frames.shape == (5, 24, 32, 3) and video.fps == 10
    assert np.abs(video.frames.astype(int) - 98).max() <= 1  # limited-range Y=100 is RGB grey 98
    with pytest.raises(VideoError):
        read_video(tmp_path / "clip_31x24.yuv")
    import av

    h264 = tmp_path / "clip.264"
    with av.open(str(h264), "w", format="h264") as container:
        stream = container.add_stream("libx264", rate=25)
        stream.width, stream.height, stream.pix_fmt = 32, 24, "yuv420p"
        for frame in sample_frames:
            container.mux(stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24").reformat(format="yuv420p")))
        container.mux(stream.encode(None))
    assert read_video(h264).frames.shape == sample_frames.shape


def test_bad_inputs_are_video_errors(tmp_path):
    (tmp_path / "junk.mp4").write_bytes(b"not a video at all" * 10)
    (tmp_path / "empty.mp4").write_bytes(b"")
    for path in (tmp_path / "junk.mp4", tmp_path / "empty.mp4", tmp_path / "missing.mp4"):
        with pytest.raises(VideoError):
            read_video(path)


def test_no_overwrite_without_force_and_no_partial_output(tmp_path, sample_frames):
    path = tmp_path / "v.mp4"
    write_video(Video(sample_frames, 25), path)
    with pytest.raises(InvalidArgumentError):
        write_video(Video(sample_frames, 25), path)
    write_video(Video(sample_frames[:2], 25), path, force=True)
    assert read_video(path).frames.shape[0] == 2
    with pytest.raises(VideoError):
        write_video(Video(sample_frames[:0], 25), tmp_path / "none.mp4")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["v.mp4"]


@pytest.mark.parametrize(
    "policy,out_hw", [("stretch", (24, 32)), ("crop", (24, 24)), ("pad", (24, 32)), ("fill", (24, 32))]
)
def test_fit_policies(sample_frames, policy, out_hw):
    model_frames = fit_frames(torch.from_numpy(sample_frames), 16, policy)
    assert model_frames.shape == (10, 3, 16, 16)
    assert -1.0 <= model_frames.min() and model_frames.max() <= 1.0
    back = unfit_frames(model_frames, 32, 24, policy)
    assert back.shape == (10, *out_hw, 3) and back.dtype == torch.uint8


def test_fill_keeps_the_coded_square_sharp_and_blurs_the_sides():
    """A 16:9 frame under ``fill``: the middle square is exactly what ``crop`` returns, the sides
    are a smooth fill (no bits spent) rather than black bars or the square stretched."""
    g = torch.Generator().manual_seed(0)
    model_frames = torch.rand(2, 3, 16, 16, generator=g) * 2 - 1
    wide = unfit_frames(model_frames, 64, 36, "fill")
    square = unfit_frames(model_frames, 64, 36, "crop")
    assert wide.shape == (2, 36, 64, 3) and square.shape == (2, 36, 36, 3)
    assert torch.equal(wide[:, :, 14:50], square)
    sides = torch.cat([wide[:, :, :14], wide[:, :, 50:]], 2).float()
    assert sides.std(2).mean() < square.float().std(2).mean() / 2  # blurred, not noise
    assert sides.mean() > 40  # filled, not black
