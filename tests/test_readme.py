"""The README's Python example runs as written and does what its comments say."""

import re

import numpy as np

from .conftest import REPO


def test_readme_python_example_runs(capsys):
    readme = (REPO / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", readme, flags=re.S)
    assert len(blocks) == 1
    namespace: dict = {}
    exec(compile(blocks[0], "README.md", "exec"), namespace)
    assert re.fullmatch(r"\d+ bytes, 1 clip\n", capsys.readouterr().out)
    video, clips = namespace["video"], namespace["clips"]
    assert video.frames.shape == (8, 64, 64, 3) and video.frames.dtype == np.uint8
    assert len(clips) == 1 and clips[0].motion.shape[0] == 8
    assert len(namespace["data"]) < 100
