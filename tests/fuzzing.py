"""A seeded mutation fuzzer for .bcd streams and video files (used by tests/test_fuzz.py and
benchmarks/fuzz.py). Every mutant must parse and decode, or fail with the library's typed error;
anything else is a finding."""

from __future__ import annotations

import tempfile
from collections import Counter
from pathlib import Path

import numpy as np

from bcdcodec import codec, decoding
from bcdcodec.bitstream import read_stream
from bcdcodec.errors import ModelMismatchError, StreamError, VideoError
from bcdcodec.video import open_video


def mutate(data: bytes, rng: np.random.Generator, others: list[bytes]) -> bytes:
    """One random mutation: bit flips, byte overwrites, inserts, deletes, a cut, a duplicated run,
    or a splice with another stream."""
    data = bytearray(data)
    kind = int(rng.integers(0, 7))
    n = len(data)
    if kind == 0:
        for _ in range(int(rng.integers(1, 5))):
            position = int(rng.integers(0, n))
            data[position] ^= 1 << int(rng.integers(0, 8))
    elif kind == 1:
        for _ in range(int(rng.integers(1, 4))):
            data[int(rng.integers(0, n))] = int(rng.integers(0, 256))
    elif kind == 2:
        position = int(rng.integers(0, n + 1))
        data[position:position] = rng.bytes(int(rng.integers(1, 8)))
    elif kind == 3:
        start = int(rng.integers(0, n))
        del data[start : start + int(rng.integers(1, 8))]
    elif kind == 4:
        data = data[: int(rng.integers(0, n))]
    elif kind == 5:
        start = int(rng.integers(0, n))
        run = data[start : start + int(rng.integers(1, 16))]
        position = int(rng.integers(0, n))
        data[position:position] = run
    else:
        other = others[int(rng.integers(0, len(others)))]
        cut = int(rng.integers(0, n))
        data = data[:cut] + other[int(rng.integers(0, len(other))) :]
    return bytes(data)


def check_stream(data: bytes, model: codec.CodecModel) -> str:
    """Parse and entropy-decode ``data`` (plainly, then with concealment); returns the outcome,
    raises on anything but a typed error."""
    try:
        decoding.decode_symbols(data, model)
        outcome = "decoded"
    except (StreamError, ModelMismatchError):
        outcome = "refused"
    try:
        parsed = read_stream(data, conceal=True)
        decoding.decode_clips(parsed, model, conceal=True)
    except (StreamError, ModelMismatchError):
        pass
    return outcome


def fuzz_streams(seeds: list[bytes], model: codec.CodecModel, cases: int, seed: int = 0) -> Counter:
    rng = np.random.default_rng(seed)
    outcomes: Counter = Counter()
    for _ in range(cases):
        mutant = mutate(seeds[int(rng.integers(0, len(seeds)))], rng, seeds)
        outcomes[check_stream(mutant, model)] += 1
    return outcomes


def fuzz_videos(seeds: dict[str, bytes], cases: int, seed: int = 0) -> Counter:
    """Mutated video files (by suffix) through the reader: frames or :class:`VideoError`."""
    rng = np.random.default_rng(seed)
    outcomes: Counter = Counter()
    names = sorted(seeds)
    with tempfile.TemporaryDirectory() as folder:
        for i in range(cases):
            name = names[int(rng.integers(0, len(names)))]
            path = Path(folder) / f"case{i}{Path(name).suffix}"
            path.write_bytes(mutate(seeds[name], rng, list(seeds.values())))
            try:
                for _ in open_video(path).frames:
                    pass
                outcomes["read"] += 1
            except VideoError:
                outcomes["refused"] += 1
            path.unlink()
    return outcomes
