"""The one place that imports compressai.

compressai 1.2.8 imports ``torchvision.transforms`` at import time (only to list its transform
classes in a registry), but no torchvision build works with the CPU torch we pin. bcdcodec uses
nothing from torchvision, so when torchvision cannot be imported we put an empty stand-in module
in ``sys.modules`` for the duration of ``import compressai`` and remove it right after: compressai
ends up with an empty torchvision transform registry, and nobody else ever sees the stand-in.
If a working torchvision is installed, it is used and nothing is faked.
"""

from __future__ import annotations

import importlib
import sys
import types

from .errors import BcdError

_STAND_IN_NAMES = ("torchvision", "torchvision.transforms")


def _torchvision_importable() -> bool:
    try:
        importlib.import_module("torchvision.transforms")
        return True
    except Exception:  # missing, or present but broken against this torch build
        for name in list(sys.modules):
            if name == "torchvision" or name.startswith("torchvision."):
                del sys.modules[name]
        return False


def import_compressai() -> types.ModuleType:
    """Import and return the ``compressai`` package, working around a missing torchvision."""
    if "compressai" in sys.modules:
        return sys.modules["compressai"]
    if _torchvision_importable():
        return importlib.import_module("compressai")
    stand_in = types.ModuleType("torchvision")
    stand_in.transforms = types.ModuleType("torchvision.transforms")
    sys.modules["torchvision"] = stand_in
    sys.modules["torchvision.transforms"] = stand_in.transforms
    try:
        return importlib.import_module("compressai")
    except ImportError as exc:
        raise BcdError(
            f"cannot import compressai ({exc}); install it with: pip install --no-deps compressai==1.2.8"
        ) from exc
    finally:
        for name in _STAND_IN_NAMES:
            if sys.modules.get(name) is stand_in or sys.modules.get(name) is stand_in.transforms:
                del sys.modules[name]


def entropy_bottleneck_class():
    """compressai's factorized-prior ``EntropyBottleneck`` class."""
    return import_compressai().entropy_models.EntropyBottleneck
