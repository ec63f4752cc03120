"""Video files in and out (PyAV), and fitting frames to the model's resolution."""

from .fit import fit_frames, unfit_frames
from .reader import Video, VideoSource, open_video, read_video
from .writer import output_kind, write_video

__all__ = ["Video", "VideoSource", "open_video", "read_video", "write_video", "output_kind", "fit_frames", "unfit_frames"]
