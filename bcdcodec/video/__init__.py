"""Video files in and out (PyAV), and fitting frames to the model's resolution."""

from .fit import fit_frames, unfit_frames
from .reader import Video, VideoSource, open_video, read_video
from .writer import VideoWriter, output_kind, write_video

__all__ = [
    "Video",
    "VideoSource",
    "VideoWriter",
    "fit_frames",
    "open_video",
    "output_kind",
    "read_video",
    "unfit_frames",
    "write_video",
]
