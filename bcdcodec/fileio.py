"""Atomic output: write to a temporary name beside the target, rename when complete."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from .errors import InvalidArgumentError, OutputError


def check_writable(path: Path, force: bool) -> None:
    """Before any work: refuse to overwrite an existing output unless ``force``
    (:class:`InvalidArgumentError`), and make sure a file can be created beside it
    (:class:`OutputError` otherwise)."""
    path = Path(path)
    if path.exists() and not force:
        raise InvalidArgumentError(f"{path} exists (use -f to overwrite)")
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
def atomic_path(path: str | os.PathLike, force: bool = False, is_dir: bool = False) -> Iterator[Path]:
    """Yield a temporary path in the target's folder; on success it replaces ``path``, on any
    error it is removed, so no partial output is ever left behind."""
    path = Path(path)
    check_writable(path, force)
    if is_dir:
        tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent))
        os.chmod(tmp, 0o777 & ~_umask())
    else:
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp" + path.suffix, dir=path.parent)
        os.close(fd)
        tmp = Path(name)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; an output follows the umask like any file
    try:
        yield tmp
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        elif path.exists() and is_dir:
            path.unlink()
        os.replace(tmp, path)
    finally:
        if tmp.is_dir():
            shutil.rmtree(tmp, ignore_errors=True)
        elif tmp.exists():
            tmp.unlink()


def write_bytes_atomic(path: str | os.PathLike, data: bytes, force: bool = False) -> None:
    with atomic_path(path, force) as tmp:
        tmp.write_bytes(data)


def read_stream_file(path: str | os.PathLike) -> bytes:
    """The bytes of a .bcd file; :class:`InvalidArgumentError` naming the problem if unreadable."""
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise InvalidArgumentError(f"cannot read {path}: {exc.strerror}") from None
