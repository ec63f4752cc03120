"""A signal that arrives inside interrupts.held() takes effect when the section ends."""

import signal

import pytest

from bcdcodec import interrupts


class Stop(Exception):
    pass


def _raise(signum):
    raise Stop(signum)


def test_signal_waits_for_the_held_section_to_end():
    previous = signal.signal(signal.SIGUSR1, interrupts.deferred(_raise))
    reached = []
    try:
        with pytest.raises(Stop):
            with interrupts.held():
                with interrupts.held():
                    signal.raise_signal(signal.SIGUSR1)
                    reached.append("inner")
                reached.append("outer")  # still held: the outer section has not ended
        assert reached == ["inner", "outer"]
        with pytest.raises(Stop):  # outside a held section it raises at once
            signal.raise_signal(signal.SIGUSR1)
    finally:
        signal.signal(signal.SIGUSR1, previous)
