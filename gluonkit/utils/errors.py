"""``UserError``: the base of errors a user causes and can fix (bad input, a missing file, no
network). Command-line entries print their message without a traceback (``gluonkit.utils.cli``);
any other exception is a bug and keeps its traceback.
"""
from __future__ import annotations

__all__ = ["UserError", "Interrupted"]


class UserError(Exception):
    """An error whose message says what was wrong and how to fix it.

    Mix it into a specific error class so that library callers can still catch the usual type::

        class ConfigError(UserError, ValueError): ...
    """


class Interrupted(KeyboardInterrupt):
    """Ctrl-C during a long library call, with a message saying what was kept (the last
    checkpoint) and how to go on."""
