"""Maps library exceptions to one-line messages and exit codes; the only place that exits."""

from __future__ import annotations

import functools
import signal
import sys

import click

from bcdcodec import errors, interrupts

EXIT_CODES = (  # most specific first
    (errors.StreamError, 3),
    (errors.ModelMismatchError, 4),
    (errors.ModelLoadError, 4),
    (errors.VideoError, 5),
    (errors.OutputError, 5),
    (errors.InvalidArgumentError, 2),
    (errors.BcdError, 1),
)


OUT_OF_MEMORY = ("can't allocate memory", "DefaultCPUAllocator", "not enough memory", "out of memory")


def is_out_of_memory(exc: BaseException) -> bool:
    """A failed allocation: Python's ``MemoryError`` or torch's allocator ``RuntimeError``."""
    return isinstance(exc, MemoryError) or (
        isinstance(exc, RuntimeError) and any(text in str(exc) for text in OUT_OF_MEMORY)
    )


class SignalExit(BaseException):
    """SIGTERM or SIGHUP arrived: unwinds like KeyboardInterrupt, so that every temporary output
    is removed on the way out (``fileio.atomic_path``)."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


def _raise_signal(signum: int) -> None:
    if signum == signal.SIGINT:
        raise KeyboardInterrupt
    raise SignalExit(signum)


def install_signal_handlers() -> None:
    """SIGTERM (``timeout``, systemd, ``docker stop``) and SIGHUP end a command the way Ctrl-C
    (SIGINT) does. Only SIGKILL, which cannot be caught, can leave a temporary file behind. All
    three wait while the entropy coder's native code runs (``bcdcodec.interrupts``)."""
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, interrupts.deferred(_raise_signal))


def fail(message: str, code: int) -> None:
    click.echo(f"bcdcodec: error: {message}", err=True)
    sys.exit(code)


def one_line_errors(command):
    """Run ``command``; any error becomes one line on stderr and a non-zero exit, never a traceback."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        install_signal_handlers()
        try:
            return command(*args, **kwargs)
        except click.exceptions.Exit:
            raise
        except click.ClickException:
            raise
        except KeyboardInterrupt:
            fail("interrupted (SIGINT)", 130)
        except SignalExit as exc:
            fail(f"terminated ({signal.Signals(exc.signum).name})", 128 + exc.signum)
        except errors.BcdError as exc:
            code = next(c for kind, c in EXIT_CODES if isinstance(exc, kind))
            fail(str(exc).splitlines()[0] if str(exc) else type(exc).__name__, code)
        except OSError as exc:  # a file the command reads or writes
            fail(f"{exc.strerror or exc}{': ' + str(exc.filename) if exc.filename else ''}", 5)
        except Exception as exc:  # a bug: still one line, with the type to report it
            if is_out_of_memory(exc):
                fail("out of memory (the machine could not give what this input needs)", 1)
            first = str(exc).splitlines()[0] if str(exc) else ""
            fail(f"internal error ({type(exc).__name__}: {first}); please report it", 70)

    return wrapper


def run_group(group: click.Group, argv: list[str] | None = None) -> None:
    """Run the command line; a usage error (unknown option, bad value, missing argument) is one
    ``bcdcodec: error:`` line and exit 2, like every other error."""
    try:
        group.main(args=argv, prog_name="bcdcodec", standalone_mode=False)
    except click.exceptions.Abort:
        fail("interrupted (SIGINT)", 130)
    except click.exceptions.NoArgsIsHelpError as exc:  # a bare "bcdcodec": its help
        click.echo(exc.ctx.get_help())
    except click.ClickException as exc:
        message = exc.format_message().splitlines()[0] if exc.format_message() else type(exc).__name__
        fail(message, exc.exit_code if exc.exit_code else 2)
    sys.exit(0)
