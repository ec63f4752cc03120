"""Where data sets and derived caches live: never inside the installed package.

- Data (``../shared/data`` layout: ``sprites/dsvae_layers``, ``talking_heads``, ``natural``):
  ``$BCDCODEC_DATA``; by default ``shared/data`` beside a source checkout (``../shared/data``
  from the repository root), else ``./data`` under the current folder.
- Caches (decoded splits, frames at model resolution): ``$BCDCODEC_CACHE``; by default
  ``$XDG_CACHE_HOME/bcdcodec`` or ``~/.cache/bcdcodec``.
"""

from __future__ import annotations

import os
from pathlib import Path

DATA_ENV = "BCDCODEC_DATA"
CACHE_ENV = "BCDCODEC_CACHE"
_CHECKOUT = Path(__file__).resolve().parent.parent


def data_root() -> Path:
    if os.environ.get(DATA_ENV):
        return Path(os.environ[DATA_ENV])
    if (_CHECKOUT / "pyproject.toml").is_file():
        return _CHECKOUT.parent / "shared" / "data"
    return Path.cwd() / "data"


def sprites_sheets() -> Path:
    """The LPC layer sheets of the Sprites benchmark."""
    return data_root() / "sprites" / "dsvae_layers"


def cache_dir(name: str) -> Path:
    """The cache folder for ``name`` (created by whoever writes to it)."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]) / name
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "bcdcodec" / name
