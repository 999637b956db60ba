"""Log output of a command: standard `logging`, on stderr, never on stdout.

`reconcile -v COMMAND` (or RECONCILE_LOG_LEVEL=DEBUG) shows every request the SCIM
client makes - method, path, status, milliseconds, attempt - at debug level; `-vv` adds
the HTTP library's own lines. Records never carry headers or bodies, so neither the token
nor user data reaches a log line. Lines go through the stderr console, so they interleave
cleanly with its spinner and progress bar while stdout (a JSON plan) stays parseable.
"""

from __future__ import annotations

import logging
import os
import time
from typing import Final

from reconcile.cli.common import fail, stderr

LOG_LEVEL_ENV: Final = "RECONCILE_LOG_LEVEL"
_LEVELS: Final = ("DEBUG", "INFO", "WARNING", "ERROR")
# The HTTP library's loggers, shown from -vv on (httpcore's trace lines are left out:
# they add little and would quote response headers).
_THIRD_PARTY: Final = ("httpx",)


class _ConsoleHandler(logging.Handler):
    """Writes each record as one plain line to the stderr console (no markup)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            stderr.print(self.format(record), markup=False, highlight=False)
        except Exception:  # a broken stderr must not end the command
            self.handleError(record)


def _formatter() -> logging.Formatter:
    formatter = logging.Formatter(
        "%(asctime)sZ %(levelname)s %(name)s: %(message)s", datefmt="%Y-%m-%dT%H:%M:%S"
    )
    formatter.converter = time.gmtime
    return formatter


_handler = _ConsoleHandler()
_handler.setFormatter(_formatter())


def _env_level() -> int:
    raw = os.environ.get(LOG_LEVEL_ENV, "").strip()
    if not raw:
        return logging.WARNING
    if raw.upper() not in _LEVELS:
        fail(f"{LOG_LEVEL_ENV} is {raw!r}; use one of {', '.join(_LEVELS)}")
    return logging.getLevelNamesMapping()[raw.upper()]


def configure_logging(*, verbosity: int) -> None:
    """Send the `reconcile` loggers to stderr at the level asked for (the more verbose of
    `-v` and RECONCILE_LOG_LEVEL wins). Safe to call once per command in one process."""
    level = min(_env_level(), logging.DEBUG if verbosity >= 1 else logging.WARNING)
    _attach(logging.getLogger("reconcile"), level)
    if verbosity >= 2:
        for name in _THIRD_PARTY:
            _attach(logging.getLogger(name), logging.DEBUG)


def _attach(logger: logging.Logger, level: int) -> None:
    if _handler not in logger.handlers:
        logger.addHandler(_handler)
    logger.propagate = False  # one line per record, whatever the root logger does
    logger.setLevel(level)
