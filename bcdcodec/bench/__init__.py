"""Rate-distortion benchmarks: bcdcodec against classical codecs (x264, x265, SVT-AV1, VP9)."""
