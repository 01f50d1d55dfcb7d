"""``run_cli(main)``: how every command-line entry ends.

A ``UserError`` (or a device error: a GPU asked for where there is none) becomes one line on
stderr and exit code 2; Ctrl-C becomes one line (the library's own, e.g. where the last
checkpoint is, from ``gluonkit.utils.errors.Interrupted``) and exit code 130. Anything else is a
bug and keeps its traceback. ``--debug`` shows the traceback of every error.

    def main(argv=None) -> int:
        p = cli.parser(__doc__)
        ...

    if __name__ == "__main__":
        sys.exit(cli.run_cli(main))
"""
from __future__ import annotations

import argparse
import sys
from typing import Callable, Sequence

from gluonkit.core.device import DeviceError

from .errors import UserError

__all__ = ["run_cli", "parser", "progress_flag", "USER_ERRORS"]

USER_ERRORS = (UserError, DeviceError)
EXIT_USER_ERROR = 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, what a shell reports for Ctrl-C


def parser(description: str | None) -> argparse.ArgumentParser:
    """An ``ArgumentParser`` with the shared ``--debug`` flag."""
    p = argparse.ArgumentParser(description=description,
                                formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--debug", action="store_true",
                   help="show the full traceback of an error instead of one line")
    return p


def progress_flag(p: argparse.ArgumentParser) -> None:
    """``--progress/--no-progress``: None when neither is given (bars only in a terminal)."""
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="progress bars (default: only when writing to a terminal)")


def run_cli(main: Callable[[Sequence[str] | None], int | None],
            argv: Sequence[str] | None = None) -> int:
    """Run ``main(argv)`` and turn user errors and Ctrl-C into one line and an exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    try:
        return main(argv) or 0
    except USER_ERRORS as e:
        if debug:
            raise
        print(f"error: {e}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt as e:
        if debug:
            raise
        print(f"interrupted: {e}" if str(e) else "interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
