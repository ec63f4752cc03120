"""The one place that imports compressai, and only the part of it bcdcodec uses.

bcdcodec uses compressai's ``EntropyBottleneck`` (the factorized prior of the content latent).
``import compressai`` runs its package ``__init__``, which imports every subpackage: datasets
(torch-geometric, pandas), the model zoo (requests), torchvision transforms. That costs about
3 s of every command's start and seven packages no code path here needs, and no torchvision
build works with the CPU torch we pin.

So the package is entered without running its ``__init__``: a module object stands in for
``compressai`` with the package's real path, and ``compressai.entropy_models`` (which needs only
``compressai.ops`` and the compiled ``_CXX``/``ans`` extensions) is imported into it. The two
functions ``entropy_models`` asks the package for at run time are provided with compressai's own
defaults ("ans" coder); a submodule asked for is imported on its own. Any other attribute asked
of it runs the real ``__init__`` then and there, so code that does use more of compressai gets
the whole package, as if imported normally. ``scipy.stats``, which ``entropy_models`` imports
for its Gaussian model only (0.6 s), is deferred: it is imported when first used.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types

from .errors import BcdError

_INSTALL_HINT = "install it with: pip install --no-deps compressai==1.2.8"


class _CompressaiPackage(types.ModuleType):
    """``compressai`` before its ``__init__`` has run (see the module docstring)."""

    _complete = False

    def get_entropy_coder(self) -> str:
        return "ans"

    def available_entropy_coders(self) -> list[str]:
        return ["ans"]

    def __getattr__(self, name: str):
        if name.startswith("__") or self._complete:
            raise AttributeError(name)
        if importlib.util.find_spec(f"compressai.{name}") is not None:  # a submodule: import just it
            return importlib.import_module(f"compressai.{name}")
        self._complete = True
        with open(self.__spec__.origin, encoding="utf-8") as source:
            exec(compile(source.read(), self.__spec__.origin, "exec"), self.__dict__)
        return getattr(self, name)


class _DeferredModule(types.ModuleType):
    """Stands in ``sys.modules`` for a module until its first attribute is asked for; then the
    real module is imported (replacing the stand-in) and answers."""

    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        if sys.modules.get(self.__name__) is self:
            del sys.modules[self.__name__]
        return getattr(importlib.import_module(self.__name__), name)


def _defer(name: str) -> None:
    if name not in sys.modules and importlib.util.find_spec(name) is not None:
        sys.modules[name] = _DeferredModule(name)


def _entropy_models() -> types.ModuleType:
    if "compressai.entropy_models" in sys.modules:
        return sys.modules["compressai.entropy_models"]
    _defer("scipy.stats")
    if "compressai" not in sys.modules:
        spec = importlib.util.find_spec("compressai")
        if spec is None or not spec.submodule_search_locations:
            raise BcdError(f"compressai is not installed; {_INSTALL_HINT}")
        package = _CompressaiPackage("compressai")
        package.__spec__, package.__file__ = spec, spec.origin
        package.__path__ = list(spec.submodule_search_locations)
        package.__package__ = "compressai"
        sys.modules["compressai"] = package
    try:
        return importlib.import_module("compressai.entropy_models")
    except ImportError as exc:
        raise BcdError(f"cannot import compressai.entropy_models ({exc}); {_INSTALL_HINT}") from exc


def entropy_bottleneck_class():
    """compressai's factorized-prior ``EntropyBottleneck`` class."""
    return _entropy_models().EntropyBottleneck
