import numpy as np
import pytest

from bcdcodec.data import sprites
from bcdcodec.data.folder import VideoFolderClips
from bcdcodec.data.procedural import procedural_split, sequence
from bcdcodec.paths import sprites_sheets
from bcdcodec.video import Video, write_video


def test_split_follows_the_protocol():
    train, test = sprites.split_characters()
    assert len(train) == 1000 and len(test) == 296
    assert len(set(train) | set(test)) == 1296
    assert train[:3].tolist() == [1116, 1135, 17]  # np.random.seed(423); np.random.permutation(1296)
    assert sprites.character_attributes(1116) == (5, 1, 0, 0)
    assert [sprites.motion_class(a, d) for a in sprites.ACTIONS for d in sprites.DIRECTIONS] == list(range(9))


@pytest.mark.skipif(not (sprites_sheets() / "body" / "0.png").is_file(), reason="LPC sheets not present")
def test_character_sequences_from_sheets():
    seqs = sprites.SheetLibrary().sequences(17)
    assert seqs.shape == (9, 8, 64, 64, 3) and seqs.dtype == np.uint8
    assert seqs[:, :, 0, 0].max() == 0  # composited over black
    assert not np.array_equal(seqs[0, 0], seqs[0, 1])  # walking moves


def test_procedural_split_is_seeded_and_labelled():
    a, b = procedural_split(12, seed=5), procedural_split(12, seed=5)
    assert np.array_equal(a.videos, b.videos) and np.array_equal(a.motion, b.motion)
    assert a.videos.shape == (12, 8, 64, 64, 3) and a.attributes.shape == (12, 4)
    assert ((0 <= a.attributes) & (a.attributes < 6)).all() and ((0 <= a.motion) & (a.motion < 9)).all()
    # attributes change pixels, motion changes frames
    assert not np.array_equal(sequence((0, 0, 0, 0), 0), sequence((1, 0, 0, 0), 0))
    assert not np.array_equal(sequence((0, 0, 0, 0), 0), sequence((0, 0, 0, 0), 6))


def test_video_folder_clips(tmp_path, sample_frames):
    (tmp_path / "sub").mkdir()
    write_video(Video(sample_frames, 25), tmp_path / "sub" / "a.mp4")
    write_video(Video(sample_frames[:3], 25), tmp_path / "short.mp4")
    (tmp_path / "broken.mp4").write_bytes(b"nope")
    data = VideoFolderClips(tmp_path, clip_len=4, size=16)
    assert len(data) == 1
    batch = data.sample(3, np.random.default_rng(0))
    assert batch.shape == (3, 4, 3, 16, 16) and -1 <= batch.min() and batch.max() <= 1
