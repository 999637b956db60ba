"""The `reconcile` command line: commands, options and exit codes, nothing else.

Each command lives in its own module and registers itself on `app`.
"""

from reconcile.cli import apply as _apply  # noqa: F401  (registers commands)
from reconcile.cli import emulator as _emulator  # noqa: F401  (registers commands)
from reconcile.cli import importer as _importer  # noqa: F401  (registers commands)
from reconcile.cli import plan as _plan  # noqa: F401  (registers commands)
from reconcile.cli import snapshot as _snapshot  # noqa: F401  (registers commands)
from reconcile.cli import validate as _validate  # noqa: F401  (registers commands)
from reconcile.cli.app import app


def main() -> None:
    app()


__all__ = ["app", "main"]
