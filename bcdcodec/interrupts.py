"""Signals wait while the entropy coder's native code runs.

constriction is Rust; on first use it calls back into Python (to import numpy's C API). A
Python signal handler that raises during such a callback becomes a Rust panic: a message on
stderr and a garbled error instead of a clean interruption. Handlers made by :func:`deferred`
therefore only note a signal that arrives inside :func:`held`, and raise it again on the way out.
"""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Callable

_depth = 0
_pending: list[int] = []


@contextlib.contextmanager
def held():
    """Context manager (or decorator): signals handled by :func:`deferred` handlers take effect
    when the outermost ``held`` section ends."""
    global _depth
    _depth += 1
    try:
        yield
    finally:
        _depth -= 1
        if _depth == 0 and _pending:
            signum = _pending[0]
            _pending.clear()
            signal.raise_signal(signum)


def deferred(act: Callable[[int], None]) -> Callable:
    """A signal handler that calls ``act(signum)`` (which raises) at once, or after the current
    :func:`held` section."""

    def handle(signum, _frame) -> None:
        if _depth:
            _pending.append(signum)
            return
        act(signum)

    return handle
