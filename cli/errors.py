"""Maps library exceptions to one-line messages and exit codes; the only place that exits."""

from __future__ import annotations

import functools
import sys

import click

from bcdcodec import errors

EXIT_CODES = (  # most specific first
    (errors.StreamError, 3),
    (errors.ModelMismatchError, 4),
    (errors.ModelLoadError, 4),
    (errors.VideoError, 5),
    (errors.InvalidArgumentError, 2),
    (errors.BcdError, 1),
)


def fail(message: str, code: int) -> None:
    click.echo(f"bcdcodec: error: {message}", err=True)
    sys.exit(code)


def one_line_errors(command):
    """Run ``command``; any error becomes one line on stderr and a non-zero exit, never a traceback."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except click.exceptions.Exit:
            raise
        except click.ClickException:
            raise
        except KeyboardInterrupt:
            fail("interrupted", 130)
        except errors.BcdError as exc:
            code = next(c for kind, c in EXIT_CODES if isinstance(exc, kind))
            fail(str(exc).splitlines()[0] if str(exc) else type(exc).__name__, code)
        except MemoryError:
            fail("out of memory", 1)
        except OSError as exc:
            fail(f"{exc.strerror or exc}{': ' + str(exc.filename) if exc.filename else ''}", 1)
        except Exception as exc:  # a bug: still one line, with the type to report it
            first = str(exc).splitlines()[0] if str(exc) else ""
            fail(f"internal error ({type(exc).__name__}: {first}); please report it", 70)

    return wrapper
