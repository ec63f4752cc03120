"""Video files in and out (PyAV), and fitting frames to the model's resolution."""

from .fit import fit_frames, unfit_frames
from .io import Video, read_video, write_video

__all__ = ["Video", "read_video", "write_video", "fit_frames", "unfit_frames"]
