"""Atomic output: write to a temporary name beside the target, rename when complete."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from .errors import InvalidArgumentError, OutputError

FRAME_NAME = re.compile(r"\d{6}\.png")  # the frames a folder output holds: 000000.png, 000001.png, ...


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def _is_frame_folder(path: Path) -> bool:
    """A folder holding nothing but the PNG frames a folder output writes (or nothing)."""
    try:
        return all(entry.is_file() and FRAME_NAME.fullmatch(entry.name) for entry in path.iterdir())
    except OSError:
        return False


def check_writable(path: Path, force: bool, inputs: Iterable[str | os.PathLike] = (), is_dir: bool = False) -> None:
    """Before any work: refuse to overwrite an existing output unless ``force``, and even with
    it refuse to replace an input, the current folder or a folder above it, a folder with a file
    output, or a folder holding anything but frames (:class:`InvalidArgumentError`); then make
    sure a file can be created beside it (:class:`OutputError` otherwise). ``is_dir``: the output
    is a folder of PNG frames."""
    path = Path(path)
    for source in inputs:
        if _same_file(path, Path(source)):
            raise InvalidArgumentError(f"{path} is also an input: choose another output name")
    if path.exists() or path.is_symlink():
        if not force:
            raise InvalidArgumentError(f"{path} exists (use -f to overwrite)")
        if path.is_dir() and not path.is_symlink():
            here = Path.cwd().resolve()
            if path.resolve() == here or path.resolve() in here.parents:
                raise InvalidArgumentError(f"{path} is the current folder or above it: name a new output folder")
            if not is_dir:
                raise InvalidArgumentError(f"{path} is a folder: not replaced by a file (remove it or choose a name)")
            if not _is_frame_folder(path):
                raise InvalidArgumentError(f"{path} holds files other than frames: not replaced (choose a new folder)")
        elif is_dir and path.exists():
            raise InvalidArgumentError(f"{path} is a file: not replaced by a folder of frames (choose a name)")
    if not path.parent.is_dir():
        raise OutputError(f"cannot write {path}: folder {path.parent} does not exist")
    try:
        with tempfile.NamedTemporaryFile(prefix=f".{path.name}.", suffix=".probe", dir=path.parent):
            pass  # created and removed again, also when a signal arrives in between
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_path(
    path: str | os.PathLike, force: bool = False, is_dir: bool = False, inputs: Iterable[str | os.PathLike] = ()
) -> Iterator[Path]:
    """Yield a temporary path (a fresh folder with ``is_dir``) in the target's folder; on success
    it replaces ``path``, on any error it is removed, so no partial output is ever left behind.
    Only what :func:`check_writable` allows is ever replaced: one file, or one folder of frames."""
    path = Path(path)
    check_writable(path, force, inputs, is_dir)
    if is_dir:
        tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent))
        os.chmod(tmp, 0o777 & ~_umask())
    else:
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp" + path.suffix, dir=path.parent)
        os.close(fd)
        tmp = Path(name)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; an output follows the umask like any file
    old = None
    try:
        yield tmp
        check_writable(path, force, inputs, is_dir)  # the target may have changed while we worked
        if is_dir and path.is_dir() and not path.is_symlink():
            old = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".old", dir=path.parent))
            os.replace(path, old / "frames")  # set the old frames aside; removed once the new are in place
        try:
            os.replace(tmp, path)
        except BaseException:
            if old is not None:
                os.replace(old / "frames", path)
            raise
    finally:
        if tmp.is_dir() and not tmp.is_symlink():
            shutil.rmtree(tmp, ignore_errors=True)
        elif tmp.exists():
            tmp.unlink()
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)


def write_bytes_atomic(
    path: str | os.PathLike, data: bytes, force: bool = False, inputs: Iterable[str | os.PathLike] = ()
) -> None:
    with atomic_path(path, force, inputs=inputs) as tmp:
        tmp.write_bytes(data)


def read_stream_file(path: str | os.PathLike) -> bytes:
    """The bytes of a .bcd file; :class:`InvalidArgumentError` naming the problem if unreadable."""
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise InvalidArgumentError(f"cannot read {path}: {exc.strerror}") from None
